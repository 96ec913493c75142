#include "core/tally.h"

namespace urna {

uint64_t Total(const OptionCounts& counts) {
  uint64_t t = 0;
  for (const auto& [option, n] : counts) t += n;
  return t;
}

}  // namespace urna
