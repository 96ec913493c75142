// RefRecordingLog: the distributed ingest's vote log for gateway batches. Wraps the log ingest
// appends to (the fenced Kafka log) and, once a group's votes are durable, stores each keyed
// vote's (gateway, election, ref) -> vote_id in GatewayRefs, so a retry of the batch is answered
// with the same votes (IngestService::CastBatch looks them up first). The store is written on a
// thread of its own (the log's completions run on the Kafka client's thread, which must not
// block), and the group is answered after it. A ref whose write failed is only logged: its vote
// is durable and stands; a retry of that ref would be appended again as a new vote of the same
// voter, so it is still counted once (the retry becomes a `duplicate` of the first).
// Every other call goes straight to the wrapped log. Owned by the ingest role; thread-safe.
#pragma once

#include <deque>
#include <functional>
#include <thread>

#include "ports/gateway_store.h"
#include "ports/vote_log.h"
#include "sync/mutex.h"

namespace urna {

class RefRecordingLog final : public VoteLog {
 public:
  RefRecordingLog(VoteLog& inner, GatewayRefs& refs);
  ~RefRecordingLog() override;  // finishes the queued ref writes

  uint32_t partitions() const override { return inner_.partitions(); }
  void Append(VoteEvent vote, AppendDone done) override {
    inner_.Append(std::move(vote), std::move(done));
  }
  void AppendGroup(std::vector<KeyedVote> votes, GroupDone done) override;
  void AppendSeal(SealMarker seal, AppendDone done) override {
    inner_.AppendSeal(std::move(seal), std::move(done));
  }
  void Drain() override;

 private:
  void Run();

  VoteLog& inner_;
  GatewayRefs& refs_;
  Mutex mu_;
  CondVar cv_;
  CondVar idle_cv_;
  std::deque<std::function<void()>> work_ GUARDED_BY(mu_);
  bool busy_ GUARDED_BY(mu_) = false;
  bool stopping_ GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace urna
