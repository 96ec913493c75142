#include "net/body_pipe.h"

#include <utility>

namespace urna::net {

bool BodyPipe::Write(std::string_view data) {
  std::function<void()> wake;
  {
    MutexLock lock(mu_);
    while (!cancelled_ && buffer_.size() >= max_buffered_) space_.Wait(mu_);
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
    MutexLock lock(mu_);
    finished_ = true;
    wake = std::exchange(wake_, nullptr);
  }
  if (wake) wake();
}

void BodyPipe::Cancel() {
  std::function<void()> wake;
  {
    MutexLock lock(mu_);
    cancelled_ = true;
    wake = std::exchange(wake_, nullptr);
  }
  space_.NotifyAll();
  if (wake) wake();
}

BodyPipe::State BodyPipe::Take(std::string& out, const std::function<void()>& wake) {
  MutexLock lock(mu_);
  if (cancelled_) return State::kCancelled;
  if (!buffer_.empty()) {
    out.clear();
    std::swap(out, buffer_);
    space_.NotifyAll();
    return State::kData;
  }
  if (finished_) return State::kDone;
  wake_ = wake;
  return State::kWait;
}

}  // namespace urna::net
