// The log record view decoder (log_record_view.h) against libprotobuf's generated
// urna::v1::LogRecord, which shares no code with the hand-written parser under test: the same
// answer on every input (the fields, or the error), records our encoder writes taken by the fast
// path.
#include "adapters/codec/log_record_view.h"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "adapters/codec/random_wire_for_test.h"
#include "google/protobuf/stubs/common.h"
#include "urna/v1/vote.pb.h"

namespace urna::codec {
namespace {

using testing_wire::PutBytes;
using testing_wire::PutTag;
using testing_wire::PutVarint;

// libprotobuf's reading of a record, and the error DecodeLogRecordView is to give when there is
// no vote or seal to read (as DecodeLogRecord words it).
struct Reference {
  urna::v1::LogRecord rec;
  std::string error;  // empty when libprotobuf reads a vote or a seal
};

Reference ReadWithProtobuf(const std::string& bytes) {
  Reference r;
  if (!r.rec.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    r.error = "corrupt log record";
  } else if (!r.rec.has_vote() && !r.rec.has_seal()) {
    r.error = "log record of unknown kind";
  }
  return r;
}

// The view decoder, and its fast path when it takes `bytes`, agree with libprotobuf on `bytes`;
// returns whether the fast path took them.
bool ExpectSameAsProtobuf(const std::string& bytes) {
  const Reference want = ReadWithProtobuf(bytes);
  const bool want_ok = want.error.empty();
  LogRecordValue spill;
  LogEntryView view;
  view.offset = 77;
  const Status s = DecodeLogRecordView(bytes, &spill, &view);
  EXPECT_EQ(s.ok(), want_ok) << testing::PrintToString(bytes);
  LogEntryView fast;
  const bool took = DecodeLogRecordViewFast(bytes, &fast);
  if (took) {
    EXPECT_TRUE(want_ok) << "fast path accepted: " << testing::PrintToString(bytes);
  }
  if (!s.ok() || !want_ok) {
    if (!s.ok() && !want_ok) {
      EXPECT_EQ(s.message(), want.error) << testing::PrintToString(bytes);
    }
    return took;
  }
  EXPECT_EQ(view.offset, 77u);
  EXPECT_EQ(view.seal, want.rec.has_seal());
  for (const LogEntryView* v : {&view, took ? &fast : &view}) {
    if (want.rec.has_seal()) {
      EXPECT_TRUE(v->seal);
      EXPECT_EQ(v->election_id, want.rec.seal().election_id());
    } else {
      const urna::v1::VoteEvent& e = want.rec.vote();
      EXPECT_FALSE(v->seal);
      EXPECT_EQ(v->vote_id, e.vote_id());
      EXPECT_EQ(v->election_id, e.election_id());
      EXPECT_EQ(v->option_id, e.option_id());
      EXPECT_EQ(v->voter_id, e.voter_id());
      EXPECT_EQ(v->ingest_time_ms, e.ingest_time_ms());
    }
  }
  return took;
}

std::string RandomAscii(std::mt19937_64& rng, size_t max) {
  std::string s(rng() % (max + 1), ' ');
  for (char& c : s) c = static_cast<char>(rng() % 128);
  return s;
}

TEST(LogRecordViewTest, RecordsOurEncoderWritesTakeTheFastPathAndMatch) {
  std::mt19937_64 rng(17);
  const int64_t times[] = {0, 1, 1764547200000, INT64_MAX, -5};
  for (int i = 0; i < 20000; ++i) {
    VoteEvent v{RandomAscii(rng, 40),  RandomAscii(rng, 20), RandomAscii(rng, 10),
                RandomAscii(rng, 300), times[rng() % 5],     RandomAscii(rng, 8)};
    EXPECT_EQ(ExpectSameAsProtobuf(EncodeVoteRecord(v)), v.ingest_time_ms >= 0);
    SealMarker seal{RandomAscii(rng, 20), times[rng() % 4]};
    EXPECT_TRUE(ExpectSameAsProtobuf(EncodeSealRecord(seal)));
  }
}

TEST(LogRecordViewTest, EdgeCasesMatchProtobuf) {
  google::protobuf::LogSilencer quiet;  // protobuf logs each invalid UTF-8 string it refuses
  std::string vote;
  PutBytes(vote, 1, "vid");
  PutBytes(vote, 2, "e1");
  PutBytes(vote, 3, "a");
  PutBytes(vote, 4, "alice");
  PutTag(vote, 5, 0);
  PutVarint(vote, 42);
  std::string seal;
  PutBytes(seal, 1, "e1");
  PutTag(seal, 2, 0);
  PutVarint(seal, 9);
  std::vector<std::string> rows = {""};  // neither kind
  std::string r;
  PutBytes(r, 1, vote);
  rows.push_back(r);
  std::string empty_vote;
  PutBytes(empty_vote, 1, "");
  rows.push_back(empty_vote);  // a vote with every field at its default
  r.clear();
  PutBytes(r, 2, seal);
  rows.push_back(r);
  r.clear();  // both kinds, in either order; one kind twice (merged)
  PutBytes(r, 1, vote);
  PutBytes(r, 2, seal);
  rows.push_back(r);
  r.clear();
  PutBytes(r, 2, seal);
  PutBytes(r, 1, vote);
  rows.push_back(r);
  r.clear();
  PutBytes(r, 1, vote);
  std::string more;
  PutBytes(more, 4, "bob");
  PutBytes(r, 1, more);
  rows.push_back(r);
  for (uint32_t type : {0u, 1u, 2u, 5u}) {  // unknown fields, top level and inside the vote
    for (uint32_t field : {3u, 7u, 15u, 16u, 3000u}) {
      std::string unknown;
      PutTag(unknown, field, type);
      if (type == 0) PutVarint(unknown, 300);
      if (type == 1) unknown += std::string(8, 'x');
      if (type == 2) PutVarint(unknown, 1), unknown += "z";
      if (type == 5) unknown += std::string(4, 'y');
      r.clear();
      PutBytes(r, 1, vote);
      r += unknown;
      rows.push_back(r);
      r.clear();
      PutBytes(r, 1, vote + unknown);
      rows.push_back(r);
      r.clear();
      PutBytes(r, 2, seal + unknown);
      rows.push_back(r);
    }
  }
  std::string v2 = vote;  // wrong wire types; a group; non-ASCII; a 10-byte varint
  PutTag(v2, 4, 0);
  PutVarint(v2, 1);
  r.clear();
  PutBytes(r, 1, v2);
  rows.push_back(r);
  r.clear();
  PutTag(r, 1, 0);
  PutVarint(r, 1);
  rows.push_back(r);
  v2 = vote;
  PutTag(v2, 9, 3);
  PutTag(v2, 9, 4);
  r.clear();
  PutBytes(r, 1, v2);
  rows.push_back(r);
  for (std::string_view bad : {std::string_view("jos\xc3\xa9"), std::string_view("x\xff")}) {
    v2 = vote;
    PutBytes(v2, 4, bad);
    r.clear();
    PutBytes(r, 1, v2);
    rows.push_back(r);
  }
  v2 = vote;
  PutTag(v2, 5, 0);
  v2 += std::string("\x81\x80\x80\x80\x80\x80\x80\x80\x80\x00", 10);
  r.clear();
  PutBytes(r, 1, v2);
  rows.push_back(r);
  for (const auto& row : rows) ExpectSameAsProtobuf(row);
  r.clear();
  PutBytes(r, 1, vote);
  for (size_t cut = 0; cut < r.size(); ++cut) ExpectSameAsProtobuf(r.substr(0, cut));
}

TEST(LogRecordViewTest, CorruptedRecordsMatchProtobuf) {
  google::protobuf::LogSilencer quiet;
  std::mt19937_64 rng(19);
  const std::string good = EncodeVoteRecord({"0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b", "final", "a",
                                             "voter-123456", 1764547200123, "node-1"});
  for (int i = 0; i < 200000; ++i) {
    std::string s = good;
    const int edits = 1 + static_cast<int>(rng() % 3);
    for (int e = 0; e < edits && !s.empty(); ++e) {
      switch (rng() % 4) {
        case 0:
          s[rng() % s.size()] = static_cast<char>(rng());
          break;
        case 1:
          s[rng() % s.size()] ^= static_cast<char>(1 << (rng() % 8));
          break;
        case 2:
          s.resize(rng() % (s.size() + 1));
          break;
        default:
          s.insert(s.begin() + static_cast<long>(rng() % (s.size() + 1)), static_cast<char>(rng()));
      }
    }
    ExpectSameAsProtobuf(s);
    if (testing::Test::HasFailure()) break;
  }
}

}  // namespace
}  // namespace urna::codec
