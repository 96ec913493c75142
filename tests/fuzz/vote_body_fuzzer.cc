// Fuzzes the body of POST /v1/elections/{id}/votes as the vote route reads it
// (src/app/vote_routes.cc): app::ParseObject, then a string "option". Bad input must be a 400
// (kInvalidArgument); an accepted option id, echoed in JSON, must parse back to itself.
// (Other members are not re-checked: Boost.JSON 1.81 reads numbers imprecisely and 1e400 as
// Infinity, which it then writes as invalid JSON; urna never echoes a body's numbers.)
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "app/json_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string body(reinterpret_cast<const char*>(data), size);
  auto o = urna::app::ParseObject(body);
  if (!o.ok()) {
    if (o.status().code() != urna::Code::kInvalidArgument) abort();  // bad input is a 400
    return 0;
  }
  if (auto* option = o->if_contains("option"); option != nullptr && option->is_string()) {
    auto echoed = urna::app::ParseObject(
        boost::json::serialize(boost::json::object{{"option", option->as_string()}}));
    if (!echoed.ok() || echoed->at("option") != *option) abort();
  }
  return 0;
}
