// The hand-written receipt encoder (receipt_wire.h) against libprotobuf's: the same bytes for
// every receipt, since ledger rows written either way must read alike (recount, receipts).
#include "adapters/codec/receipt_wire.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "adapters/codec/proto_codec.h"
#include "urna/v1/vote.pb.h"

namespace urna::codec {
namespace {

// What libprotobuf writes for the same fields: the reference.
std::string ProtobufBytes(const ReceiptFields& r) {
  urna::v1::Receipt p;
  p.set_vote_id(std::string(r.vote_id));
  p.set_election_id(std::string(r.election_id));
  p.set_voter_id(std::string(r.voter_id));
  p.set_option_id(std::string(r.option_id));
  p.set_outcome(static_cast<urna::v1::Receipt::Outcome>(r.outcome));
  p.set_reason(std::string(r.reason));
  p.set_ingest_time_ms(r.ingest_time_ms);
  p.set_counted_vote_id(std::string(r.counted_vote_id));
  return p.SerializeAsString();
}

std::string Hand(const ReceiptFields& r) {
  std::string out = "prefix";  // appends: what is there stays
  AppendReceipt(r, out);
  EXPECT_EQ(out.substr(0, 6), "prefix");
  EXPECT_EQ(out.size() - 6, ReceiptWireSize(r));
  return out.substr(6);
}

TEST(ReceiptWireTest, EdgeCasesMatchProtobuf) {
  const std::string long_id(300, 'v');        // a length of two varint bytes
  const std::string longer(20'000, 'x');      // three
  const std::string binary("a\0b\xff\x80", 5);  // bytes as they are, a NUL among them
  const std::vector<ReceiptFields> cases = {
      {},  // every field at its default: no bytes at all
      {"v", "", "", "", Outcome::kPending, "", 0, ""},
      {"", "e", "", "", Outcome::kCounted, "", 0, ""},
      {"", "", "", "", Outcome::kRejected, "", 0, ""},
      {"019a-vote", "final", "voter-1", "a", Outcome::kCounted, "", 1'764'000'000'000, ""},
      {"019a-dup", "final", "voter-1", "b", Outcome::kDuplicate, "", 1'764'000'000'001,
       "019a-vote"},
      {"019a-rej", "final", "voter-2", "zz", Outcome::kRejected, "unknown_option", 5, ""},
      {long_id, long_id, long_id, long_id, Outcome::kCounted, long_id, 127, long_id},
      {longer, "e", longer, "o", Outcome::kDuplicate, "", 128, longer},
      {binary, binary, binary, binary, Outcome::kRejected, binary, 1, binary},
      {"v", "e", "u", "o", Outcome::kCounted, "", -1, ""},  // negative: ten bytes
      {"v", "e", "u", "o", Outcome::kCounted, "", std::numeric_limits<int64_t>::min(), ""},
      {"v", "e", "u", "o", Outcome::kCounted, "", std::numeric_limits<int64_t>::max(), ""},
      {"v", "e", "u", "o", Outcome::kPending, "", 0, ""},
  };
  for (size_t i = 0; i < cases.size(); ++i) {
    EXPECT_EQ(Hand(cases[i]), ProtobufBytes(cases[i])) << "case " << i;
  }
}

TEST(ReceiptWireTest, RandomReceiptsMatchProtobufAndDecode) {
  std::mt19937_64 rng(20261130);
  auto text = [&](size_t max_len) {
    std::string s(rng() % (max_len + 1), '\0');
    for (char& c : s) c = static_cast<char>(rng() % 3 == 0 ? rng() : 'a' + rng() % 26);
    return s;
  };
  for (int i = 0; i < 5000; ++i) {
    const std::string vote = text(40), election = text(20), voter = text(200), option = text(10),
                      reason = text(30), counted = text(40);
    ReceiptFields r{vote, election, voter, option, static_cast<Outcome>(rng() % 4), reason, 0,
                    counted};
    // Every varint length, and negatives.
    const int shift = static_cast<int>(rng() % 64);
    r.ingest_time_ms = static_cast<int64_t>(rng() >> shift) * (rng() % 8 == 0 ? -1 : 1);
    const std::string bytes = Hand(r);
    ASSERT_EQ(bytes, ProtobufBytes(r)) << "receipt " << i;
    // And EncodeReceipt, the processor's path through a Receipt, gives the same bytes.
    Receipt full{vote, election, voter, option, r.outcome, reason, r.ingest_time_ms, counted};
    ASSERT_EQ(EncodeReceipt(full), bytes) << "receipt " << i;
  }
}

TEST(ReceiptWireTest, EncodedReceiptDecodes) {
  Receipt r{"019a-dup", "final", "voter-1", "b", Outcome::kDuplicate, "", 42, "019a-vote"};
  auto d = DecodeReceipt(EncodeReceipt(r));
  ASSERT_TRUE(d.ok()) << d.status().message();
  EXPECT_EQ(d->vote_id, r.vote_id);
  EXPECT_EQ(d->election_id, r.election_id);
  EXPECT_EQ(d->voter_id, r.voter_id);
  EXPECT_EQ(d->option_id, r.option_id);
  EXPECT_EQ(d->outcome, r.outcome);
  EXPECT_EQ(d->ingest_time_ms, r.ingest_time_ms);
  EXPECT_EQ(d->counted_vote_id, r.counted_vote_id);
}

}  // namespace
}  // namespace urna::codec
