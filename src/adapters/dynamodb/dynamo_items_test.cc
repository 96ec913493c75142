// The processor state's DynamoDB items, without a server: what is written reads back as the
// same values, and a malformed item is a clear error, never a silently wrong count or receipt.
#include "adapters/dynamodb/dynamo_items.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <map>

#include "adapters/dynamodb/dynamo_state_tables.h"

namespace urna::dynamodb::items {
namespace {

ProcessedVote Vote(Outcome outcome) {
  ProcessedVote pv;
  pv.entry.partition = 3;
  pv.entry.offset = 12345678901234ull;
  pv.entry.vote = {"v1", "e1", "a", "alice", 1'700'000'000'123, "n1"};
  pv.outcome = outcome;
  return pv;
}

TEST(DynamoItemsTest, ALedgerItemIsTheCountedReceiptAndRecordsItsLogPosition) {
  json::object item = LedgerItem(Vote(Outcome::kCounted), 64);
  EXPECT_EQ(GetS(item, "pk"), LedgerHashKey("e1", "alice", 64));
  auto r = ReceiptFromLedgerItem(item);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->vote_id, "v1");
  EXPECT_EQ(r->election_id, "e1");
  EXPECT_EQ(r->voter_id, "alice");
  EXPECT_EQ(r->option_id, "a");
  EXPECT_EQ(r->outcome, Outcome::kCounted);
  EXPECT_EQ(r->ingest_time_ms, 1'700'000'000'123);
  auto pos = PositionOf(item);
  ASSERT_TRUE(pos);
  EXPECT_EQ(pos->partition, 3u);
  EXPECT_EQ(pos->offset, 12345678901234ull);
}

// policy: a voter's k-th counted vote (k >= 2) is its own ledger item, under "<voter>#<k>" (the
// voter's items sort together, in k order), and reads back as the voter's; its receipt item says
// where it is.
TEST(DynamoItemsTest, ALaterCountedVoteHasItsOwnItemUnderTheVoter) {
  ProcessedVote pv = Vote(Outcome::kCounted);
  pv.ordinal = 3;
  json::object item = LedgerItem(pv, 64);
  EXPECT_EQ(GetS(item, "pk"), LedgerHashKey("e1", "alice", 64));
  EXPECT_EQ(GetS(item, "voter"), "alice#00000000000000000003");
  EXPECT_EQ(ReceiptFromLedgerItem(item)->voter_id, "alice");
  EXPECT_EQ(ParseLedgerSortKey("alice#00000000000000000003"),
            (std::pair<std::string_view, uint64_t>{"alice", 3}));
  EXPECT_EQ(ParseLedgerSortKey("alice"), (std::pair<std::string_view, uint64_t>{"alice", 1}));
  EXPECT_LT(LedgerSortKey("alice", 9), LedgerSortKey("alice", 10));
  EXPECT_LT(LedgerSortKey("alice", 1000), "alice-b");  // before any longer voter id
  json::object receipt = ReceiptItem(pv);
  EXPECT_EQ(GetN(receipt, "n"), 3);
  EXPECT_EQ(ReceiptFromReceiptItem(receipt)->outcome, Outcome::kCounted);
}

TEST(DynamoItemsTest, ReceiptItemsKeepDuplicateAndRejectedFates) {
  ProcessedVote dup = Vote(Outcome::kDuplicate);
  dup.counted_vote_id = "v0";
  auto r = ReceiptFromReceiptItem(ReceiptItem(dup));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->outcome, Outcome::kDuplicate);
  EXPECT_EQ(r->counted_vote_id, "v0");
  EXPECT_EQ(r->reason, "");
  ProcessedVote rej = Vote(Outcome::kRejected);
  rej.reason = std::string(kReasonUnknownOption);
  rej.entry.vote.option_id = "";  // empty values are left out, read back empty
  json::object item = ReceiptItem(rej);
  EXPECT_FALSE(item.contains("option"));
  r = ReceiptFromReceiptItem(item);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->outcome, Outcome::kRejected);
  EXPECT_EQ(r->reason, kReasonUnknownOption);
  EXPECT_EQ(r->option_id, "");
  EXPECT_EQ(r->voter_id, "alice");
}

TEST(DynamoItemsTest, ACheckpointReadsBackAsWritten) {
  Checkpoint c;
  c.next_offset = 42;
  c.from_offset = 40;
  c.batch["e1"].counts = OptionCounts{{"a", 3}, {"b", 0}};
  c.batch["e1"].changed = 42;
  c.batch["e2"].counts = OptionCounts{{"x", 18446744073709551ull}};
  c.batch["e2"].changed = 42;
  c.batch["e2"].sealed = 1'700'000'000'100;
  c.batch["e0"].sealed = 1'700'000'000'000;
  json::object item = CheckpointItem("urna.votes", 5, c);
  EXPECT_EQ(GetS(item, "topic"), "urna.votes");
  EXPECT_EQ(GetN(item, "partition"), 5);
  auto back = CheckpointFromItem(item);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, c);
  auto empty = CheckpointFromItem(CheckpointItem("t", 0, Checkpoint{}));
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ(*empty, Checkpoint{});
}

TEST(DynamoItemsTest, ATallyUpdateSetsOnlyTheCellsFieldsBehindItsFence) {
  ElectionCell sealed_only;
  sealed_only.sealed = 7;
  json::object u = TallyUpdate("t-tallies", "votes", 3, "e1", sealed_only, 12);
  EXPECT_EQ(u["UpdateExpression"].as_string(), "SET #o = :n, #s = :s");
  EXPECT_EQ(u["ConditionExpression"].as_string(), "attribute_not_exists(pk) OR #o < :n");
  EXPECT_EQ(GetS(u["Key"].as_object(), "pk"), "votes#3");
  EXPECT_EQ(GetN(u["ExpressionAttributeValues"].as_object(), ":n"), 12);
  // The item as DynamoDB would store it reads back as the cell.
  json::object item{{"pk", S("votes#3")},
                    {"election", S("e1")},
                    {"offset", N(uint64_t{12})},
                    {"counts", json::object{{"M", json::object{{"a", N(uint64_t{2})}}}}},
                    {"changed", N(uint64_t{9})},
                    {"sealed", N(int64_t{7})}};
  auto t = TallyFromItem(item);
  ASSERT_TRUE(t.ok()) << t.status().message();
  EXPECT_EQ(t->election, "e1");
  EXPECT_EQ(t->offset, 12u);
  EXPECT_EQ(t->cell.counts, (OptionCounts{{"a", 2}}));
  EXPECT_EQ(t->cell.changed, 9u);
  EXPECT_EQ(t->cell.sealed, 7);
  item.erase("changed");
  EXPECT_EQ(TallyFromItem(item).status().code(), Code::kInternal);
}

// The counts' time: a checkpoint's `at` reads back, and the tally update it rolls forward sets
// `changed_at` with the counts (a seal alone does not touch it); items without them read as 0.
TEST(DynamoItemsTest, TheCheckpointsTimeGoesWithItsCountsIntoTheTallyItem) {
  Checkpoint c;
  c.next_offset = 5;
  c.at_ms = 1'764'500'000'123;
  c.batch["e1"].counts = OptionCounts{{"a", 1}};
  c.batch["e1"].changed = 5;
  auto back = CheckpointFromItem(CheckpointItem("t", 0, c));
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->at_ms, c.at_ms);
  json::object u = TallyUpdate("t-tallies", "votes", 0, "e1", c.batch["e1"], 5, c.at_ms);
  EXPECT_EQ(u["UpdateExpression"].as_string(),
            "SET #o = :n, #c = :c, #ch = :ch, #ca = :ca, #cf = :ch");
  EXPECT_EQ(GetN(u["ExpressionAttributeValues"].as_object(), ":ca"), c.at_ms);
  ElectionCell sealed_only;
  sealed_only.sealed = 7;
  EXPECT_EQ(
      TallyUpdate("t", "votes", 0, "e1", sealed_only, 6, c.at_ms)["UpdateExpression"].as_string(),
      "SET #o = :n, #s = :s");
  json::object item{{"pk", S("votes#0")},
                    {"election", S("e1")},
                    {"offset", N(uint64_t{5})},
                    {"counts", json::object{{"M", json::object{{"a", N(uint64_t{1})}}}}},
                    {"changed", N(uint64_t{5})}};
  EXPECT_EQ(TallyFromItem(item)->changed_at_ms, 0);  // written before the time was stored
  item["changed_at"] = N(c.at_ms);
  item["changed_at_for"] = N(uint64_t{5});
  EXPECT_EQ(TallyFromItem(item)->changed_at_ms, c.at_ms);
}

// A rolling upgrade or rollback: an older processor updates `counts` and `changed` but knows
// nothing of `changed_at`, which then belongs to earlier counts. The item says which `changed`
// its time is for; when that is not the item's `changed`, the time is unknown (0), so results
// fall back to "since this node saw the counts change" instead of freezing updated_at.
TEST(DynamoItemsTest, ATimeLeftByANewerWriterOnCountsAnOlderOneChangedIsUnknown) {
  json::object item{{"pk", S("votes#0")},
                    {"election", S("e1")},
                    {"offset", N(uint64_t{9})},
                    {"counts", json::object{{"M", json::object{{"a", N(uint64_t{3})}}}}},
                    {"changed", N(uint64_t{9})},
                    {"changed_at", N(int64_t{1'764'500'000'123})},
                    {"changed_at_for", N(uint64_t{5})}};
  EXPECT_EQ(TallyFromItem(item)->changed_at_ms, 0);
  item.erase("changed_at_for");  // written by the first version that stored the time
  EXPECT_EQ(TallyFromItem(item)->changed_at_ms, 0);
  item["changed_at_for"] = N(uint64_t{9});
  EXPECT_EQ(TallyFromItem(item)->changed_at_ms, 1'764'500'000'123);
}

TEST(DynamoItemsTest, MalformedItemsAreErrorsNotValues) {
  json::object no_offset = CheckpointItem("t", 0, Checkpoint{});
  no_offset.erase("next_offset");
  EXPECT_EQ(CheckpointFromItem(no_offset).status().code(), Code::kInternal);
  Checkpoint c;
  c.next_offset = 1;
  c.batch["e1"].counts = OptionCounts{{"a", 1}};
  json::object bad_count = CheckpointItem("t", 0, c);
  bad_count["batch"]
      .as_object()["M"]
      .as_object()["e1"]
      .as_object()["M"]
      .as_object()["counts"]
      .as_object()["M"]
      .as_object()["a"] = json::object{{"N", "-1"}};
  EXPECT_EQ(CheckpointFromItem(bad_count).status().code(), Code::kInternal);
  json::object not_a_number = CheckpointItem("t", 0, c);
  not_a_number["next_offset"] = json::object{{"N", "12x"}};
  EXPECT_EQ(CheckpointFromItem(not_a_number).status().code(), Code::kInternal);
  json::object ledger = LedgerItem(Vote(Outcome::kCounted), 8);
  ledger.erase("vote_id");
  EXPECT_EQ(ReceiptFromLedgerItem(ledger).status().code(), Code::kInternal);
  json::object receipt = ReceiptItem(Vote(Outcome::kDuplicate));
  receipt["outcome"] = json::object{{"N", "1"}};
  EXPECT_EQ(ReceiptFromReceiptItem(receipt).status().code(), Code::kInternal);
  EXPECT_EQ(ParseObject("[1]", "x").status().code(), Code::kInternal);
  EXPECT_EQ(ItemOf("{\"Item\": 3}").status().code(), Code::kInternal);
  EXPECT_FALSE(ItemOf("{}")->has_value());
}

TEST(DynamoItemsTest, LedgerKeysSpreadAnElectionOverItsShards) {
  std::map<std::string, int> per_shard;
  for (int i = 0; i < 6400; ++i) ++per_shard[LedgerHashKey("e1", "voter" + std::to_string(i), 64)];
  ASSERT_EQ(per_shard.size(), 64u);
  EXPECT_EQ(per_shard.begin()->first, "e1#0");
  for (const auto& [key, n] : per_shard) {
    EXPECT_GT(n, 50) << key;  // 100 expected each: no shard takes much more than its share
    EXPECT_LT(n, 150) << key;
  }
  EXPECT_EQ(LedgerHashKey("e1", "alice", 64), LedgerHashKey("e1", "alice", 64));
  EXPECT_EQ(LedgerHashKey("e1", "alice", 1), "e1#0");
}

}  // namespace
}  // namespace urna::dynamodb::items
