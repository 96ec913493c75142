// PushQueue: the push streams living on one io_context (private to src/net). The results hub
// (any thread) puts a stream on the ready list when it has a new message for an idle stream;
// one task per burst, not one per stream, then writes them on the queue's thread. A stream is on
// the list once, whatever the number of ticks it missed (PushStreamBase keeps only the newest
// message; the rare stale entry a control frame leaves is described there), so a read side that
// falls behind sheds to latest-wins instead of queueing. Also keeps the list of its streams, for
// the write-timeout sweep and the close at stop. Owned by a Shard (server_internal.h); Schedule
// from any thread, the rest on the queue's thread.
//
// Pacing (PushPacing, docs/performance/mixed.md): the streams ready
// at once (a round: normally one tick's broadcast) are written in slices of `slice` streams, one
// task each, so other work on this thread (a stream opening, a write's end, the sweep) waits for
// one slice at most; the slices are spaced so that a round takes about `spread`, not one burst;
// and the writes may use `budget` of this thread's CPU time per `period` (the tick): once a
// slice ends over it, the rest of the round (and any new round) waits for the next period, and
// a stream pushed to meanwhile writes only the newest message (latest wins). The budget is
// checked between slices, so a period may overrun it by up to one slice's CPU time. Each round
// starts one slice further into the ready streams than the last, so the same viewers do not
// always come last.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

namespace urna::net {

class PushStreamBase;

// What kind of thread runs the calling code; set once by each thread HttpServer starts.
enum class ThreadRole { kOther, kNetwork, kReadSide };
void SetThreadRole(ThreadRole role);
ThreadRole CurrentThreadRole();

// How a queue paces its writes (set from HttpServerOptions before the threads start).
struct PushPacing {
  size_t slice = 0;                     // streams per task; 0 = the whole round in one task
  std::chrono::microseconds spread{0};  // a round's slices spaced over about this; 0 = at once
  std::chrono::microseconds budget{0};  // CPU time of writes per period; 0 = no budget
  std::chrono::microseconds period{250000};
};

// Shared by the queues of one server: where push writes ran (structural evidence that broadcasts
// stay off the network threads), the budget's effect, and the pacing.
struct PushWriteCounters {
  std::atomic<uint64_t> network{0}, read_side{0}, other{0};
  std::atomic<uint64_t> budget_exhausted{0};  // periods whose budget ran out with streams left
  // Streams left waiting for a later period by the budget, each counted once per round (a
  // round: the streams ready at once) however many periods it waits.
  std::atomic<uint64_t> deferred{0};
  PushPacing pacing;  // read only once the threads run
};

class PushQueue {
 public:
  PushQueue(boost::asio::io_context& ctx, PushWriteCounters& counters)
      : ctx_(ctx), counters_(counters), timer_(ctx) {}

  boost::asio::io_context& ctx() { return ctx_; }
  // Any thread: `stream` has a message to write; it runs Flush on the queue's thread soon.
  void Schedule(std::shared_ptr<PushStreamBase> stream);
  // The queue's thread: a new stream of this queue.
  void Add(const std::shared_ptr<PushStreamBase>& stream);
  // The queue's thread: closes the streams whose write has been in flight longer than
  // `timeout`, gives the others their periodic look (OnSweep: the WebSocket keep-alive), and
  // forgets the streams that are gone.
  void SweepStuck(std::chrono::steady_clock::time_point now, std::chrono::seconds timeout);
  // The queue's thread: closes every stream (server stop; each says goodbye first, see
  // PushStreamBase::Shutdown).
  void CloseAll();
  // The queue's thread: one message is being written (counted by the kind of thread).
  void CountWrite();
  size_t size() const { return streams_.size(); }  // the queue's thread

 private:
  using Clock = std::chrono::steady_clock;
  void Drain();     // one slice of the round (a new round first if none is under way)
  void Continue();  // the next slice: now, after the spread's gap, or in the next period

  boost::asio::io_context& ctx_;
  PushWriteCounters& counters_;
  std::mutex mu_;
  std::vector<std::shared_ptr<PushStreamBase>> ready_;  // guarded by mu_
  bool drain_posted_ = false;  // guarded by mu_: a Drain is posted, waiting or a round is on
  // The queue's thread.
  std::vector<std::shared_ptr<PushStreamBase>> draining_;  // the round
  size_t next_ = 0;                                        // draining_[next_] is written next
  Clock::time_point slice_started_{};                      // the last slice's start
  Clock::time_point period_started_{};                     // the budget's current period
  std::chrono::nanoseconds used_{0};                       // CPU time spent in this period
  bool period_exhausted_ = false;    // this period's budget ran out (counted once)
  bool round_deferred_ = false;      // this round's waiting streams were counted (once)
  size_t round_offset_ = 0;          // where in the ready streams the last round started
  boost::asio::steady_timer timer_;  // a spaced or deferred slice
  std::vector<std::weak_ptr<PushStreamBase>> streams_;
};

}  // namespace urna::net
