// The log record fast path (log_record_wire.h) never decides differently from libprotobuf:
// whatever it takes, libprotobuf reads alike; DecodeLogRecord (fast path, else libprotobuf)
// answers as libprotobuf alone does on valid, unusual and damaged records.
#include "adapters/codec/log_record_wire.h"

#include <google/protobuf/stubs/logging.h>
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "urna/v1/vote.pb.h"

namespace urna::codec {
namespace {

// libprotobuf's reading of `bytes`: nullopt when it refuses them or they hold neither kind.
std::optional<LogRecordValue> Reference(std::string_view bytes) {
  urna::v1::LogRecord rec;
  if (!rec.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) return std::nullopt;
  LogRecordValue out;
  if (rec.has_vote()) {
    const auto& v = rec.vote();
    out.vote = VoteEvent{v.vote_id(),  v.election_id(),    v.option_id(),
                         v.voter_id(), v.ingest_time_ms(), v.ingest_node()};
  } else if (rec.has_seal()) {
    out.seal = SealMarker{rec.seal().election_id(), rec.seal().closed_at_ms()};
  } else {
    return std::nullopt;
  }
  return out;
}

void ExpectSame(const LogRecordValue& a, const LogRecordValue& b, const std::string& what) {
  ASSERT_EQ(a.vote.has_value(), b.vote.has_value()) << what;
  ASSERT_EQ(a.seal.has_value(), b.seal.has_value()) << what;
  if (a.vote) {
    EXPECT_EQ(a.vote->vote_id, b.vote->vote_id) << what;
    EXPECT_EQ(a.vote->election_id, b.vote->election_id) << what;
    EXPECT_EQ(a.vote->option_id, b.vote->option_id) << what;
    EXPECT_EQ(a.vote->voter_id, b.vote->voter_id) << what;
    EXPECT_EQ(a.vote->ingest_time_ms, b.vote->ingest_time_ms) << what;
    EXPECT_EQ(a.vote->ingest_node, b.vote->ingest_node) << what;
  }
  if (a.seal) {
    EXPECT_EQ(a.seal->election_id, b.seal->election_id) << what;
    EXPECT_EQ(a.seal->closed_at_ms, b.seal->closed_at_ms) << what;
  }
}

// The fast path takes `bytes` only as libprotobuf reads them, and DecodeLogRecord answers as
// libprotobuf does. Returns whether the fast path took them.
bool Check(const std::string& bytes, const std::string& what) {
  const auto want = Reference(bytes);
  LogRecordValue fast;
  const bool took = DecodeUsualLogRecord(bytes, fast);
  if (took) {
    EXPECT_TRUE(want.has_value()) << what << ": the fast path took what libprotobuf refuses";
    if (want) ExpectSame(fast, *want, what);
  }
  auto got = DecodeLogRecord(bytes);
  EXPECT_EQ(got.ok(), want.has_value()) << what;
  if (got.ok() && want) ExpectSame(*got, *want, what);
  return took;
}

std::string VoteBytes(const VoteEvent& v) { return EncodeVoteRecord(v); }

TEST(LogRecordWireTest, RecordsUrnaWritesTakeTheFastPath) {
  const std::vector<VoteEvent> votes = {
      {"019a7c1e-0000-7000-8000-000000000001", "final", "a", "voter-1", 1'764'000'000'000, "n1"},
      {"v", "e", "o", "u", 0, ""},                                             // defaults left out
      {"", "", "", "", 0, ""},                                                 // an empty vote
      {std::string(300, 'v'), "e", "o", std::string(20'000, 'u'), 1, "node"},  // long lengths
      {"v", "e", "o", "gw:sms-br:+5511999990000", (int64_t{1} << 62), "n"},
  };
  for (size_t i = 0; i < votes.size(); ++i) {
    EXPECT_TRUE(Check(VoteBytes(votes[i]), "vote " + std::to_string(i)));
  }
  EXPECT_TRUE(Check(EncodeSealRecord({"final", 1'764'000'000'123}), "seal"));
  EXPECT_TRUE(Check(EncodeSealRecord({"", 0}), "empty seal"));
}

TEST(LogRecordWireTest, UnusualRecordsAreLeftToProtobuf) {
  google::protobuf::LogSilencer quiet;
  const std::string vote = VoteBytes({"v1", "e", "o", "u", 5, "n"});
  const std::string seal = EncodeSealRecord({"e", 7});
  // Not taken, and DecodeLogRecord answers as libprotobuf.
  EXPECT_FALSE(Check("", "no kind"));
  EXPECT_FALSE(Check(vote + vote, "a vote twice (merged)"));
  EXPECT_FALSE(Check(vote + seal, "both kinds (the last wins)"));
  EXPECT_FALSE(Check(VoteBytes({"v\xc3\xa9", "e", "o", "u", 5, "n"}), "UTF-8 id"));
  EXPECT_FALSE(Check(VoteBytes({"v\xff", "e", "o", "u", 5, "n"}), "invalid UTF-8"));
  EXPECT_FALSE(Check(VoteBytes({"v", "e", "o", "u", -1, "n"}), "negative time"));
  EXPECT_FALSE(Check(EncodeSealRecord({"e", -5}), "negative seal time"));
  // A vote with an unknown field (number 7), and one with its vote_id twice.
  urna::v1::LogRecord unknown;
  unknown.mutable_vote()->set_vote_id("v");
  std::string body = unknown.vote().SerializeAsString() + std::string("\x38\x01", 2);
  std::string rec = std::string("\x0a") + static_cast<char>(body.size()) + body;
  EXPECT_FALSE(Check(rec, "unknown field"));
  body = unknown.vote().SerializeAsString() + unknown.vote().SerializeAsString();
  rec = std::string("\x0a") + static_cast<char>(body.size()) + body;
  EXPECT_FALSE(Check(rec, "a field twice"));
  // A varint time where a string belongs (wire type 0 for field 1).
  EXPECT_FALSE(Check(std::string("\x0a\x02\x08\x01", 4), "wrong wire type"));
}

TEST(LogRecordWireTest, DamagedRecordsDecideAsProtobuf) {
  google::protobuf::LogSilencer quiet;  // libprotobuf logs each invalid UTF-8 string it refuses
  std::mt19937_64 rng(1130);
  const std::vector<std::string> seeds = {
      VoteBytes({"019a7c1e-0000-7000-8000-000000000001", "final", "a", "voter-1", 1'764'000, "n"}),
      EncodeSealRecord({"final", 99}),
  };
  for (int i = 0; i < 20'000; ++i) {
    std::string b = seeds[rng() % seeds.size()];
    switch (rng() % 4) {
      case 0:
        b.resize(rng() % (b.size() + 1));
        break;  // truncated
      case 1:
        b[rng() % b.size()] = static_cast<char>(rng());
        break;  // a byte changed
      case 2:
        b[rng() % b.size()] ^= static_cast<char>(1 << (rng() % 8));
        break;  // a bit
      default:
        b.insert(rng() % (b.size() + 1), 1, static_cast<char>(rng()));
        break;
    }
    Check(b, "damaged record " + std::to_string(i));
    if (HasFailure()) return;
  }
}

}  // namespace
}  // namespace urna::codec
