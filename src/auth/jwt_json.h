// ReadTopLevelFields: reads a few named members of a JSON object (a JWT's header or claims)
// without building a JSON DOM: Boost.JSON's SAX parser (basic_parser) does the parsing, this
// keeps only the members asked for. Used by VoterTokens on every vote; a pure function
// (thread-safe, no state).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace urna::jwt {

// What a member held. kNumber is any finite JSON number (integer or fraction, read as double);
// an integer too large for 64 bits is a double too. kArray is an array (of anything);
// everything else (object, bool, null) is kOther.
enum class JsonKind : uint8_t { kAbsent, kString, kNumber, kArray, kOther };

struct JsonField {
  JsonKind kind = JsonKind::kAbsent;
  std::string text;         // kString: its (unescaped) value
  double number = 0;        // kNumber
  bool has_wanted = false;  // kArray: a string element directly in it equals `wanted`
};

enum class JsonRead : uint8_t {
  kOk,
  kMalformed,  // not valid JSON (RFC 8259, UTF-8, no comments), or not an object
  kDuplicate,  // a member named in `names` appears twice (RFC 7519 4 / 7515 4 allow refusing)
};

// Parses `json`, which must be exactly one JSON object, and fills fields[i] for the top-level
// member named names[i] (names.size() == fields.size(), at most 8 names of at most 8 bytes).
// Members with other names are parsed and ignored. `wanted` is what JsonField::has_wanted
// looks for in arrays (e.g. the configured audience); empty = nothing.
JsonRead ReadTopLevelFields(std::string_view json, std::span<const std::string_view> names,
                            std::span<JsonField> fields, std::string_view wanted = {});

}  // namespace urna::jwt
