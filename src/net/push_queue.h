// PushQueue: the push streams living on one io_context (private to src/net). The results hub
// (any thread) puts a stream on the ready list when it has a new message for an idle stream;
// one task per burst, not one per stream, then writes them all on the queue's thread. A stream
// is on the list once, whatever the number of ticks it missed (PushStreamBase keeps only the
// newest message; the rare stale entry a control frame leaves is described there), so a read
// side that falls behind sheds to latest-wins instead of queueing. Also keeps the list of its
// streams, for the write-timeout sweep and the close at stop. Owned by a Shard (server_internal.h);
// Schedule from any thread, the rest on the queue's thread.
#pragma once

#include <boost/asio/io_context.hpp>

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

// Where push writes ran (structural evidence that broadcasts stay off the network threads).
struct PushWriteCounters {
  std::atomic<uint64_t> network{0}, read_side{0}, other{0};
};

class PushQueue {
 public:
  PushQueue(boost::asio::io_context& ctx, PushWriteCounters& counters)
      : ctx_(ctx), counters_(counters) {}

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
  void Drain();

  boost::asio::io_context& ctx_;
  PushWriteCounters& counters_;
  std::mutex mu_;
  std::vector<std::shared_ptr<PushStreamBase>> ready_;     // guarded by mu_
  bool drain_posted_ = false;                              // guarded by mu_
  std::vector<std::shared_ptr<PushStreamBase>> draining_;  // the queue's thread
  std::vector<std::weak_ptr<PushStreamBase>> streams_;     // the queue's thread
};

}  // namespace urna::net
