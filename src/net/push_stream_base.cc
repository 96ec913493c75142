#include "net/push_stream_base.h"

#include <utility>

#include "net/push_queue.h"

namespace urna::net {

PushStreamBase::PushStreamBase(PushQueue& queue, ConnectionSlot slot)
    : queue_(queue), slot_(std::move(slot)) {}

PushStreamBase::~PushStreamBase() = default;

void PushStreamBase::Push(Message message, Tracker tracker) {
  Offer(std::move(message), std::move(tracker), false);
}

void PushStreamBase::PushKeepAlive(Message message) { Offer(std::move(message), nullptr, true); }

void PushStreamBase::Offer(Message message, Tracker tracker, bool keepalive) {
  if (closed()) return;
  bool schedule = false;
  Tracker skipped;
  {
    std::lock_guard lock(mu_);
    // Again under mu_: a Close between the look above and here has already cleared pending_,
    // and would leave this message (and its tracker) held by a closed stream for good.
    if (closed()) return;
    if (keepalive && pending_) return;  // a message is on its way: no keep-alive needed
    pending_ = std::move(message);      // latest wins: an older pending message is dropped
    skipped = std::exchange(pending_tracker_, std::move(tracker));
    schedule = !scheduled_;
    scheduled_ = true;
  }
  if (skipped) skipped->Skipped();
  if (schedule) queue_.Schedule(shared_from_this());
}

PushStreamBase::Message PushStreamBase::TakePending(Tracker& tracker) {
  std::lock_guard lock(mu_);
  Message m = std::move(pending_);
  tracker = std::move(pending_tracker_);
  // Nothing left: the next Push schedules the stream again. Otherwise the write of `m` (or its
  // end) looks again, so the stream needs no place on the ready list meanwhile.
  if (!m) scheduled_ = false;
  return m;
}

void PushStreamBase::Flush() {
  if (writing_) return;  // its end (OnSent) takes what is pending
  WriteNext();
}

void PushStreamBase::WriteNext() {
  while (!closed()) {
    if (control_) {
      writing_closes_ = control_closes_;
      if (!Write(std::move(control_), true)) return;
      continue;
    }
    Tracker tracker;
    Message m = TakePending(tracker);
    if (!m || !Write(std::move(m), false, std::move(tracker))) return;
  }
}

void PushStreamBase::SendControl(Message frame, bool then_close) {
  if (closed() || (control_ && control_closes_) || writing_closes_) return;
  control_ = std::move(frame);
  control_closes_ = then_close;
  if (!writing_) WriteNext();
}

void PushStreamBase::Written() {
  writing_.reset();
  if (writing_tracker_) std::exchange(writing_tracker_, nullptr)->Written();
  if (writing_closes_) Close();
}

bool PushStreamBase::Write(Message message, bool control, Tracker tracker) {
  if (closed()) return false;
  writing_ = std::move(message);
  writing_tracker_ = std::move(tracker);
  writing_since_ = std::chrono::steady_clock::now();
  queue_.CountWrite();
  switch (control ? SendRaw(writing_) : Send(writing_)) {
    case Sent::kDone:
      Written();
      return !closed();
    case Sent::kPending:
      return false;
    case Sent::kFailed:
      writing_.reset();
      writing_tracker_.reset();
      Close();
      return false;
  }
  return false;
}

void PushStreamBase::Register() { queue_.Add(shared_from_this()); }

void PushStreamBase::SendFirst(Message message) {
  {
    std::lock_guard lock(mu_);
    scheduled_ = true;  // pushes wait for this write: its end takes them
  }
  if (Write(std::move(message), /*control=*/true)) WriteNext();  // as it is (SendRaw)
}

void PushStreamBase::OnSent(bool ok) {
  if (!ok) {
    writing_.reset();
    writing_tracker_.reset();
    return Close();  // includes a write cancelled by the write-timeout sweep
  }
  Written();
  WriteNext();
}

void PushStreamBase::CloseIfStuck(std::chrono::steady_clock::time_point deadline) {
  if (writing_ && writing_since_ < deadline) Close();
}

void PushStreamBase::Shutdown() {
  if (closed()) return;
  OnShutdown();
  Close();
}

void PushStreamBase::Close() {
  if (closed_.exchange(true)) return;
  {
    std::lock_guard lock(mu_);
    pending_.reset();
    pending_tracker_.reset();
  }
  control_.reset();
  CloseTransport();  // a write in flight ends (OnSent) and lets go of its tracker
}

}  // namespace urna::net
