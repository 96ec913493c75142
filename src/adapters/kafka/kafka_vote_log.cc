#include "adapters/kafka/kafka_vote_log.h"

#include <spdlog/spdlog.h>

#include <atomic>
#include <map>
#include <thread>

#include "adapters/codec/proto_codec.h"
#include "adapters/kafka/kafka_handle.h"
#include "core/partition.h"
#include "sync/mutex.h"

namespace urna::kafka {

namespace {

// The copies of one seal (one per partition): the seal is done when the last is reported.
struct SealGroup {
  explicit SealGroup(int copies, VoteLog::AppendDone d) : remaining(copies), done(std::move(d)) {}
  std::atomic<int> remaining;
  Mutex mu;
  Status error GUARDED_BY(mu);
  VoteLog::AppendDone done;

  // Records one copy's result; completes the seal after the last copy.
  void Report(const Status& s) {
    if (!s.ok()) {
      MutexLock lock(mu);
      if (error.ok()) error = s;
    }
    if (remaining.fetch_sub(1) == 1) {
      Status out;
      {
        MutexLock lock(mu);
        out = error;
      }
      done(out);
    }
  }
};

// One produced message awaiting its delivery report (librdkafka's per-message opaque).
struct Pending {
  VoteLog::AppendDone done;         // a vote's completion; empty for a seal's copy
  std::shared_ptr<SealGroup> seal;  // a seal's copy: the group it reports to
  uint64_t epoch = 0;               // Flush generation the message was admitted in
};

std::string VoteKey(std::string_view election, std::string_view voter) {
  std::string key;
  key.reserve(election.size() + 1 + voter.size());
  key.append(election).push_back('\0');
  key.append(voter);
  return key;
}

// One librdkafka producer and the thread that serves its delivery reports. Replaced whole after
// a fatal error (an idempotent producer cannot go on after one).
struct Producer {
  Handle rk;
  rd_kafka_topic_t* rkt = nullptr;
  std::atomic<bool> stop{false};
  std::thread poller;
  ~Producer() {
    stop = true;
    if (poller.joinable()) poller.join();
    if (rkt) rd_kafka_topic_destroy(rkt);
  }
};

}  // namespace

struct KafkaVoteLog::Impl {
  KafkaConfig config;
  KafkaLogOptions opts;
  uint32_t partitions = 0;
  std::atomic<std::shared_ptr<Producer>> producer;

  Mutex mu;
  CondVar cv;
  uint64_t epoch GUARDED_BY(mu) = 0;
  std::map<uint64_t, size_t> outstanding GUARDED_BY(mu);  // epoch -> appends not yet completed
  size_t in_flight GUARDED_BY(mu) = 0;
  int waiters GUARDED_BY(mu) = 0;
  bool draining GUARDED_BY(mu) = false;

  std::atomic<uint64_t> delivered{0}, failed{0}, refused{0}, restarts{0};
  std::atomic<bool> closing{false};
  Mutex replace_mu;
  bool replacing GUARDED_BY(replace_mu) = false;
  std::thread replacer GUARDED_BY(replace_mu);

  // Takes `n` in-flight slots; the epoch they belong to, or why not.
  Result<uint64_t> Admit(size_t n) {
    MutexLock lock(mu);
    if (draining) return Status(Code::kUnavailable, "the vote log is shutting down");
    if (in_flight + n > opts.max_in_flight) {
      return Status(Code::kUnavailable, "too many votes in flight to Kafka (max " +
                                            std::to_string(opts.max_in_flight) + "): try again");
    }
    in_flight += n;
    outstanding[epoch] += n;
    return epoch;
  }

  // Gives back `n` slots of `e` once their messages are reported (or were never produced).
  void Complete(uint64_t e, size_t n) {
    if (n == 0) return;
    MutexLock lock(mu);
    in_flight -= n;
    auto it = outstanding.find(e);
    if ((it->second -= n) == 0) outstanding.erase(it);
    if (waiters > 0) cv.NotifyAll();
  }

  // True once every append admitted in an epoch <= `last` has completed.
  bool EpochsDone(uint64_t last) REQUIRES(mu) {
    return outstanding.empty() || outstanding.begin()->first > last;
  }

  // Waits until every append admitted in an epoch <= `last` has completed (true), or until
  // `deadline` (false).
  bool WaitEpochs(uint64_t last, std::chrono::steady_clock::time_point deadline) REQUIRES(mu) {
    ++waiters;
    while (!EpochsDone(last) && cv.WaitUntil(mu, deadline)) {
    }
    --waiters;
    return EpochsDone(last);
  }

  // Produces one message; on failure completes its slot and returns why.
  Status Produce(Producer& prod, uint32_t partition, const std::string& key,
                 const std::string& value, Pending* p) {
    if (rd_kafka_produce(prod.rkt, static_cast<int32_t>(partition), RD_KAFKA_MSG_F_COPY,
                         const_cast<char*>(value.data()), value.size(), key.data(), key.size(),
                         p) == 0) {
      return Status::Ok();
    }
    rd_kafka_resp_err_t err = rd_kafka_last_error();
    if (err == RD_KAFKA_RESP_ERR__FATAL) Replace(prod.rk.get());
    Complete(p->epoch, 1);
    refused += 1;
    return KafkaError("Kafka did not take the vote", err);
  }

  static void OnDelivery(rd_kafka_t*, const rd_kafka_message_t* m, void* opaque) {
    auto* self = static_cast<Impl*>(opaque);
    std::unique_ptr<Pending> p(static_cast<Pending*>(m->_private));
    Status s;
    if (m->err) {
      self->failed += 1;
      s = KafkaError("Kafka did not acknowledge the vote", m->err);
    } else {
      self->delivered += 1;
    }
    if (p->seal) {
      p->seal->Report(s);
    } else {
      p->done(std::move(s));
    }
    self->Complete(p->epoch, 1);
  }

  static void OnError(rd_kafka_t* rk, int err, const char* reason, void* opaque) {
    if (err != RD_KAFKA_RESP_ERR__FATAL) {
      spdlog::warn("kafka vote log: {}", reason);  // librdkafka recovers by itself
      return;
    }
    char why[512] = "";
    rd_kafka_fatal_error(rk, why, sizeof why);
    spdlog::error("kafka vote log: the producer failed for good ({}): replacing it", why);
    static_cast<Impl*>(opaque)->Replace(rk);
  }

  // A producer with urna's settings, its poll thread running.
  Result<std::shared_ptr<Producer>> NewProducer() {
    const std::string timeout = std::to_string(opts.delivery_timeout.count());
    auto conf =
        NewConf(config,
                {{"client.id", opts.client_id},
                 {"linger.ms", std::to_string(opts.linger.count())},
                 // librdkafka's own queue never refuses before the in-flight bound does.
                 {"queue.buffering.max.messages", std::to_string(opts.max_in_flight + 64)},
                 // A request to a broker that hangs fails within the bound too, not only queued
                 // messages; a properties file may lower it so a lost answer is retried within it.
                 {"request.timeout.ms", timeout}},
                {{"enable.idempotence", "true"},
                 // A topic is made by `urna init`, never by a vote to a mistyped topic name.
                 {"allow.auto.create.topics", "false"},
                 {"acks", "all"},
                 {"message.timeout.ms", timeout}});
    if (!conf.ok()) return conf.status();
    rd_kafka_conf_set_dr_msg_cb(conf->get(), &Impl::OnDelivery);
    rd_kafka_conf_set_error_cb(conf->get(), &Impl::OnError);
    rd_kafka_conf_set_opaque(conf->get(), this);
    auto rk = NewHandle(RD_KAFKA_PRODUCER, std::move(*conf));
    if (!rk.ok()) return rk.status();
    auto p = std::make_shared<Producer>();
    p->rk = std::move(*rk);
    p->poller = std::thread([raw = p.get()] {
      pthread_setname_np(pthread_self(), "urna-kafka-log");
      while (!raw->stop) rd_kafka_poll(raw->rk.get(), 100);
    });
    return p;
  }

  // Gives `p` its topic handle. Only once the topic is known to exist: librdkafka's producer
  // asks the cluster about a topic it has a handle of, and a cluster that creates topics on
  // demand (auto-create) would make it.
  Status AttachTopic(Producer& p) {
    p.rkt = rd_kafka_topic_new(p.rk.get(), config.topic.c_str(), nullptr);
    return p.rkt ? Status::Ok() : KafkaError("topic " + config.topic, rd_kafka_last_error());
  }

  // Starts replacing the producer `which` (after its fatal error), once, off its threads.
  void Replace(rd_kafka_t* which) {
    MutexLock lock(replace_mu);
    std::shared_ptr<Producer> now = producer.load();
    if (replacing || closing || !now || now->rk.get() != which) return;
    replacing = true;
    if (replacer.joinable()) replacer.join();  // the previous replacement, finished
    replacer = std::thread([this] { RunReplacement(); });
  }

  // New appends go to a fresh producer; the old one's messages fail now (503) rather than at
  // their timeout, and it goes once their reports are served.
  void RunReplacement() {
    std::shared_ptr<Producer> old = producer.load();
    std::shared_ptr<Producer> fresh;
    while (!fresh && !closing) {
      auto made = NewProducer();
      Status attached = made.ok() ? AttachTopic(**made) : made.status();
      if (attached.ok()) {
        fresh = std::move(*made);
      } else {
        spdlog::error("kafka vote log: cannot make a new producer: {}", attached.message());
        std::this_thread::sleep_for(std::chrono::seconds(1));
      }
    }
    if (fresh) {
      producer.store(fresh);
      restarts += 1;
      spdlog::info("kafka vote log: a new producer takes the appends");
    }
    rd_kafka_purge(old->rk.get(), RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
    const auto deadline =
        std::chrono::steady_clock::now() + opts.delivery_timeout + std::chrono::seconds(5);
    while ((rd_kafka_outq_len(old->rk.get()) > 0 || old.use_count() > 1) &&
           std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    old.reset();
    MutexLock lock(replace_mu);
    replacing = false;
  }
};

Result<std::unique_ptr<KafkaVoteLog>> KafkaVoteLog::Open(const KafkaConfig& config,
                                                         KafkaLogOptions options) {
  if (options.delivery_timeout < std::chrono::milliseconds(1) || options.max_in_flight == 0) {
    return Status(Code::kInvalidArgument,
                  "the Kafka delivery timeout and the in-flight bound must be positive");
  }
  auto impl = std::make_unique<Impl>();
  impl->config = config;
  impl->opts = options;
  auto producer = impl->NewProducer();
  if (!producer.ok()) return producer.status();
  auto n = PartitionCount((*producer)->rk.get(), config.topic, options.metadata_timeout);
  if (!n.ok()) {
    if (n.status().code() == Code::kNotFound) {
      return Status(Code::kNotFound, n.status().message() + ": create it with `urna init`");
    }
    return n.status();
  }
  impl->partitions = *n;
  if (auto s = impl->AttachTopic(**producer); !s.ok()) return s;
  impl->producer.store(std::move(*producer));
  spdlog::info("kafka vote log: topic {} ({} partitions), delivery timeout {} ms, max {} in flight",
               config.topic, impl->partitions, options.delivery_timeout.count(),
               options.max_in_flight);
  return std::unique_ptr<KafkaVoteLog>(new KafkaVoteLog(std::move(impl)));
}

KafkaVoteLog::KafkaVoteLog(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

KafkaVoteLog::~KafkaVoteLog() {
  Drain();
  Impl& i = *impl_;
  std::thread replacer;
  {
    MutexLock lock(i.replace_mu);
    i.closing = true;
    replacer = std::move(i.replacer);
  }
  if (replacer.joinable()) replacer.join();
  i.producer.store(nullptr);  // stops its poll thread, then destroys the handle
}

uint32_t KafkaVoteLog::partitions() const { return impl_->partitions; }

void KafkaVoteLog::Append(VoteEvent vote, AppendDone done) {
  auto epoch = impl_->Admit(1);
  if (!epoch.ok()) {
    impl_->refused += 1;
    return done(epoch.status());
  }
  const uint32_t partition = PartitionFor(vote.election_id, vote.voter_id, impl_->partitions);
  const std::string key = VoteKey(vote.election_id, vote.voter_id);
  const std::string value = codec::EncodeVoteRecord(vote);
  auto p = std::make_unique<Pending>(Pending{std::move(done), nullptr, *epoch});
  std::shared_ptr<Producer> prod = impl_->producer.load();
  if (auto s = impl_->Produce(*prod, partition, key, value, p.get()); !s.ok()) return p->done(s);
  p.release();  // OnDelivery owns it now
}

void KafkaVoteLog::AppendSeal(SealMarker seal, AppendDone done) {
  const uint32_t n = impl_->partitions;
  auto epoch = impl_->Admit(n);
  if (!epoch.ok()) {
    impl_->refused += 1;
    return done(epoch.status());
  }
  const std::string key = VoteKey(seal.election_id, "");
  const std::string value = codec::EncodeSealRecord(seal);
  auto group = std::make_shared<SealGroup>(static_cast<int>(n), std::move(done));
  std::shared_ptr<Producer> prod = impl_->producer.load();
  for (uint32_t p = 0; p < n; ++p) {
    auto pending = std::make_unique<Pending>(Pending{nullptr, group, *epoch});
    if (auto s = impl_->Produce(*prod, p, key, value, pending.get()); !s.ok()) {
      // The copies not produced count as failed; those produced still report.
      impl_->Complete(*epoch, n - p - 1);
      for (uint32_t rest = p; rest < n; ++rest) group->Report(s);
      return;
    }
    pending.release();
  }
}

void KafkaVoteLog::Drain() {
  Impl& i = *impl_;
  MutexLock lock(i.mu);
  i.draining = true;
  // Every message is reported within the delivery timeout; a margin for the report's way back.
  auto deadline = std::chrono::steady_clock::now() + i.opts.delivery_timeout + i.opts.linger +
                  std::chrono::seconds(5);
  if (i.WaitEpochs(UINT64_MAX, deadline)) return;
  spdlog::error("kafka vote log: {} appends still unreported after the delivery timeout; purging",
                i.in_flight);
  lock.Unlock();
  rd_kafka_purge(i.producer.load()->rk.get(), RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
  lock.Lock();
  i.WaitEpochs(UINT64_MAX, std::chrono::steady_clock::now() + std::chrono::seconds(5));
}

bool KafkaVoteLog::Flush(std::chrono::milliseconds timeout) {
  Impl& i = *impl_;
  MutexLock lock(i.mu);
  const uint64_t target = i.epoch++;
  return i.WaitEpochs(target, std::chrono::steady_clock::now() + timeout);
}

KafkaLogStats KafkaVoteLog::stats() const {
  KafkaLogStats s;
  s.delivered = impl_->delivered;
  s.failed = impl_->failed;
  s.refused = impl_->refused;
  s.restarts = impl_->restarts;
  MutexLock lock(impl_->mu);
  s.in_flight = impl_->in_flight;
  return s;
}

}  // namespace urna::kafka

namespace urna::kafka {

void KafkaVoteLog::InjectFatalErrorForTest() {
  rd_kafka_test_fatal_error(impl_->producer.load()->rk.get(),
                            RD_KAFKA_RESP_ERR_OUT_OF_ORDER_SEQUENCE_NUMBER, "injected by a test");
}

}  // namespace urna::kafka
