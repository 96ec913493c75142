#include "results/hub.h"

#include <spdlog/spdlog.h>

#include <cstdio>
#include <functional>
#include <string_view>

#include "core/snapshot.h"
#include "results/snapshot_json.h"

namespace urna::results {

ResultsHub::ResultsHub(Catalog& catalog, ReadModel& read_model, HubOptions options)
    : catalog_(catalog), read_model_(read_model), opts_(options) {}

ResultsHub::~ResultsHub() { Stop(); }

void ResultsHub::Start() {
  thread_ = std::thread([this] {
    pthread_setname_np(pthread_self(), "urna-hub");
    Run();
  });
}

void ResultsHub::Stop() {
  {
    MutexLock lock(stop_mu_);
    stopping_ = true;
  }
  stop_cv_.NotifyAll();
  if (thread_.joinable()) thread_.join();
  MutexLock lock(mu_);
  stopped_ = true;  // a stream opening now (its thread was late) is not kept past the stop
  watched_.clear();
}

namespace {

// admin: a draft's title, options and visibility settings may be edited (or the draft deleted
// and its id created again) without its seq or status moving: its ETag carries a hash of what
// its snapshot shows, so an edit makes a new frame. Empty once opened (that no longer changes).
std::string DraftContentTag(const Election& e) {
  if (e.status != ElectionStatus::kDraft) return "";
  size_t h = std::hash<std::string_view>{}(e.title);
  for (const auto& o : e.options) {
    h = h * 31 + std::hash<std::string_view>{}(o.id);
    h = h * 31 + std::hash<std::string_view>{}(o.label);
  }
  h = h * 31 + static_cast<size_t>(e.results_visibility);
  h = h * 31 + static_cast<size_t>(e.turnout_visibility);
  char buf[24];
  std::snprintf(buf, sizeof buf, "-%08zx", h & 0xffffffffu);
  return buf;
}

}  // namespace

Result<std::shared_ptr<const ResultFrame>> ResultsHub::Current(std::string_view election_id) {
  auto election = catalog_.Get(election_id);
  if (!election.ok()) return election.status();
  auto tally = read_model_.Get(election_id);
  if (!tally.ok()) return tally.status();
  // A hidden turnout shows seq 0 and never stale: then neither the ETag nor a pushed frame moves
  // with the votes. Staleness is a visible change: `stale` turning on or off makes a new frame
  // (and a new ETag) even when seq stays.
  const bool hides = (*election)->HidesTurnout();
  const bool final =
      (*election)->status == ElectionStatus::kFinal;  // never stale (core/snapshot.h)
  uint64_t seq = hides ? 0 : tally->seq;
  std::string etag = "\"" + std::to_string(seq) + "-" + std::string(ToString((*election)->status)) +
                     (tally->stale && !hides && !final ? "-stale" : "") +
                     DraftContentTag(**election) + "\"";
  {
    MutexLock lock(mu_);
    auto it = frames_.find(election_id);
    if (it != frames_.end() && it->second->etag == etag) return it->second;
  }
  auto frame = std::make_shared<ResultFrame>();
  frame->seq = seq;
  frame->etag = std::move(etag);
  std::string body = SnapshotJson(BuildSnapshot(**election, *tally));
  frame->sse = std::make_shared<const std::string>("id: " + std::to_string(frame->seq) +
                                                   "\nevent: results\ndata: " + body + "\n\n");
  frame->json = std::make_shared<const std::string>(std::move(body));
  std::shared_ptr<const ResultFrame> out = std::move(frame);
  MutexLock lock(mu_);
  auto& held = frames_[std::string(election_id)];
  // Another thread built the same snapshot meanwhile (a subscriber's connect and the tick): one
  // copy is kept, so the frame served and the frame pushed stay the same object.
  if (held && held->etag == out->etag) return held;
  held = out;
  return out;
}

Status ResultsHub::Subscribe(std::string_view election_id, std::shared_ptr<Subscriber> sub) {
  auto frame = Current(election_id);
  if (!frame.ok()) return frame.status();
  MutexLock lock(mu_);
  if (stopped_) return Status(Code::kUnavailable, "the results hub is stopped");
  auto& w = watched_[std::string(election_id)];
  w.subs.push_back(sub);
  // The current snapshot at once (also after a reconnect): the one the tick last pushed to the
  // others, if any, so that the next tick's "changed?" holds for this subscriber too (a frame
  // read before that tick would leave it one change behind until the next). Delivered under
  // the lock so a tick's later frame cannot reach it first. Deliver only queues (non-blocking).
  if (!w.pushed) w.pushed = *frame;
  sub->Deliver(w.pushed);
  return Status::Ok();
}

size_t ResultsHub::subscribers() const {
  MutexLock lock(mu_);
  size_t n = 0;
  for (const auto& [id, w] : watched_) n += w.subs.size();
  return n;
}

void ResultsHub::Wake() {
  {
    MutexLock lock(stop_mu_);
    woken_ = true;
  }
  stop_cv_.NotifyAll();
}

uint64_t ResultsHub::ticks() const { return ticks_.load(std::memory_order_relaxed); }

void ResultsHub::Run() {
  using Clock = std::chrono::steady_clock;
  auto next_heartbeat = Clock::now() + opts_.heartbeat;
  auto next_tick = Clock::now() + opts_.tick;
  auto last_push = Clock::time_point::min();
  MutexLock lock(stop_mu_);
  for (;;) {
    // Until the next tick, or a Wake once a tick's time has passed since the last push.
    for (;;) {
      if (stopping_) return;
      auto at = next_tick;
      if (woken_ && last_push + opts_.tick < at) at = last_push + opts_.tick;
      if (Clock::now() >= at) break;
      stop_cv_.WaitUntil(stop_mu_, at);
    }
    woken_ = false;
    lock.Unlock();
    bool heartbeat = Clock::now() >= next_heartbeat;
    if (heartbeat) next_heartbeat += opts_.heartbeat;
    auto started = Clock::now();
    bool pushed = Tick(heartbeat, started);
    ticks_.fetch_add(1, std::memory_order_relaxed);
    lock.Lock();
    if (pushed) last_push = started;
    next_tick = Clock::now() + opts_.tick;
  }
}

bool ResultsHub::Tick(bool heartbeat, std::chrono::steady_clock::time_point started) {
  bool pushed = false;
  std::vector<std::string> ids;
  {
    MutexLock lock(mu_);
    for (auto it = watched_.begin(); it != watched_.end();) {
      auto& subs = it->second.subs;
      std::erase_if(subs, [](const std::shared_ptr<Subscriber>& s) { return s->closed(); });
      if (subs.empty()) {
        it = watched_.erase(it);
      } else {
        ids.push_back(it->first);
        ++it;
      }
    }
  }
  for (const auto& id : ids) {
    auto frame = Current(id);
    if (!frame.ok() && frame.status().code() == Code::kNotFound) {
      EndWatchers(id);
      continue;
    }
    if (!frame.ok()) {
      spdlog::warn("results hub: {}: {}", id, frame.status().message());
      continue;
    }
    std::vector<std::shared_ptr<Subscriber>> subs;
    bool changed = false;
    {
      MutexLock lock(mu_);
      auto it = watched_.find(id);
      if (it == watched_.end()) continue;
      // By ETag, not by object: a copy of the snapshot already pushed is not a change.
      const auto& last = it->second.pushed;
      changed = !last || last->etag != (*frame)->etag;
      if (changed) it->second.pushed = *frame;
      if (!changed && !heartbeat) continue;
      subs = it->second.subs;
    }
    pushed = pushed || changed;
    // Measured from the tick's start until 95% of the viewers' copies are written, and until the
    // last one is written or skipped (the last holder of `broadcast` lets go).
    auto broadcast = changed && !subs.empty()
                         ? std::make_shared<Broadcast>(broadcast_stats_, started, subs.size())
                         : nullptr;
    for (auto& s : subs) {
      if (changed) s->DeliverTracked(*frame, broadcast);
      if (heartbeat) s->Heartbeat();
    }
  }
  return pushed;
}

void ResultsHub::EndWatchers(const std::string& election_id) {
  std::vector<std::shared_ptr<Subscriber>> subs;
  {
    MutexLock lock(mu_);
    auto it = watched_.find(election_id);
    if (it == watched_.end()) return;
    subs = std::move(it->second.subs);
    watched_.erase(it);
    frames_.erase(election_id);
  }
  for (auto& s : subs) s->End();
}

}  // namespace urna::results
