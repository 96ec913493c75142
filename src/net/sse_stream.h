// SseStream: a connection turned into a Server-Sent Events stream. It writes the response head,
// hands itself to the subscriber (on_open), then writes pushed events latest-wins: one write in
// flight, at most one pending (the newest), so a slow reader costs two shared messages at most.
// A write that does not finish within the timeout closes the stream. A read on the raw socket
// notices when the viewer goes away. Owned by shared_ptrs (its operations and subscribers);
// holds its connection's slot (ConnectionLimiter) until destroyed; runs on its connection's thread;
// Push may be called from any thread.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "net/connection_limiter.h"
#include "net/http_types.h"
#include "net/stream_types.h"

namespace urna::net {

class SseStream final : public PushStream, public std::enable_shared_from_this<SseStream> {
 public:
  SseStream(Stream stream, std::chrono::seconds write_timeout, ConnectionSlot slot);
  void Start(std::string head, std::function<void(std::shared_ptr<PushStream>)> on_open);

  void Push(std::shared_ptr<const std::string> message) override;
  bool closed() const override { return closed_; }

 private:
  void Write(std::shared_ptr<const std::string> message);
  void WatchForClose();
  void Close();

  Stream stream_;
  const std::chrono::seconds write_timeout_;
  std::shared_ptr<const std::string> writing_;  // the message being written
  std::shared_ptr<const std::string> pending_;  // the newest message waiting
  std::atomic<bool> closed_{false};
  std::array<char, 16> sink_;  // bytes a viewer sends are read and ignored
  ConnectionSlot slot_;        // released when the stream is destroyed
};

}  // namespace urna::net
