// MemoryAdmission: a VoteAdmission fake for unit tests of the ingest. Admits every vote unless a
// refusal is set (as a distributed node without a valid lease would refuse), and counts the
// tickets out and the tickets ever given. Thread-safe.
#pragma once

#include <atomic>

#include "ports/election_lifecycle.h"
#include "sync/mutex.h"

namespace urna::memory {

class MemoryAdmission final : public VoteAdmission {
 public:
  Result<Ticket> Enter(std::string_view) override {
    {
      MutexLock lock(mu_);
      if (!refusal_.ok()) return refusal_;
    }
    ++out_;
    ++given_;
    return Ticket(this);
  }
  // Every Enter answers `s` from now on (Status::Ok() admits again).
  void Refuse(Status s) {
    MutexLock lock(mu_);
    refusal_ = std::move(s);
  }
  int out() const { return out_; }      // tickets not yet destroyed
  int given() const { return given_; }  // tickets ever given

 private:
  void Leave() override { --out_; }

  Mutex mu_;
  Status refusal_ GUARDED_BY(mu_);
  std::atomic<int> out_{0}, given_{0};
};

}  // namespace urna::memory
