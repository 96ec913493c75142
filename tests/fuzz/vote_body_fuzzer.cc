// Fuzzes the body of POST /v1/elections/{id}/votes as the vote route reads it
// (src/app/vote_routes.cc): app::ParseObject, then a string "option". A body that parses must
// render back to JSON that parses to the same object.
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
    std::string id(option->as_string());  // what the route hands to ingest
    (void)id;
  }
  auto again = urna::app::ParseObject(boost::json::serialize(*o));
  if (!again.ok() || *again != *o) abort();
  return 0;
}
