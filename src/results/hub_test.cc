#include "results/hub.h"

#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "adapters/memory/memory_catalog.h"
#include "adapters/memory/memory_read_model.h"

namespace urna::results {
namespace {

// Waits until `done()` holds, for up to a generous deadline (the hub's thread runs when a
// loaded machine lets it); false if it never did.
template <class Done>
bool WaitUntil(Done done) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return true;
}

// The memory read model, with every election of the fixture at the same tally.
class FakeReadModel : public memory::MemoryReadModel {
 public:
  void Set(uint64_t seq, uint64_t a) {
    for (const char* e : {"e1", "hidden", "quiet"}) {
      MemoryReadModel::Set(e, ElectionTally{{{"a", a}}, seq, 0});
    }
  }
};

class Recorder : public Subscriber {
 public:
  void Deliver(const std::shared_ptr<const ResultFrame>& f) override {
    std::lock_guard lock(mu);
    frames.push_back(f);
  }
  void Heartbeat() override { ++beats; }
  bool closed() const override { return gone; }
  void End() override { ended = true; }
  std::vector<std::shared_ptr<const ResultFrame>> Frames() {
    std::lock_guard lock(mu);
    return frames;
  }
  std::mutex mu;
  std::vector<std::shared_ptr<const ResultFrame>> frames;
  std::atomic<int> beats{0};
  std::atomic<bool> gone{false};
  std::atomic<bool> ended{false};
};

class HubTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Election e{"e1", "T", {{"a", "A"}, {"b", "B"}}, ElectionStatus::kOpen, 0, 1, 0};
    ASSERT_TRUE(catalog.Create(e).ok());
    Election h = e;
    h.id = "hidden";
    h.results_visibility = ResultsVisibility::kHiddenUntilClosed;
    ASSERT_TRUE(catalog.Create(h).ok());
    h.id = "quiet";  // hidden results and hidden turnout
    h.turnout_visibility = TurnoutVisibility::kHidden;
    ASSERT_TRUE(catalog.Create(h).ok());
  }
  memory::MemoryCatalog catalog;
  FakeReadModel rm;
};

TEST_F(HubTest, SerializesOncePerChangeAndSharesTheBytes) {
  ResultsHub hub(catalog, rm);
  rm.Set(1, 3);
  auto f1 = *hub.Current("e1");
  EXPECT_EQ(f1.get(), hub.Current("e1")->get());  // unchanged: the same frame, no new JSON
  EXPECT_NE(f1->json->find("\"votes\":3"), std::string::npos);
  EXPECT_EQ(f1->sse->rfind("id: 1\nevent: results\ndata: {", 0), 0u);
  rm.Set(2, 4);
  auto f2 = *hub.Current("e1");
  EXPECT_NE(f1.get(), f2.get());
  EXPECT_NE(f1->etag, f2->etag);
  EXPECT_EQ(hub.Current("nope").status().code(), Code::kNotFound);
}

TEST_F(HubTest, PushesChangesToSubscribersOfThatElectionOnly) {
  ResultsHub hub(catalog, rm, {std::chrono::milliseconds(10), std::chrono::seconds(3600)});
  auto a = std::make_shared<Recorder>(), b = std::make_shared<Recorder>();
  rm.Set(1, 1);
  ASSERT_TRUE(hub.Subscribe("e1", a).ok());
  ASSERT_TRUE(hub.Subscribe("hidden", b).ok());
  EXPECT_EQ(a->Frames().size(), 1u);  // the current snapshot at once
  hub.Start();
  rm.Set(5, 2);
  EXPECT_TRUE(WaitUntil([&] { return a->Frames().size() >= 2; }));
  auto fa = a->Frames();
  ASSERT_GE(fa.size(), 2u);
  EXPECT_EQ(fa.back()->seq, 5u);
  EXPECT_EQ(fa[0]->seq, 1u);
  for (const auto& f : b->Frames()) {
    EXPECT_NE(f->json->find("\"election\":\"hidden\""), std::string::npos);  // never e1's frames
    EXPECT_EQ(f->json->find("\"votes\""), std::string::npos);                // hidden: no counts
  }
  a->gone = true;
  rm.Set(6, 3);
  EXPECT_TRUE(WaitUntil([&] { return hub.subscribers() == 1; }))  // the closed one is dropped
      << hub.subscribers();
  hub.Stop();
}

// admin: a viewer of a draft that is deleted is ended, and gets nothing of an election created
// again with the same id (a new connection would see that one).
TEST_F(HubTest, AViewerOfADeletedDraftIsEnded) {
  ResultsHub hub(catalog, rm, {std::chrono::milliseconds(10), std::chrono::seconds(3600)});
  Election d{"d", "Draft", {{"a", "A"}}, ElectionStatus::kDraft};
  ASSERT_TRUE(catalog.Create(d).ok());
  static_cast<memory::MemoryReadModel&>(rm).Set("d", ElectionTally{});
  auto viewer = std::make_shared<Recorder>();
  ASSERT_TRUE(hub.Subscribe("d", viewer).ok());
  ASSERT_EQ(viewer->Frames().size(), 1u);
  hub.Start();
  ASSERT_TRUE(catalog.Delete(**catalog.Get("d")).ok());
  EXPECT_TRUE(WaitUntil([&] { return viewer->ended.load(); })) << "the viewer was not ended";
  EXPECT_EQ(hub.subscribers(), 0u);
  d.title = "Another election";
  ASSERT_TRUE(catalog.Create(d).ok());
  const auto ticks = hub.ticks();
  EXPECT_TRUE(WaitUntil([&] { return hub.ticks() >= ticks + 3; }));
  EXPECT_EQ(viewer->Frames().size(), 1u) << "the ended viewer got the new election's content";
  hub.Stop();
}

// A draft's snapshot shows its visibility settings: an edit of them alone (same title and
// options, same seq and status) is a new frame with a new ETag, not a 304 of the old one.
TEST_F(HubTest, ADraftsVisibilityEditIsANewEtag) {
  ResultsHub hub(catalog, rm, {std::chrono::milliseconds(10), std::chrono::seconds(3600)});
  Election d{"v", "Draft", {{"a", "A"}}, ElectionStatus::kDraft};
  ASSERT_TRUE(catalog.Create(d).ok());
  static_cast<memory::MemoryReadModel&>(rm).Set("v", ElectionTally{});
  auto before = hub.Current("v");
  ASSERT_TRUE(before.ok());
  Election edited = **catalog.Get("v");
  edited.results_visibility = ResultsVisibility::kHiddenUntilClosed;
  edited.turnout_visibility = TurnoutVisibility::kHidden;
  ASSERT_TRUE(catalog.Update(edited).ok());
  auto after = hub.Current("v");
  ASSERT_TRUE(after.ok());
  EXPECT_NE((*before)->etag, (*after)->etag) << "the visibility edit kept the old ETag";
}

// Staleness is a visible change: with the same seq, `stale` turning on and off makes new frames
// with new ETags, pushed to subscribers; a hidden turnout never shows it (nor moves with it).
TEST_F(HubTest, StaleChangeIsPushedWithANewEtag) {
  ResultsHub hub(catalog, rm, {std::chrono::milliseconds(10), std::chrono::seconds(3600)});
  auto a = std::make_shared<Recorder>(), q = std::make_shared<Recorder>();
  rm.Set(3, 2);
  ASSERT_TRUE(hub.Subscribe("e1", a).ok());
  ASSERT_TRUE(hub.Subscribe("quiet", q).ok());
  auto fresh = *hub.Current("e1");
  auto quiet = *hub.Current("quiet");
  EXPECT_NE(fresh->json->find("\"stale\":false"), std::string::npos);
  hub.Start();
  for (const char* e : {"e1", "quiet"}) rm.MemoryReadModel::Set(e, {{{"a", 2}}, 3, 0, true});
  ASSERT_TRUE(WaitUntil([&] { return a->Frames().size() >= 2; }));
  auto stale = a->Frames().back();
  EXPECT_EQ(stale->seq, 3u);
  EXPECT_NE(stale->etag, fresh->etag);
  EXPECT_NE(stale->json->find("\"stale\":true"), std::string::npos) << *stale->json;
  EXPECT_EQ(hub.Current("quiet").value()->etag, quiet->etag);
  EXPECT_NE(hub.Current("quiet").value()->json->find("\"stale\":false"), std::string::npos);
  rm.Set(3, 2);  // fresh again, same seq
  ASSERT_TRUE(WaitUntil([&] { return a->Frames().size() >= 3; }));
  EXPECT_EQ(a->Frames().back()->etag, fresh->etag);
  EXPECT_NE(a->Frames().back()->json->find("\"stale\":false"), std::string::npos);
  hub.Stop();
  EXPECT_EQ(q->Frames().size(), 1u);  // hidden turnout: nothing pushed for staleness
}

// A stream that opens after the hub stopped (its read-side thread ran late during a drain) is
// refused rather than kept by a hub that will never tick again, and outlive the server.
TEST_F(HubTest, SubscribeAfterStopIsRefused) {
  ResultsHub hub(catalog, rm, {std::chrono::milliseconds(10), std::chrono::seconds(3600)});
  hub.Start();
  auto a = std::make_shared<Recorder>();
  ASSERT_TRUE(hub.Subscribe("e1", a).ok());
  hub.Stop();
  EXPECT_EQ(hub.subscribers(), 0u);
  auto late = std::make_shared<Recorder>();
  EXPECT_EQ(hub.Subscribe("e1", late).code(), Code::kUnavailable);
  EXPECT_EQ(hub.subscribers(), 0u);
  EXPECT_TRUE(late->Frames().empty());
}

// A new subscriber starts from the frame the tick last pushed to the others, so the next
// change reaches it like everyone else.
TEST_F(HubTest, ANewSubscriberStartsWhereTheOthersAre) {
  ResultsHub hub(catalog, rm, {std::chrono::milliseconds(10), std::chrono::seconds(3600)});
  rm.Set(1, 1);
  auto a = std::make_shared<Recorder>(), b = std::make_shared<Recorder>();
  ASSERT_TRUE(hub.Subscribe("e1", a).ok());
  ASSERT_TRUE(hub.Subscribe("e1", b).ok());
  ASSERT_EQ(b->Frames().size(), 1u);
  EXPECT_EQ(b->Frames()[0], a->Frames()[0]);
  hub.Start();
  rm.Set(2, 2);
  EXPECT_TRUE(WaitUntil([&] { return a->Frames().size() >= 2 && b->Frames().size() >= 2; }));
  EXPECT_EQ(b->Frames().back()->seq, 2u);
  hub.Stop();
}

// Issue 12 item 12: a subscriber never gets the same snapshot twice. Two copies of one snapshot
// exist when two threads build it (a viewer's connect racing with the tick), or when `stale`
// turns on and back off between two ticks while a GET looks: the tick compares ETags, so the
// copy is not pushed again (it was: the same `id:` twice on an SSE stream).
TEST_F(HubTest, TheSameSnapshotIsNeverPushedTwice) {
  ResultsHub hub(catalog, rm, {std::chrono::hours(1), std::chrono::seconds(3600)});
  rm.Set(2, 2);
  auto a = std::make_shared<Recorder>();
  hub.Start();
  ASSERT_TRUE(hub.Subscribe("e1", a).ok());
  rm.MemoryReadModel::Set("e1", {{{"a", 2}}, 2, 0, true});
  ASSERT_TRUE(hub.Current("e1").ok());  // stale, seen by a GET
  rm.Set(2, 2);
  auto copy = *hub.Current("e1");  // fresh again: a new copy of the first snapshot
  ASSERT_NE(copy, a->Frames()[0]);
  ASSERT_EQ(copy->etag, a->Frames()[0]->etag);
  hub.Wake();
  ASSERT_TRUE(WaitUntil([&] { return hub.ticks() >= 1; }));
  ASSERT_EQ(a->Frames().size(), 1u) << "the copy was pushed again";
  rm.Set(3, 3);
  hub.Wake();
  ASSERT_TRUE(WaitUntil([&] { return a->Frames().size() >= 2; }));
  EXPECT_EQ(a->Frames()[1]->seq, 3u);
  hub.Stop();
}

// A read model that knows when it changed wakes the hub: the change is pushed at once, not at
// the next tick (here an hour away).
TEST_F(HubTest, WakePushesAChangeWithoutWaitingForTheTick) {
  ResultsHub hub(catalog, rm, {std::chrono::hours(1), std::chrono::seconds(3600)});
  rm.Set(1, 1);
  auto a = std::make_shared<Recorder>();
  hub.Start();
  ASSERT_TRUE(hub.Subscribe("e1", a).ok());
  rm.Set(2, 2);
  hub.Wake();
  ASSERT_TRUE(WaitUntil([&] { return a->Frames().size() >= 2; }));
  EXPECT_EQ(a->Frames()[1]->seq, 2u);
  hub.Stop();
}

TEST_F(HubTest, HiddenResultsShowTheTotalOnlyWhenTurnoutIsPublic) {
  ResultsHub hub(catalog, rm);
  rm.Set(7, 3);
  auto pub = *hub.Current("hidden");
  EXPECT_NE(pub->json->find("\"total\":3"), std::string::npos) << *pub->json;
  EXPECT_EQ(pub->json->find("\"votes\""), std::string::npos);
  auto quiet = *hub.Current("quiet");
  EXPECT_EQ(quiet->json->find("\"total\""), std::string::npos) << *quiet->json;
  EXPECT_EQ(quiet->json->find("\"votes\""), std::string::npos);
  EXPECT_NE(quiet->json->find("\"seq\":0,"), std::string::npos) << *quiet->json;
  EXPECT_NE(quiet->json->find("\"turnout_visibility\":\"hidden\""), std::string::npos);
  EXPECT_EQ(quiet->sse->rfind("id: 0\n", 0), 0u);
  // More votes: the same frame and ETag (nothing a viewer sees moves with the votes).
  rm.Set(8, 4);
  EXPECT_EQ(hub.Current("quiet")->get(), quiet.get());
  EXPECT_NE(hub.Current("hidden")->get(), pub.get());
  // Final: everything shows.
  Election e = **catalog.Get("quiet");
  e.status = ElectionStatus::kFinal;
  ASSERT_TRUE(catalog.Update(e).ok());
  auto fin = *hub.Current("quiet");
  EXPECT_NE(fin->json->find("\"total\":4"), std::string::npos) << *fin->json;
  EXPECT_NE(fin->json->find("\"votes\":4"), std::string::npos);
  EXPECT_EQ(fin->seq, 8u);
}

TEST_F(HubTest, HiddenTurnoutPushesNoFrameWhenVotesArrive) {
  ResultsHub hub(catalog, rm, {std::chrono::milliseconds(10), std::chrono::seconds(3600)});
  auto live = std::make_shared<Recorder>(), quiet = std::make_shared<Recorder>();
  rm.Set(1, 1);
  ASSERT_TRUE(hub.Subscribe("e1", live).ok());
  ASSERT_TRUE(hub.Subscribe("quiet", quiet).ok());
  hub.Start();
  for (uint64_t seq = 2; seq <= 4; ++seq) {  // three changes, each seen by the live viewer
    rm.Set(seq, seq);
    EXPECT_TRUE(WaitUntil([&] { return live->Frames().back()->seq == seq; }));
    ASSERT_EQ(live->Frames().back()->seq, seq);
  }
  EXPECT_EQ(quiet->Frames().size(), 1u);  // only the snapshot sent at subscription
  Election e = **catalog.Get("quiet");
  e.status = ElectionStatus::kClosed;  // a visible change is still pushed
  ASSERT_TRUE(catalog.Update(e).ok());
  EXPECT_TRUE(WaitUntil([&] { return quiet->Frames().size() >= 2; }));
  ASSERT_EQ(quiet->Frames().size(), 2u);
  EXPECT_NE(quiet->Frames()[1]->json->find("\"status\":\"closed\""), std::string::npos);
  hub.Stop();
}

// A subscriber that keeps the tracker of each broadcast (as a stream holds it until its write
// ends) and reports what the test tells it to.
class TrackingRecorder : public Recorder {
 public:
  void DeliverTracked(const std::shared_ptr<const ResultFrame>& f,
                      const std::shared_ptr<DeliveryTracker>& t) override {
    Deliver(f);
    std::lock_guard lock(mu);
    trackers.push_back(t);
  }
  std::shared_ptr<DeliveryTracker> Take() {
    std::lock_guard lock(mu);
    if (trackers.empty()) return nullptr;
    auto t = std::move(trackers.back());
    trackers.clear();
    return t;
  }
  std::vector<std::shared_ptr<DeliveryTracker>> trackers;
};

// Each broadcast is measured by the server: it ends when the last viewer's copy is written or
// skipped (the last holder lets go), and counts its viewers by outcome (/metrics
// urna_broadcast_*). A heartbeat or an unchanged tick is no broadcast.
TEST_F(HubTest, EachBroadcastIsMeasuredUntilTheLastViewerIsDone) {
  ResultsHub hub(catalog, rm, {std::chrono::milliseconds(10), std::chrono::seconds(3600)});
  auto written = std::make_shared<TrackingRecorder>();
  auto skipped = std::make_shared<TrackingRecorder>();
  auto closed = std::make_shared<TrackingRecorder>();
  rm.Set(1, 1);
  for (auto& r : {written, skipped, closed}) ASSERT_TRUE(hub.Subscribe("e1", r).ok());
  EXPECT_TRUE(written->trackers.empty()) << "the snapshot on connect is no broadcast";
  const auto before_change = std::chrono::steady_clock::now();  // before any tick starts
  hub.Start();
  rm.Set(2, 2);
  ASSERT_TRUE(WaitUntil([&] { return closed->Frames().size() >= 2; }));
  const auto ticks = hub.ticks();
  ASSERT_TRUE(WaitUntil([&] { return hub.ticks() >= ticks + 3; }));
  auto tw = written->Take(), ts = skipped->Take(), tc = closed->Take();
  ASSERT_TRUE(tw && ts && tc);
  EXPECT_EQ(tw.get(), ts.get()) << "one tracker per broadcast, shared by its viewers";
  EXPECT_EQ(hub.broadcasts().duration.count, 0u) << "unchanged ticks are no broadcast";
  tw->Written();
  ts->Skipped();
  tw.reset();
  ts.reset();
  EXPECT_EQ(hub.broadcasts().duration.count, 0u) << "a viewer still holds the broadcast";
  tc.reset();  // that viewer closed without a word
  const auto ended = std::chrono::steady_clock::now();
  auto v = hub.broadcasts();
  EXPECT_EQ(v.duration.count, 1u);
  EXPECT_EQ(v.viewers, 3u);
  EXPECT_EQ(v.written, 1u);
  EXPECT_EQ(v.skipped, 1u);
  EXPECT_EQ(v.other, 1u) << "the viewer that closed first";
  EXPECT_EQ(v.reach95.count, 0u) << "1 of 3 written is not 95%";
  EXPECT_EQ(v.unreached95, 1u);
  // The duration lies between 0 and the time since before the change, in the bucket that
  // holds it (whatever the machine's load made it).
  EXPECT_GT(v.duration.sum_seconds, 0.0);
  EXPECT_LE(v.duration.sum_seconds, std::chrono::duration<double>(ended - before_change).count());
  const auto& bounds = BroadcastStats::kBounds;
  for (size_t b = 0; b < bounds.size(); ++b) {
    EXPECT_EQ(v.duration.cumulative[b], v.duration.sum_seconds <= bounds[b] ? 1u : 0u) << b;
  }
  hub.Stop();
}

}  // namespace
}  // namespace urna::results
