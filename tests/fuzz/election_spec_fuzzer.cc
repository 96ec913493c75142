// Fuzzes the body of POST /v1/elections: app::ParseElectionSpec (src/app/election_spec.cc),
// i.e. app::ParseObject and the election fields. An accepted spec must be a valid new election,
// and the election as the API renders it (app::ElectionJson) must parse back to the same one.
#include <boost/json/serialize.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "app/election_spec.h"
#include "app/json_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string body(reinterpret_cast<const char*>(data), size);
  auto e = urna::app::ParseElectionSpec(body);
  if (!e.ok()) {
    if (e.status().code() != urna::Code::kInvalidArgument) abort();  // bad input is a 400
    return 0;
  }
  if (!urna::ValidateNewElection(*e).ok()) abort();
  // The rendered election without the fields the server sets (status, times): a spec refuses
  // keys it does not take.
  auto rendered = urna::app::ElectionJson(*e);
  auto keys = urna::app::ElectionSpecKeys();
  for (auto it = rendered.begin(); it != rendered.end();) {
    std::string_view key(it->key().data(), it->key().size());
    it = std::find(keys.begin(), keys.end(), key) == keys.end() ? rendered.erase(it) : it + 1;
  }
  auto again = urna::app::ParseElectionSpec(boost::json::serialize(rendered));
  if (!again.ok() || again->id != e->id || again->title != e->title ||
      again->options.size() != e->options.size() ||
      again->results_visibility != e->results_visibility ||
      again->turnout_visibility != e->turnout_visibility) {
    abort();
  }
  for (size_t i = 0; i < e->options.size(); ++i) {
    if (again->options[i].id != e->options[i].id ||
        again->options[i].label != e->options[i].label) {
      abort();
    }
  }
  return 0;
}
