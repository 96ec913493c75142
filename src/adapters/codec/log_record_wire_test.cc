// The log record fast path (log_record_wire.h) never decides differently from libprotobuf:
// whatever it takes, libprotobuf reads alike; DecodeLogRecord (fast path, else libprotobuf)
// answers as libprotobuf alone does on valid, unusual and damaged records.
#include "adapters/codec/log_record_wire.h"

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/stubs/logging.h>
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "adapters/codec/log_record_view.h"
#include "adapters/codec/random_wire_for_test.h"
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
  EXPECT_TRUE(Check(rec, "unknown field (skipped, as libprotobuf keeps it apart)"));
  body = unknown.vote().SerializeAsString() + unknown.vote().SerializeAsString();
  rec = std::string("\x0a") + static_cast<char>(body.size()) + body;
  EXPECT_TRUE(Check(rec, "a field twice (the last wins)"));
  // A varint time where a string belongs (wire type 0 for field 1).
  EXPECT_FALSE(Check(std::string("\x0a\x02\x08\x01", 4), "wrong wire type"));
  // Lengths padded with redundant 0x80 bytes: libprotobuf reads a length of at most 5 bytes and
  // refuses a longer one, so 6 to 10 bytes are left to it (and refused); 2 to 5 are read alike.
  EXPECT_FALSE(Check(std::string("\x0a\x0a\x0a\x81\x80\x80\x80\x80\x00\x76\x22\x01\x75", 13),
                     "the reviewer's record"));
  for (size_t pad = 1; pad <= 9; ++pad) {
    const std::string len = std::string("\x81") + std::string(pad - 1, '\x80') + '\0';  // 1
    std::string body = "\x0a" + len + "v" + std::string("\x22\x01u", 3);
    const std::string inner = std::string("\x0a") + static_cast<char>(body.size()) + body;
    EXPECT_EQ(Check(inner, "vote_id length of " + std::to_string(pad + 1) + " bytes"),
              pad + 1 <= 5);
    body = std::string("\x22\x01u", 3);
    const std::string outer = "\x0a" + std::string(1, static_cast<char>(0x80 | body.size())) +
                              std::string(pad - 1, '\x80') + '\0' + body;
    EXPECT_EQ(Check(outer, "vote length of " + std::to_string(pad + 1) + " bytes"), pad + 1 <= 5);
    const std::string seal_body = "\x0a" + len + "e";
    const std::string seal = std::string("\x12") + static_cast<char>(seal_body.size()) + seal_body;
    EXPECT_EQ(Check(seal, "seal election length of " + std::to_string(pad + 1) + " bytes"),
              pad + 1 <= 5);
  }
}

// Why wire_reader.h does not use io::CodedInputStream: it reads a length of up to 10 bytes,
// where libprotobuf's message parser refuses more than 5.
TEST(LogRecordWireTest, CodedInputStreamReadsLengthsTheParserRefuses) {
  const std::string padded("\x81\x80\x80\x80\x80\x00", 6);  // 1, in 6 bytes
  google::protobuf::io::CodedInputStream in(reinterpret_cast<const uint8_t*>(padded.data()),
                                            static_cast<int>(padded.size()));
  int len = -1;
  EXPECT_TRUE(in.ReadVarintSizeAsInt(&len));
  EXPECT_EQ(len, 1);
  urna::v1::LogRecord rec;
  const std::string record = std::string("\x0a\x07\x22", 3) + padded + "u";
  EXPECT_FALSE(rec.ParseFromString(record));
}

// Structured random records (random fields, wire types, padded varints and lengths, repeated
// and unknown fields): both fast decoders take a record only as libprotobuf reads it.
TEST(LogRecordWireTest, RandomRecordsDecideAsProtobuf) {
  google::protobuf::LogSilencer quiet;
  testing_wire::RandomWire gen(20261130);
  int taken = 0;
  for (int i = 0; i < 30'000; ++i) {
    std::string rec;
    const uint64_t kinds = gen.Next(6) == 0 ? gen.Next(3) : 1;  // mostly one kind
    for (uint64_t k = 0; k < kinds; ++k) {
      const bool seal = gen.Next(3) == 0;
      const std::string body = seal ? gen.Message({1}, {2}) : gen.Message({1, 2, 3, 4, 6}, {5});
      gen.Field(rec, seal ? 2 : 1, gen.Next(50) == 0 ? 0 : 2, &body);
      if (gen.Next(20) == 0) gen.Unknown(rec);
    }
    if (gen.Next(30) == 0 && !rec.empty()) rec.resize(gen.Next(rec.size()));  // truncated
    const std::string what =
        "random record " + std::to_string(i) + " " + ::testing::PrintToString(rec);
    taken += Check(rec, what);
    LogEntryView view;
    if (DecodeLogRecordViewFast(rec, &view)) {
      const auto want = Reference(rec);
      ASSERT_TRUE(want.has_value()) << what;
      ASSERT_EQ(view.seal, want->seal.has_value()) << what;
      if (view.seal) {
        EXPECT_EQ(view.election_id, want->seal->election_id) << what;
      } else {
        EXPECT_EQ(view.vote_id, want->vote->vote_id) << what;
        EXPECT_EQ(view.election_id, want->vote->election_id) << what;
        EXPECT_EQ(view.option_id, want->vote->option_id) << what;
        EXPECT_EQ(view.voter_id, want->vote->voter_id) << what;
        EXPECT_EQ(view.ingest_time_ms, want->vote->ingest_time_ms) << what;
      }
    }
    if (HasFailure()) return;
  }
  EXPECT_GT(taken, 3'000);  // the generator reaches the fast path, not only the refusals
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
