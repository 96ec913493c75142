// DynamoCatalog against dynalite: two catalogs (two processes' views) of one table see each
// other's changes; concurrent updates conflict instead of overwriting; a write whose answer
// was lost is recognized as this catalog's own; a failing refresh keeps the last view.
#include "adapters/dynamodb/dynamo_catalog.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <functional>
#include <thread>

#include "adapters/dynamodb/dynalite_test_fixture.h"

namespace urna::dynamodb {
namespace {

namespace json = boost::json;
using std::chrono::milliseconds;

Election MakeElection(const std::string& id, const std::string& title = "Title") {
  return Election{id, title, {{"a", "A"}, {"b", "B"}}, ElectionStatus::kDraft, 10, 0, 0};
}

// Polls `cond` every 10 ms until it holds or 10 s pass.
bool WaitFor(const std::function<bool()>& cond) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!cond()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(milliseconds(10));
  }
  return true;
}

ElectionStatus StatusIn(Catalog& c, const std::string& id) {
  auto e = c.Get(id);
  return e.ok() ? (*e)->status : ElectionStatus::kFinal;  // kFinal: "not there" in these tests
}

class DynamoCatalogTest : public testing::DynaliteTest {
 protected:
  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(DynaliteTest::SetUp());
    client_ = Client(dynalite_->endpoint());
    proxied_ = Client(proxy_->endpoint());
    prefix_ = testing::UniqueName("p") + "-";
    auto made = EnsureTable(*client_, DynamoCatalog::Spec(prefix_));
    ASSERT_TRUE(made.ok()) << made.status().message();
  }
  std::unique_ptr<DynamoCatalog> Open(DynamoClient& client,
                                      milliseconds refresh = milliseconds(250)) {
    auto c = DynamoCatalog::Open(client, prefix_, {refresh});
    EXPECT_TRUE(c.ok()) << c.status().message();
    return c.ok() ? std::move(*c) : nullptr;
  }
  // The stored item's version (consistent read), 0 if absent.
  int64_t StoredVersion(const std::string& id) {
    json::object req{{"TableName", prefix_ + "elections"},
                     {"Key", json::object{{"id", json::object{{"S", id}}}}},
                     {"ConsistentRead", true}};
    auto r = client_->Call({"GetItem", json::serialize(req)});
    EXPECT_TRUE(r.ok());
    if (!r.ok()) return -1;
    auto v = json::parse(*r);
    const auto* item = v.as_object().if_contains("Item");
    return item ? std::stoll(std::string(item->at("version").at("N").as_string())) : 0;
  }

  std::unique_ptr<DynamoClient> client_, proxied_;
  std::string prefix_;
};

TEST_F(DynamoCatalogTest, CreateUpdateGetListAndReopen) {
  auto cat = Open(*client_);
  ASSERT_TRUE(cat);
  Election e = MakeElection("e1");
  ASSERT_TRUE(cat->Create(e).ok());
  EXPECT_EQ(cat->Create(e).code(), Code::kConflict);
  e = **cat->Get("e1");
  EXPECT_EQ(e.catalog_version, 1u);
  ASSERT_TRUE(OpenElection(e, 20).ok());
  ASSERT_TRUE(cat->Update(e).ok());
  EXPECT_EQ((*cat->Get("e1"))->catalog_version, 2u);
  Election absent = MakeElection("e2");
  absent.catalog_version = 1;
  EXPECT_EQ(cat->Update(absent).code(), Code::kNotFound);
  // An update must say which version it read.
  EXPECT_EQ(cat->Update(MakeElection("e1")).code(), Code::kInvalidArgument);
  EXPECT_EQ(StoredVersion("e1"), 2);
  EXPECT_EQ(StoredVersion("e2"), 0);  // the failed update wrote nothing
  auto got = cat->Get("e1");
  ASSERT_TRUE(got.ok());
  EXPECT_EQ((*got)->status, ElectionStatus::kOpen);
  EXPECT_EQ(cat->Get("nope").status().code(), Code::kNotFound);

  cat.reset();
  auto again = Open(*client_);  // a new process: reads the table at Open
  ASSERT_TRUE(again);
  auto reread = again->Get("e1");
  ASSERT_TRUE(reread.ok());
  EXPECT_EQ((*reread)->status, ElectionStatus::kOpen);
  EXPECT_EQ((*reread)->opened_at_ms, 20);
  EXPECT_EQ((*reread)->options[1].label, "B");
  EXPECT_EQ(again->List().size(), 1u);
}

TEST_F(DynamoCatalogTest, TwoCatalogsSeeEachOthersChanges) {
  auto a = Open(*client_);
  auto b = Open(*client_);
  ASSERT_TRUE(a && b);
  Election e = MakeElection("shared");
  ASSERT_TRUE(a->Create(e).ok());
  auto start = std::chrono::steady_clock::now();
  ASSERT_TRUE(WaitFor([&] { return b->Get("shared").ok(); }));
  auto seen_after = std::chrono::steady_clock::now() - start;

  e = **a->Get("shared");
  ASSERT_TRUE(OpenElection(e, 30).ok());
  ASSERT_TRUE(a->Update(e).ok());
  ASSERT_TRUE(WaitFor([&] { return StatusIn(*b, "shared") == ElectionStatus::kOpen; }));

  // And back: b closes it, a sees it.
  Election from_b = **b->Get("shared");
  ASSERT_TRUE(CloseElection(from_b, 40).ok());
  ASSERT_TRUE(b->Update(from_b).ok());
  ASSERT_TRUE(WaitFor([&] { return StatusIn(*a, "shared") == ElectionStatus::kClosed; }));
  EXPECT_EQ(a->List().size(), 1u);
  EXPECT_EQ(StoredVersion("shared"), 3);
  std::cout << "another catalog saw the new election after "
            << std::chrono::duration_cast<milliseconds>(seen_after).count() << " ms\n";
}

// b has not refreshed (hour-long interval) when a changes the election: b's update, based on
// the old version, fails instead of overwriting a's; b then holds a's version and can retry.
TEST_F(DynamoCatalogTest, StaleUpdateConflictsInsteadOfOverwriting) {
  auto a = Open(*client_);
  ASSERT_TRUE(a);
  Election e = MakeElection("race");
  ASSERT_TRUE(a->Create(e).ok());
  auto b = Open(*client_, std::chrono::hours(1));
  ASSERT_TRUE(b);
  Election opened = **a->Get("race");
  ASSERT_TRUE(OpenElection(opened, 50).ok());
  ASSERT_TRUE(a->Update(opened).ok());

  Election retitled = **b->Get("race");
  EXPECT_EQ(retitled.status, ElectionStatus::kDraft);  // b's stale view
  retitled.title = "Renamed";
  Status s = b->Update(retitled);
  EXPECT_EQ(s.code(), Code::kConflict) << s.message();
  EXPECT_EQ(StoredVersion("race"), 2);
  EXPECT_EQ(StatusIn(*b, "race"), ElectionStatus::kOpen);  // learnt from the failed write
  Election again = **b->Get("race");
  again.title = "Renamed";
  ASSERT_TRUE(b->Update(again).ok());
  ASSERT_TRUE(WaitFor([&] { return (*a->Get("race"))->title == "Renamed"; }));
  EXPECT_EQ(StatusIn(*a, "race"), ElectionStatus::kOpen);

  // Create of an id another process made meanwhile: kConflict, and its election is learnt.
  auto c = Open(*client_, std::chrono::hours(1));
  ASSERT_TRUE(a->Create(MakeElection("late", "A's")).ok());
  EXPECT_EQ(c->Create(MakeElection("late", "C's")).code(), Code::kConflict);
  EXPECT_EQ((*c->Get("late"))->title, "A's");
}

// b reads the election, a changes it, then b's cache refreshes (it now holds a's version): b's
// update, decided on what it read before, still conflicts instead of overwriting a's change
// with a fresh version; b decides again on the stored state.
TEST_F(DynamoCatalogTest, AnUpdateOnAStaleReadConflictsEvenAfterARefresh) {
  auto a = Open(*client_);
  auto b = Open(*client_, std::chrono::hours(1));
  ASSERT_TRUE(a && b);
  ASSERT_TRUE(a->Create(MakeElection("r")).ok());
  ASSERT_TRUE(b->Refresh().ok());
  Election read_by_b = **b->Get("r");  // draft, version 1
  Election opened = **a->Get("r");
  ASSERT_TRUE(OpenElection(opened, 50).ok());
  ASSERT_TRUE(a->Update(opened).ok());
  ASSERT_TRUE(b->Refresh().ok());  // b's cache: a's version 2
  EXPECT_EQ(StatusIn(*b, "r"), ElectionStatus::kOpen);
  read_by_b.title = "Stale";
  Status s = b->Update(read_by_b);
  EXPECT_EQ(s.code(), Code::kConflict) << s.message();
  EXPECT_EQ(StoredVersion("r"), 2);
  auto stored = a->Get("r");
  ASSERT_TRUE(stored.ok());
  ASSERT_TRUE(a->Refresh().ok());
  EXPECT_EQ((*a->Get("r"))->title, "Title");
  EXPECT_EQ((*b->Get("r"))->title, "Title");
  Election again = **b->Get("r");
  again.title = "Renamed";
  ASSERT_TRUE(b->Update(again).ok());
  EXPECT_EQ(StoredVersion("r"), 3);
}

// The answers to an applied Create and an applied Update are lost (500 after dynalite wrote):
// the client retries, the condition fails on the catalog's own item, and the catalog says ok.
TEST_F(DynamoCatalogTest, LostAnswerOfAppliedWriteIsSuccess) {
  auto cat = Open(*proxied_);
  ASSERT_TRUE(cat);
  Election e = MakeElection("lost");
  ASSERT_TRUE(proxy_->Inject("internal", "PutItem", 1, 1, /*after=*/true).ok());
  Status created = cat->Create(e);
  EXPECT_TRUE(created.ok()) << created.message();
  EXPECT_EQ(proxy_->Injected("internal"), 1);
  EXPECT_EQ(StoredVersion("lost"), 1);

  e = **cat->Get("lost");
  ASSERT_TRUE(OpenElection(e, 60).ok());
  ASSERT_TRUE(proxy_->Inject("internal", "PutItem", 1, 1, /*after=*/true).ok());
  Status updated = cat->Update(e);
  EXPECT_TRUE(updated.ok()) << updated.message();
  EXPECT_EQ(proxy_->Injected("internal"), 2);
  EXPECT_EQ(StoredVersion("lost"), 2);  // applied once: not version 3
  EXPECT_EQ(StatusIn(*cat, "lost"), ElectionStatus::kOpen);
}

// DynamoDB failing: Get still answers from the last view, last_refresh_error says why, and
// the catalog catches up by itself once DynamoDB answers again.
TEST_F(DynamoCatalogTest, FailingRefreshKeepsTheLastViewAndRecovers) {
  auto cat = Open(*proxied_, milliseconds(20));
  ASSERT_TRUE(cat);
  ASSERT_TRUE(cat->Create(MakeElection("kept")).ok());
  ASSERT_TRUE(proxy_->Inject("unavailable", "Scan", 1000000).ok());
  ASSERT_TRUE(WaitFor([&] { return !cat->last_refresh_error().ok(); }));
  EXPECT_EQ(cat->last_refresh_error().code(), Code::kUnavailable);
  EXPECT_TRUE(cat->Get("kept").ok());
  // Another process adds an election meanwhile; seen once Scan works again.
  auto other = Open(*client_);
  ASSERT_TRUE(other->Create(MakeElection("meanwhile")).ok());
  ASSERT_TRUE(proxy_->Reset().ok());
  ASSERT_TRUE(WaitFor([&] { return cat->Get("meanwhile").ok(); }));
  EXPECT_TRUE(WaitFor([&] { return cat->last_refresh_error().ok(); }));
}

// The refresh numbers a result server waits on (an election created elsewhere moments ago): a
// refresh counts as ended once it has read the whole table, or once it failed, so a wait never
// outlasts one refresh while DynamoDB is unreachable; none ends before it began.
TEST_F(DynamoCatalogTest, RefreshNumbersSayWhenARefreshBegunLaterHasEnded) {
  auto cat = Open(*proxied_, milliseconds(20));
  ASSERT_TRUE(cat);
  EXPECT_GE(cat->refreshes_ended(), 1u);  // Open's read
  EXPECT_LE(cat->refreshes_ended(), cat->refreshes_begun());
  auto other = Open(*client_);
  ASSERT_TRUE(other->Create(MakeElection("elsewhere")).ok());
  auto before = cat->refreshes_begun();  // any refresh numbered above began after the creation
  ASSERT_TRUE(WaitFor([&] { return cat->refreshes_ended() > before; }));
  EXPECT_TRUE(cat->Get("elsewhere").ok()) << "a refresh begun after the creation has read it";
  ASSERT_TRUE(proxy_->Inject("unavailable", "Scan", 1000000).ok());
  ASSERT_TRUE(WaitFor([&] { return !cat->last_refresh_error().ok(); }));
  before = cat->refreshes_begun();
  EXPECT_TRUE(WaitFor([&] { return cat->refreshes_ended() > before; }))
      << "failed refreshes end too: nobody waits for a DynamoDB that does not answer";
  EXPECT_FALSE(cat->last_refresh_error().ok());
  ASSERT_TRUE(proxy_->Reset().ok());
}

TEST_F(DynamoCatalogTest, OpenWithoutTheTableSaysRunInit) {
  auto c = DynamoCatalog::Open(*client_, testing::UniqueName("none") + "-");
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), Code::kNotFound);
  EXPECT_NE(c.status().message().find("urna init"), std::string::npos) << c.status().message();
}

// The processor reads an election fresh when its cache does not know it yet or still sees it as
// a draft (partition_processor.cc): GetFresh reads the item now and keeps it in the cache.
TEST_F(DynamoCatalogTest, GetFreshReadsWhatTheCacheHasNotSeenYet) {
  auto ingest = Open(*client_);
  auto processor = Open(*client_, std::chrono::hours(1));  // its refresh will not come
  ASSERT_TRUE(ingest && processor);
  Election e = MakeElection("e1");
  ASSERT_TRUE(ingest->Create(e).ok());
  EXPECT_EQ(processor->Get("e1").status().code(), Code::kNotFound);
  auto fresh = processor->GetFresh("e1");
  ASSERT_TRUE(fresh.ok()) << fresh.status().message();
  EXPECT_EQ((*fresh)->status, ElectionStatus::kDraft);
  auto read = ingest->Get("e1");  // Update is a compare-and-set on the version read
  ASSERT_TRUE(read.ok());
  Election opened = **read;
  ASSERT_TRUE(OpenElection(opened, 20).ok());
  ASSERT_TRUE(ingest->Update(opened).ok());
  EXPECT_EQ((*processor->Get("e1"))->status, ElectionStatus::kDraft) << "cached, behind";
  fresh = processor->GetFresh("e1");
  ASSERT_TRUE(fresh.ok());
  EXPECT_EQ((*fresh)->status, ElectionStatus::kOpen);
  EXPECT_EQ((*processor->Get("e1"))->status, ElectionStatus::kOpen) << "the cache caught up";
  EXPECT_EQ(processor->GetFresh("nope").status().code(), Code::kNotFound);
}

// admin: a deleted draft disappears from both catalogs' views (a tombstone, seen at the next
// refresh); a delete on a stale read conflicts; the id can be created again, also by a catalog
// that has not seen the tombstone yet, and the other catalog sees the new election.
TEST_F(DynamoCatalogTest, DeleteWritesATombstoneOthersSeeAndCreateGoesOverIt) {
  auto a = Open(*client_);
  auto b = Open(*client_, milliseconds(3600 * 1000));  // refreshes only when asked
  auto c = Open(*client_, milliseconds(3600 * 1000));  // never sees "gone" by itself
  ASSERT_TRUE(a && b && c);
  ASSERT_TRUE(a->Create(MakeElection("gone", "First")).ok());
  ASSERT_TRUE(b->Refresh().ok());
  Election stale = **b->Get("gone");
  Election edited = **a->Get("gone");
  edited.title = "Edited";
  ASSERT_TRUE(a->Update(edited).ok());
  EXPECT_EQ(b->Delete(stale).code(), Code::kConflict);  // b read it before a's edit
  Election current = **a->Get("gone");
  ASSERT_TRUE(a->Delete(current).ok());
  EXPECT_EQ(a->Get("gone").status().code(), Code::kNotFound);
  EXPECT_EQ(a->GetFresh("gone").status().code(), Code::kNotFound);
  EXPECT_TRUE(a->List().empty());
  // The same delete again is this catalog's own write (as after a lost answer): ok, no change.
  EXPECT_TRUE(a->Delete(current).ok());
  EXPECT_EQ(StoredVersion("gone"), 3);  // the tombstone keeps the item's version going

  // c never read the table since it opened: its create of the same id goes over the tombstone
  // it has not seen.
  ASSERT_TRUE(c->Create(MakeElection("gone", "Second")).ok());
  EXPECT_EQ(StoredVersion("gone"), 4);
  ASSERT_TRUE(WaitFor([&] {
    auto e = a->Get("gone");
    return e.ok() && (*e)->title == "Second";
  }));
  // And a tombstone c writes reaches a by its refresh.
  ASSERT_TRUE(c->Delete(**c->Get("gone")).ok());
  ASSERT_TRUE(WaitFor([&] { return !a->Get("gone").ok() && a->List().empty(); }));
  ASSERT_TRUE(a->Create(MakeElection("gone", "Third")).ok());
  EXPECT_EQ(StoredVersion("gone"), 6);
}

}  // namespace
}  // namespace urna::dynamodb
