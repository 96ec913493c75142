#include "net/body_pipe.h"

#include <utility>

namespace urna::net {

bool BodyPipe::Write(std::string_view data) {
  std::function<void()> wake;
  {
    std::unique_lock lock(mu_);
    space_.wait(lock, [&] { return cancelled_ || buffer_.size() < max_buffered_; });
    if (cancelled_) return false;
    buffer_.append(data);
    wake = std::exchange(wake_, nullptr);
  }
  if (wake) wake();
  return true;
}

void BodyPipe::Finish() {
  std::function<void()> wake;
  {
    std::lock_guard lock(mu_);
    finished_ = true;
    wake = std::exchange(wake_, nullptr);
  }
  if (wake) wake();
}

void BodyPipe::Cancel() {
  std::function<void()> wake;
  {
    std::lock_guard lock(mu_);
    cancelled_ = true;
    wake = std::exchange(wake_, nullptr);
  }
  space_.notify_all();
  if (wake) wake();
}

BodyPipe::State BodyPipe::Take(std::string& out, const std::function<void()>& wake) {
  std::lock_guard lock(mu_);
  if (cancelled_) return State::kCancelled;
  if (!buffer_.empty()) {
    out.clear();
    std::swap(out, buffer_);
    space_.notify_all();
    return State::kData;
  }
  if (finished_) return State::kDone;
  wake_ = wake;
  return State::kWait;
}

}  // namespace urna::net
