// Fuzzes the decoder of catalog entries (src/adapters/codec/proto_codec.cc DecodeElection), as
// the embedded catalog reads them back at start-up. A decoded election must encode back to
// bytes that decode to the same election.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "adapters/codec/proto_codec.h"

namespace {

bool Same(const urna::Election& a, const urna::Election& b) {
  if (a.id != b.id || a.title != b.title || a.status != b.status ||
      a.created_at_ms != b.created_at_ms || a.opened_at_ms != b.opened_at_ms ||
      a.closed_at_ms != b.closed_at_ms || a.finalized_at_ms != b.finalized_at_ms ||
      a.results_visibility != b.results_visibility || a.options.size() != b.options.size()) {
    return false;
  }
  for (size_t i = 0; i < a.options.size(); ++i) {
    if (a.options[i].id != b.options[i].id || a.options[i].label != b.options[i].label) {
      return false;
    }
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto e = urna::codec::DecodeElection(std::string_view(reinterpret_cast<const char*>(data), size));
  if (!e.ok()) return 0;
  auto again = urna::codec::DecodeElection(urna::codec::EncodeElection(*e));
  if (!again.ok() || !Same(*again, *e)) abort();
  return 0;
}
