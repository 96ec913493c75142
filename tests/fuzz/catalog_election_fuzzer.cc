// Fuzzes the decoder of catalog entries (src/adapters/codec/proto_codec.cc DecodeElection), as
// the embedded catalog reads them back at start-up, and their rendering by the API
// (app::ElectionJson). A decoded election must encode back to bytes that decode to the same
// election, and its times must render as docs/api.md says: RFC 3339 UTC with milliseconds
// (for years 1-9999, which RFC 3339 can write), or null.
#include <boost/json/object.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "adapters/codec/proto_codec.h"
#include "app/json_util.h"

namespace {

bool Same(const urna::Election& a, const urna::Election& b) {
  if (a.id != b.id || a.title != b.title || a.status != b.status ||
      a.created_at_ms != b.created_at_ms || a.opened_at_ms != b.opened_at_ms ||
      a.closed_at_ms != b.closed_at_ms || a.finalized_at_ms != b.finalized_at_ms ||
      a.results_visibility != b.results_visibility ||
      a.turnout_visibility != b.turnout_visibility || a.options.size() != b.options.size()) {
    return false;
  }
  for (size_t i = 0; i < a.options.size(); ++i) {
    if (a.options[i].id != b.options[i].id || a.options[i].label != b.options[i].label) {
      return false;
    }
  }
  return true;
}

// YYYY-MM-DDTHH:MM:SS.mmmZ
bool IsRfc3339Ms(std::string_view s) {
  constexpr std::string_view kShape = "dddd-dd-ddTdd:dd:dd.dddZ";
  if (s.size() != kShape.size()) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    bool digit = s[i] >= '0' && s[i] <= '9';
    if (kShape[i] == 'd' ? !digit : s[i] != kShape[i]) return false;
  }
  return true;
}

void CheckTime(const boost::json::object& o, std::string_view key, int64_t ms) {
  constexpr int64_t kYear1 = -62'135'596'800'000, kYear10000 = 253'402'300'800'000;
  const auto& v = o.at(key);
  if (ms == 0) {
    if (!v.is_null()) abort();
  } else if (ms >= kYear1 && ms < kYear10000) {
    if (!v.is_string() || !IsRfc3339Ms(v.as_string())) abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto e = urna::codec::DecodeElection(std::string_view(reinterpret_cast<const char*>(data), size));
  if (!e.ok()) return 0;
  auto again = urna::codec::DecodeElection(urna::codec::EncodeElection(*e));
  if (!again.ok() || !Same(*again, *e)) abort();
  auto json = urna::app::ElectionJson(*e);
  CheckTime(json, "created_at", e->created_at_ms);
  CheckTime(json, "opened_at", e->opened_at_ms);
  CheckTime(json, "closed_at", e->closed_at_ms);
  CheckTime(json, "finalized_at", e->finalized_at_ms);
  return 0;
}
