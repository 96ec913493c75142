// DeliveryTracker: what became of one message handed to many push streams at once (a broadcast
// of the results hub, results/broadcast.h). Each stream that took the message reports once:
// Written (handed whole to the kernel) or Skipped (replaced by a newer message before it was
// written: latest wins); a stream that closed first reports nothing. Shared by the streams
// (shared_ptr) and called from their threads; implementations are thread-safe. Lives in core
// so that the network layer (which reports) and the results hub (which measures) share it
// without depending on each other.
#pragma once

namespace urna {

class DeliveryTracker {
 public:
  virtual ~DeliveryTracker() = default;
  virtual void Written() = 0;
  virtual void Skipped() = 0;
};

}  // namespace urna
