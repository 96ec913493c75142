#include "core/tally.h"

namespace urna {

uint64_t Total(const OptionCounts& counts) {
  uint64_t t = 0;
  for (const auto& [option, n] : counts) t += n;
  return t;
}

uint64_t CountOf(const OptionCounts& counts, std::string_view option_id) {
  auto it = counts.find(option_id);
  return it == counts.end() ? 0 : it->second;
}

}  // namespace urna
