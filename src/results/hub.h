// ResultsHub: the read side's fan-out (docs/architecture.md §4). Keeps the latest snapshot of each
// election as one immutable frame, serialized once, and on every tick (default 250 ms), when a
// watched election changed, hands the same bytes to each of its subscribers. Subscribers deliver
// "latest wins" and bounded (see net::PushStream); the hub never waits for one.
// Owned by the app; one tick thread; Current/Subscribe are thread-safe.
#pragma once

#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "core/delivery_tracker.h"
#include "core/election.h"
#include "ports/catalog.h"
#include "ports/clock.h"
#include "ports/read_model.h"
#include "results/broadcast.h"
#include "sync/mutex.h"

namespace urna::results {

// One snapshot, serialized once for every viewer.
struct ResultFrame {
  uint64_t seq = 0;
  std::string etag;  // quoted, changes with any visible change: "<seq>-<status>[-stale]" (a draft:
                     // plus a content hash)
  std::shared_ptr<const std::string> json;  // the snapshot JSON
  std::shared_ptr<const std::string> sse;   // "id: <seq>\nevent: results\ndata: <json>\n\n"
};

// A viewer connection. Called from the hub's thread; must not block.
class Subscriber {
 public:
  virtual ~Subscriber() = default;
  virtual void Deliver(const std::shared_ptr<const ResultFrame>& frame) = 0;
  // A tick's broadcast of a changed frame: `tracker` (results/broadcast.h) is to be told what
  // became of it for this viewer (written or skipped). Default: Deliver, untracked.
  virtual void DeliverTracked(const std::shared_ptr<const ResultFrame>& frame,
                              const std::shared_ptr<DeliveryTracker>& /*tracker*/) {
    Deliver(frame);
  }
  virtual void Heartbeat() = 0;
  virtual bool closed() const = 0;
  // admin: the election is gone (a deleted draft): the hub has dropped this subscriber and it
  // gets nothing more (not even the content of an election created again with that id); a
  // connection ends here. Default: nothing.
  virtual void End() {}
};

struct HubOptions {
  std::chrono::milliseconds tick{250};
  std::chrono::seconds heartbeat{
      15};  // `urna serve` sets it to HttpServerOptions::stream_keepalive
};

class ResultsHub {
 public:
  ResultsHub(Catalog& catalog, ReadModel& read_model, HubOptions options = {});
  ~ResultsHub();

  void Start();
  // Stops the tick and lets go of every subscriber (call before the network layer stops).
  void Stop();

  // The current frame of an election (rebuilt only when something visible changed).
  Result<std::shared_ptr<const ResultFrame>> Current(std::string_view election_id);
  // Sends the current frame at once, then every change.
  Status Subscribe(std::string_view election_id, std::shared_ptr<Subscriber> subscriber);
  size_t subscribers() const;
  // Any thread: something changed; the hub looks now (or one tick after its last push).
  void Wake();
  // Ticks run so far (the periodic ones and those Wake asked for).
  uint64_t ticks() const;
  // Each broadcast's time to reach 95% of its viewers, its duration, and its viewers written /
  // skipped (results/broadcast.h).
  BroadcastStats::View broadcasts() const { return broadcast_stats_->view(); }

 private:
  struct Watched {
    std::vector<std::shared_ptr<Subscriber>> subs;  // dropped on the first tick after they close
    std::shared_ptr<const ResultFrame> pushed;
  };
  void Run();
  // true: a changed frame was pushed. `started`: the tick's start (each broadcast's from).
  bool Tick(bool heartbeat, std::chrono::steady_clock::time_point started);
  void EndWatchers(const std::string& election_id);  // the election was deleted

  Catalog& catalog_;
  ReadModel& read_model_;
  const HubOptions opts_;

  mutable Mutex mu_;
  std::map<std::string, std::shared_ptr<const ResultFrame>, std::less<>> frames_ GUARDED_BY(mu_);
  std::map<std::string, Watched, std::less<>> watched_ GUARDED_BY(mu_);
  bool stopped_ GUARDED_BY(mu_) = false;  // Stop ran: Subscribe refuses

  Mutex stop_mu_;
  CondVar stop_cv_;
  bool stopping_ GUARDED_BY(stop_mu_) = false;
  bool woken_ GUARDED_BY(stop_mu_) = false;  // Wake since the last tick
  std::atomic<uint64_t> ticks_{0};
  const std::shared_ptr<BroadcastStats> broadcast_stats_ = std::make_shared<BroadcastStats>();
  std::thread thread_;
};

}  // namespace urna::results
