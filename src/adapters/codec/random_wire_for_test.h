// Test-only protobuf wire bytes, for comparing the hand-written decoders (log_record_wire.h,
// receipt_view.h) with libprotobuf: PutVarint / PutTag / PutBytes build hand-made records field by
// field, and RandomWire is a structured random generator of records of every shape the decoders
// might meet: random field numbers and wire types (groups and invalid ones too), varints, tags
// and lengths padded to up to 10 bytes, repeated and unknown fields, strings ASCII or not,
// nested messages built the same way. Not linked into urna. Single-threaded (one per test).
#pragma once

#include <algorithm>
#include <cstdint>
#include <random>
#include <string>
#include <string_view>
#include <vector>

namespace urna::codec::testing_wire {

// Appends a varint of `v` in its shortest form.
inline void PutVarint(std::string& s, uint64_t v) {
  while (v >= 0x80) {
    s += static_cast<char>((v & 0x7F) | 0x80);
    v >>= 7;
  }
  s += static_cast<char>(v);
}

// Appends the tag of field `field` with wire type `type`.
inline void PutTag(std::string& s, uint32_t field, uint32_t type) {
  PutVarint(s, field << 3 | type);
}

// Appends a length-delimited field `field` holding `v` (a string, bytes or a nested message).
inline void PutBytes(std::string& s, uint32_t field, std::string_view v) {
  PutTag(s, field, 2);
  PutVarint(s, v.size());
  s += v;
}

class RandomWire {
 public:
  explicit RandomWire(uint64_t seed) : rng_(seed) {}

  uint64_t Next(uint64_t n) { return rng_() % n; }

  // A varint of `v`, now and then padded with redundant 0x80 bytes (to at most 10 bytes).
  void Varint(std::string& s, uint64_t v) {
    size_t min = 1;
    for (uint64_t x = v; x >= 0x80; x >>= 7) ++min;
    size_t len = min;
    if (Next(10) == 0) len = min + Next(11 - min);  // up to 10 bytes
    for (size_t i = 0; i < len; ++i) {
      const uint8_t low = static_cast<uint8_t>(v & 0x7F);
      v >>= 7;
      s += static_cast<char>(i + 1 < len ? (low | 0x80) : low);
    }
  }

  // A value for a varint field: mostly small (an enum's) or a time, now and then large or
  // negative (10 bytes).
  uint64_t Value() {
    switch (Next(12)) {
      case 0:
        return rng_();
      case 1:
        return static_cast<uint64_t>(-static_cast<int64_t>(Next(100) + 1));
      case 2:
      case 3:
        return Next(1u << 20);
      case 4:
      case 5:
      case 6:
        return 1'764'000'000'000 + Next(1'000'000);
      default:
        return Next(4);
    }
  }

  // A string: mostly ASCII, sometimes UTF-8 or invalid UTF-8.
  std::string Text() {
    std::string t(Next(6) == 0 ? Next(300) : Next(12), 'x');
    for (char& c : t) c = static_cast<char>(0x20 + Next(95));
    switch (Next(25)) {
      case 0:
        t += "\xc3\xa9";
        break;
      case 1:
        t += "\xff";
        break;
      default:
        break;
    }
    return t;
  }

  void Tag(std::string& s, uint32_t field, uint32_t type) { Varint(s, field << 3 | type); }

  // A field `field` of wire type `type` with a random value (a length-delimited one holds
  // `body` when given).
  void Field(std::string& s, uint32_t field, uint32_t type, const std::string* body = nullptr) {
    Tag(s, field, type);
    switch (type) {
      case 0:
        Varint(s, Value());
        return;
      case 1:
        for (int i = 0; i < 8; ++i) s += static_cast<char>(Next(256));
        return;
      case 2: {
        const std::string b = body ? *body : Text();
        Varint(s, b.size());
        s += b;
        return;
      }
      case 5:
        for (int i = 0; i < 4; ++i) s += static_cast<char>(Next(256));
        return;
      default:  // a group (3, 4) or an invalid type (6, 7): whatever follows
        return;
    }
  }

  // A message whose fields `strings` are length-delimited and `ints` varints (as declared in
  // the .proto), each present, absent or repeated, in any order, with now and then a wrong
  // wire type or an unknown field.
  std::string Message(const std::vector<uint32_t>& strings, const std::vector<uint32_t>& ints) {
    std::vector<uint32_t> fields;
    for (uint32_t f : strings) {
      for (uint64_t n = Next(8) == 0 ? 2 : Next(5) == 0 ? 0 : 1; n > 0; --n) fields.push_back(f);
    }
    for (uint32_t f : ints) {
      for (uint64_t n = Next(8) == 0 ? 2 : Next(5) == 0 ? 0 : 1; n > 0; --n) fields.push_back(f);
    }
    std::shuffle(fields.begin(), fields.end(), rng_);
    std::string s;
    for (uint32_t f : fields) {
      bool is_string = false;
      for (uint32_t x : strings) is_string |= x == f;
      uint32_t type = is_string ? 2 : 0;
      if (Next(40) == 0) type = static_cast<uint32_t>(Next(8));  // a wrong wire type
      Field(s, f, type);
      if (Next(15) == 0) Unknown(s);
    }
    return s;
  }

  // An unknown field: a high number (one- to three-byte tags) and a valid or invalid type.
  void Unknown(std::string& s) {
    const uint32_t numbers[] = {7, 9, 15, 16, 100, 2047, 2048, 100000};
    const uint32_t types[] = {0, 1, 2, 5, 0, 2, 3, 7};
    Field(s, numbers[Next(8)], types[Next(8)]);
  }

 private:
  std::mt19937_64 rng_;
};

}  // namespace urna::codec::testing_wire
