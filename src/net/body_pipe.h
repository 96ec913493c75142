// BodyPipe: a response body produced on another thread (never a network thread) and written
// by the connection as it goes, with backpressure: the producer's Write blocks while
// `max_buffered` bytes wait to be sent, so a large body (a ledger export) holds a bounded
// amount of memory however slowly the client reads. If the connection goes away (client gone,
// write timeout, server stop) or Cancel is called, Write returns false and the producer stops.
// Shared by the producer and the connection (shared_ptr); thread-safe.
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>

#include "sync/mutex.h"

namespace urna::net {

class BodyPipe {
 public:
  explicit BodyPipe(size_t max_buffered = 256 * 1024) : max_buffered_(max_buffered) {}

  // Producer side. Appends `data`; blocks while the buffer is full. false: nobody will read
  // any more (stop producing).
  bool Write(std::string_view data);
  // The body is complete.
  void Finish();
  // Either side: the body will not be completed; the connection is closed without its end.
  void Cancel();

  // Connection side.
  enum class State { kData, kWait, kDone, kCancelled };
  // kData: `out` now holds the buffered bytes (swapped out). kWait: nothing buffered yet, and
  // `wake` will be called once (from the producer's thread) when there is; kDone / kCancelled.
  State Take(std::string& out, const std::function<void()>& wake);

  size_t max_buffered() const { return max_buffered_; }

 private:
  const size_t max_buffered_;
  Mutex mu_;
  CondVar space_;
  std::string buffer_ GUARDED_BY(mu_);
  std::function<void()> wake_ GUARDED_BY(mu_);  // set while the connection waits
  bool finished_ GUARDED_BY(mu_) = false;
  bool cancelled_ GUARDED_BY(mu_) = false;
};

}  // namespace urna::net
