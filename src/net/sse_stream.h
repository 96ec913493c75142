// SseStream: a connection turned into a Server-Sent Events stream. It writes the response head,
// hands itself to the subscriber (on_open), then writes pushed events latest-wins
// (PushStreamBase). A write is first tried at once on the non-blocking socket (an event is a few
// hundred bytes and the send buffer is usually empty), so a broadcast costs one send per viewer
// and no asynchronous operation; only what does not fit waits for the socket. A read on the
// socket notices when the viewer goes away. Owned by shared_ptrs (its operations and
// subscribers); holds its connection's slot until destroyed; runs on its PushQueue's thread
// (a read-side thread, see HttpServerOptions::stream_threads); Push may be called from any thread.
#pragma once

#include <array>
#include <functional>
#include <memory>
#include <string>

#include "net/push_stream_base.h"
#include "net/stream_types.h"

namespace urna::net {

class SseStream final : public PushStreamBase {
 public:
  SseStream(Socket socket, PushQueue& queue, ConnectionSlot slot);
  // On the queue's thread.
  void Start(std::string head, std::function<void(std::shared_ptr<PushStream>)> on_open);

 private:
  Sent Send(const Message& message) override;
  void CloseTransport() override;
  void WatchForClose();

  Socket socket_;
  std::array<char, 16> sink_;  // bytes a viewer sends are read and ignored
};

}  // namespace urna::net
