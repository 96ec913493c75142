// PushStreamBase: what SSE and WebSocket streams share, in one place (private to src/net):
// latest-wins delivery, the write timeout and closing. Push may be called from any thread (the
// results hub's); it keeps only the newest message and, when the stream is idle, puts the
// stream on its PushQueue's ready list. The queue's thread then writes.
//
// Invariant (what a slow viewer can cost): at most one write in flight (`writing_`), one
// pending message (`pending_`, the newest; a keep-alive never replaces data) and one control
// frame waiting (`control_`; a newer one replaces it unless it closes the stream). Order: the
// write in flight, then the control frame, then the pending message; nothing after a closing
// frame, and the stream closes once that frame is written. `scheduled_` is true while the
// stream is on the ready list or a write is in flight (whose end looks again), so a push to a
// busy stream adds nothing to any queue. A stream is on the ready list once per push that found
// it idle: normally once per drain; a control frame written before the drain also writes the
// pending message and leaves that entry stale, so a push meanwhile adds a second entry (one
// more per such control frame, a WebSocket ping about once a second); a stale entry's Flush
// finds nothing and writes nothing. So a slow viewer costs two shared messages and one control
// frame at most. A write in flight longer than the write timeout closes the stream
// (PushQueue::SweepStuck). Owned by shared_ptrs (its operations, the hub's subscriber and the
// ready list); everything but Push/PushKeepAlive/closed runs on the thread of its PushQueue.
#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <string>

#include "net/connection_limiter.h"
#include "net/http_types.h"

namespace urna::net {

class PushQueue;

class PushStreamBase : public PushStream, public std::enable_shared_from_this<PushStreamBase> {
 public:
  using Message = std::shared_ptr<const std::string>;

  PushStreamBase(PushQueue& queue, ConnectionSlot slot);
  ~PushStreamBase() override;

  using PushStream::Push;
  // Any thread. `tracker` is told Written once the message is handed whole to the kernel, or
  // Skipped if a newer message replaces it first (latest wins); nothing if the stream closes.
  void Push(Message message, std::shared_ptr<DeliveryTracker> tracker) final;
  void PushKeepAlive(Message message) final;  // any thread
  bool closed() const final { return closed_.load(std::memory_order_relaxed); }

  // On the queue's thread: writes the pending message unless one is in flight.
  void Flush();
  // On the queue's thread: a write in flight since before `deadline` closes the stream.
  void CloseIfStuck(std::chrono::steady_clock::time_point deadline);
  // On the queue's thread: closes the stream and drops what is pending.
  void Close() final;
  // On the queue's thread, when the server stops (PushQueue::CloseAll): says goodbye the way
  // the protocol has (OnShutdown: a WebSocket's close frame 1001), then Close.
  void Shutdown();
  // On the queue's thread, about once a second (PushQueue::SweepStuck) while the stream is open.
  virtual void OnSweep(std::chrono::steady_clock::time_point /*now*/) {}

 protected:
  enum class Sent { kDone, kPending, kFailed };
  // Writes `message`. kDone: written whole, now. kPending: an asynchronous write holds it and
  // calls OnSent when it ends. kFailed: the connection is broken (the caller closes it).
  virtual Sent Send(const Message& message) = 0;
  // Writes `frame` as it is (a control frame in wire form, see SendControl). Same contract.
  virtual Sent SendRaw(const Message& frame) { return Send(frame); }
  virtual void CloseTransport() = 0;
  // The server stops (Shutdown, before Close): a last word that must not block. Default: none.
  virtual void OnShutdown() {}
  // A write has started and not ended (a frame half on the wire: nothing may go in between).
  bool write_in_flight() const { return writing_ != nullptr; }

  // Once the stream is open: joins its queue's list (the write-timeout sweep, the close at stop).
  void Register();
  // Starts writing `message` as it is (SendRaw) at once, ahead of anything pushed (the SSE
  // response head, the WebSocket handshake's answer).
  void SendFirst(Message message);
  // On the queue's thread: writes `frame` (SendRaw) after the write in flight and ahead of any
  // pending message. A newer control frame replaces one still waiting, except a closing one;
  // with `then_close` the stream closes once the frame is written (and nothing follows it).
  void SendControl(Message frame, bool then_close);
  // The end of a kPending write, on the queue's thread.
  void OnSent(bool ok);
  PushQueue& queue() { return queue_; }

 private:
  using Tracker = std::shared_ptr<DeliveryTracker>;
  void Offer(Message message, Tracker tracker, bool keepalive);
  Message TakePending(Tracker& tracker);
  void WriteNext();
  // false: stopped (in flight, or closed)
  bool Write(Message message, bool control, Tracker tracker = nullptr);
  void Written();  // a write ended well

  PushQueue& queue_;
  std::mutex mu_;
  Message pending_;          // guarded by mu_: the newest message not yet written
  Tracker pending_tracker_;  // guarded by mu_: pending_'s, if it has one
  bool scheduled_ = false;   // guarded by mu_: on the ready list, or a write in flight will look
  std::atomic<bool> closed_{false};
  // The queue's thread only.
  Message writing_;
  Tracker writing_tracker_;  // writing_'s, told Written when the write ends well
  std::chrono::steady_clock::time_point writing_since_;
  Message control_;              // a control frame waiting (SendControl)
  bool control_closes_ = false;  // control_ ends the stream
  bool writing_closes_ = false;  // the write in flight ends the stream
  ConnectionSlot slot_;          // released when the stream is destroyed
};

}  // namespace urna::net
