#include "ingest/ref_recording_log.h"

#include <pthread.h>
#include <spdlog/spdlog.h>

#include <memory>
#include <string>
#include <utility>

namespace urna {

RefRecordingLog::RefRecordingLog(VoteLog& inner, GatewayRefs& refs) : inner_(inner), refs_(refs) {
  thread_ = std::thread([this] {
    pthread_setname_np(pthread_self(), "urna-gwrefs");
    Run();
  });
}

RefRecordingLog::~RefRecordingLog() {
  {
    MutexLock lock(mu_);
    stopping_ = true;
  }
  cv_.NotifyAll();
  thread_.join();
}

void RefRecordingLog::AppendGroup(std::vector<KeyedVote> votes, GroupDone done) {
  std::vector<std::pair<std::string, std::string>> keys;  // key, fingerprint
  keys.reserve(votes.size());
  for (auto& v : votes) keys.emplace_back(v.key, v.fingerprint);
  inner_.AppendGroup(std::move(votes), [this, keys = std::move(keys), done = std::move(done)](
                                           std::vector<Result<std::string>> results) mutable {
    auto job = [this, keys = std::move(keys), done = std::move(done),
                results = std::move(results)]() mutable {
      std::vector<std::pair<std::string, GatewayRef>> refs;
      for (size_t i = 0; i < keys.size(); ++i) {
        if (!keys[i].first.empty() && results[i].ok()) {
          refs.emplace_back(std::move(keys[i].first),
                            GatewayRef{*results[i], std::move(keys[i].second)});
        }
      }
      if (!refs.empty()) {
        if (auto s = refs_.Record(refs); !s.ok()) {
          // The votes are durable: they stand. Only a retry of them would be a new vote.
          spdlog::warn("{} gateway refs not stored (their votes are durable): {}", refs.size(),
                       s.message());
        }
      }
      done(std::move(results));
    };
    {
      MutexLock lock(mu_);
      work_.push_back(std::move(job));
    }
    cv_.NotifyOne();
  });
}

void RefRecordingLog::Drain() {
  inner_.Drain();
  MutexLock lock(mu_);
  while (!work_.empty() || busy_) idle_cv_.Wait(mu_);
}

void RefRecordingLog::Run() {
  for (;;) {
    std::function<void()> job;
    {
      MutexLock lock(mu_);
      busy_ = false;
      if (work_.empty()) idle_cv_.NotifyAll();
      while (work_.empty() && !stopping_) cv_.Wait(mu_);
      if (work_.empty()) return;
      job = std::move(work_.front());
      work_.pop_front();
      busy_ = true;
    }
    job();
  }
}

}  // namespace urna
