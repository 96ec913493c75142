// The receipt view decoder against the protobuf decoder (DecodeReceipt): same answer on every
// input, rows our encoder writes taken by the fast path.
#include "adapters/codec/receipt_view.h"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "adapters/codec/proto_codec.h"
#include "adapters/codec/random_wire_for_test.h"
#include "google/protobuf/stubs/common.h"
#include "urna/v1/vote.pb.h"

namespace urna::codec {
namespace {

using testing_wire::PutBytes;
using testing_wire::PutTag;
using testing_wire::PutVarint;

// Whatever the input, the view decoder agrees with DecodeReceipt: it fails exactly when
// DecodeReceipt does, and otherwise gives the same fields. Returns whether the fast path took it.
bool ExpectSameAsProtobuf(const std::string& bytes) {
  Receipt spill;
  auto view = DecodeCountedVoteView(bytes, &spill);
  auto proto = DecodeReceipt(bytes);
  EXPECT_EQ(view.ok(), proto.ok()) << testing::PrintToString(bytes);
  CountedVoteView fast;
  const bool took = DecodeReceiptViewFast(bytes, &fast);
  if (took) {
    EXPECT_TRUE(proto.ok()) << "fast path accepted a row protobuf refuses: "
                            << testing::PrintToString(bytes);
  }
  if (!view.ok() || !proto.ok()) {
    if (!view.ok() && !proto.ok()) {
      EXPECT_EQ(view.status().message(), proto.status().message());
    }
    return took;
  }
  EXPECT_EQ(view->vote_id, proto->vote_id);
  EXPECT_EQ(view->voter_id, proto->voter_id);
  EXPECT_EQ(view->option_id, proto->option_id);
  EXPECT_EQ(view->ingest_time_ms, proto->ingest_time_ms);
  if (took) {
    EXPECT_EQ(fast.vote_id, proto->vote_id);
    EXPECT_EQ(fast.voter_id, proto->voter_id);
    EXPECT_EQ(fast.option_id, proto->option_id);
    EXPECT_EQ(fast.ingest_time_ms, proto->ingest_time_ms);
  }
  return took;
}

std::string RandomAscii(std::mt19937_64& rng, size_t max) {
  std::string s(rng() % (max + 1), ' ');
  for (char& c : s) c = static_cast<char>(rng() % 128);
  return s;
}

TEST(ReceiptViewTest, RowsOurEncoderWritesTakeTheFastPathAndMatch) {
  std::mt19937_64 rng(11);
  const int64_t times[] = {0, 1, 127, 128, 1764547200000, INT64_MAX, -1, INT64_MIN};
  int fast = 0, total = 0;
  for (int i = 0; i < 20000; ++i) {
    Receipt r{RandomAscii(rng, 40),  RandomAscii(rng, 20),
              RandomAscii(rng, 300),  // past 127 bytes: a two-byte length
              RandomAscii(rng, 10),  static_cast<Outcome>(rng() % 4),
              RandomAscii(rng, 5),   times[rng() % 8],
              RandomAscii(rng, 5)};
    if (i % 7 == 0) r.vote_id.clear();  // empty fields are not written at all
    const bool negative = r.ingest_time_ms < 0;
    const bool took = ExpectSameAsProtobuf(EncodeReceipt(r));
    // Negative times are 10-byte varints: left to protobuf. Everything else is fast.
    EXPECT_EQ(took, !negative);
    fast += took;
    ++total;
  }
  EXPECT_GT(fast, total / 2);
}

TEST(ReceiptViewTest, ProtobufSerializedRowsWithEveryFieldMatch) {
  urna::v1::Receipt p;
  p.set_vote_id("0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b");
  p.set_election_id("final");
  p.set_voter_id("voter-123456");
  p.set_option_id("a");
  p.set_outcome(urna::v1::Receipt::COUNTED);
  p.set_ingest_time_ms(1764547200123);
  p.set_partition(7);
  p.set_offset(123456789);
  p.set_counted_vote_id("x");
  p.set_reason("r");
  EXPECT_TRUE(ExpectSameAsProtobuf(p.SerializeAsString()));
}

TEST(ReceiptViewTest, EdgeCasesMatchProtobuf) {
  google::protobuf::LogSilencer quiet;  // protobuf logs each invalid UTF-8 string it refuses
  std::string base;
  PutBytes(base, 1, "vid");
  PutBytes(base, 3, "alice");
  PutBytes(base, 4, "a");
  PutTag(base, 7, 0);
  PutVarint(base, 42);
  std::vector<std::string> rows;
  rows.push_back("");    // every field at its default
  rows.push_back(base);  // plain
  {
    std::string s = base;  // a field twice: the last wins
    PutBytes(s, 3, "bob");
    PutTag(s, 7, 0);
    PutVarint(s, 43);
    rows.push_back(s);
  }
  for (uint32_t type : {0u, 1u, 2u, 5u}) {  // unknown fields of each wire type, small and large
    for (uint32_t field : {11u, 15u, 16u, 2047u, 2048u, 536870911u}) {
      std::string s = base;
      PutTag(s, field, type);
      if (type == 0) PutVarint(s, 300);
      if (type == 1) s += std::string(8, 'x');
      if (type == 2) PutVarint(s, 2), s += "zz";
      if (type == 5) s += std::string(4, 'y');
      rows.push_back(s);
    }
  }
  {
    std::string s = base;  // a known string field with a varint's wire type
    PutTag(s, 3, 0);
    PutVarint(s, 5);
    rows.push_back(s);
  }
  {
    std::string s = base;  // a known varint field with a string's wire type
    PutBytes(s, 7, "12");
    rows.push_back(s);
  }
  {
    std::string s = base;  // a group (start, end) as an unknown field
    PutTag(s, 12, 3);
    PutTag(s, 12, 4);
    rows.push_back(s);
  }
  {
    std::string s = base;  // an unmatched end group; field 0; wire types 6 and 7
    PutTag(s, 12, 4);
    rows.push_back(s);
    s = base;
    PutTag(s, 0, 0);
    PutVarint(s, 1);
    rows.push_back(s);
    for (uint32_t t : {6u, 7u}) {
      s = base;
      PutTag(s, 13, t);
      rows.push_back(s);
    }
  }
  for (uint64_t outcome : {0ull, 1ull, 3ull, 4ull, 0xFFFFFFFFull, 0x100000001ull, ~0ull}) {
    std::string s = base;  // outcomes: valid, unknown, truncated to 32 bits, negative
    PutTag(s, 5, 0);
    PutVarint(s, outcome);
    rows.push_back(s);
  }
  {
    std::string s = base;  // a varint padded to 10 bytes; one of 11 bytes
    PutTag(s, 7, 0);
    s += std::string("\x81\x80\x80\x80\x80\x80\x80\x80\x80\x00", 10);
    rows.push_back(s);
    s = base;
    PutTag(s, 7, 0);
    s += std::string("\x81\x80\x80\x80\x80\x80\x80\x80\x80\x80\x00", 11);
    rows.push_back(s);
  }
  {
    std::string s = base;  // non-ASCII strings: valid UTF-8, and not
    PutBytes(s, 3, "jos\xc3\xa9");
    rows.push_back(s);
    s = base;
    PutBytes(s, 3, "bad\xff");
    rows.push_back(s);
    s = base;
    PutBytes(s, 6, "\xc3");  // in a field the view does not read
    rows.push_back(s);
  }
  {
    std::string s = base;  // a length past the end; a huge length
    PutTag(s, 3, 2);
    PutVarint(s, 100);
    s += "short";
    rows.push_back(s);
    s = base;
    PutTag(s, 3, 2);
    PutVarint(s, 1ull << 40);
    rows.push_back(s);
  }
  for (const auto& r : rows) ExpectSameAsProtobuf(r);
  for (size_t cut = 0; cut < base.size(); ++cut) ExpectSameAsProtobuf(base.substr(0, cut));
}

// Lengths padded with redundant 0x80 bytes: libprotobuf reads at most 5 bytes of a length and
// refuses more, so 6 to 10 are left to it; 2 to 5 are read alike.
TEST(ReceiptViewTest, PaddedLengthsMatchProtobuf) {
  google::protobuf::LogSilencer quiet;
  for (size_t bytes = 2; bytes <= 10; ++bytes) {
    for (uint32_t field : {3u, 6u, 11u}) {  // read, read but not kept, unknown
      std::string s;
      PutBytes(s, 1, "vid");
      PutTag(s, field, 2);
      s += "\x82" + std::string(bytes - 2, '\x80') + '\0';  // 2
      s += "ab";
      PutBytes(s, 4, "a");
      EXPECT_EQ(ExpectSameAsProtobuf(s), bytes <= 5) << bytes << " bytes, field " << field;
    }
  }
}

// Structured random rows (random fields, wire types, padded varints and lengths, repeated and
// unknown fields): the fast path takes a row only as protobuf reads it.
TEST(ReceiptViewTest, RandomRowsMatchProtobuf) {
  google::protobuf::LogSilencer quiet;
  testing_wire::RandomWire gen(1130);
  int taken = 0;
  for (int i = 0; i < 30'000; ++i) {
    std::string s = gen.Message({1, 2, 3, 4, 6, 10}, {5, 7, 8, 9});
    if (gen.Next(30) == 0 && !s.empty()) s.resize(gen.Next(s.size()));
    taken += ExpectSameAsProtobuf(s);
    if (HasFailure()) return;
  }
  EXPECT_GT(taken, 500);  // the generator reaches the fast path, not only the refusals
}

TEST(ReceiptViewTest, CorruptedRowsMatchProtobuf) {
  std::mt19937_64 rng(13);
  Receipt r{"0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b",
            "final",
            "voter-123456",
            "a",
            Outcome::kCounted,
            "",
            1764547200123,
            ""};
  const std::string good = EncodeReceipt(r);
  google::protobuf::LogSilencer quiet;
  for (int i = 0; i < 200000; ++i) {
    std::string s = good;
    const int edits = 1 + static_cast<int>(rng() % 3);
    for (int e = 0; e < edits; ++e) {
      switch (rng() % 4) {
        case 0:  // flip a byte
          s[rng() % s.size()] = static_cast<char>(rng());
          break;
        case 1:  // flip a bit
          s[rng() % s.size()] ^= static_cast<char>(1 << (rng() % 8));
          break;
        case 2:  // cut the tail
          s.resize(rng() % (s.size() + 1));
          break;
        default:  // insert a byte
          s.insert(s.begin() + static_cast<long>(rng() % (s.size() + 1)), static_cast<char>(rng()));
      }
      if (s.empty()) break;
    }
    ExpectSameAsProtobuf(s);
    if (testing::Test::HasFailure()) break;  // the first difference is the useful one
  }
}

}  // namespace
}  // namespace urna::codec
