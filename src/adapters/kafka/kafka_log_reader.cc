#include "adapters/kafka/kafka_log_reader.h"

#include <spdlog/spdlog.h>

#include <atomic>
#include <cstring>
#include <map>
#include <thread>
#include <utility>

#include "adapters/codec/proto_codec.h"
#include "adapters/kafka/kafka_handle.h"
#include "sync/mutex.h"

namespace urna::kafka {

namespace {

enum class SlotState { kUnassigned, kAssigning, kAssigned };

// One partition of the topic as this consumer sees it.
struct Slot {
  rd_kafka_queue_t* queue = nullptr;  // the partition's own fetch queue (not forwarded)
  SlotState state = SlotState::kUnassigned;
  int64_t position = -1;  // offset the queue delivers next; -1: unknown (Read seeks)
  // [quiet_from, position) holds no urna record (records that did not decode, or offset gaps):
  // a Read from there starts at `position` without a seek, so the reader passes such a
  // record once instead of going back to it at every idle Read. -1: none.
  int64_t quiet_from = -1;
  uint64_t generation = 0;  // bumped at each (re)assignment
};

struct ListDeleter {
  void operator()(rd_kafka_topic_partition_list_t* l) const {
    rd_kafka_topic_partition_list_destroy(l);
  }
};
using PartitionList = std::unique_ptr<rd_kafka_topic_partition_list_t, ListDeleter>;

PartitionList OneOffset(const std::string& topic, uint32_t partition, uint64_t offset) {
  PartitionList l(rd_kafka_topic_partition_list_new(1));
  rd_kafka_topic_partition_list_add(l.get(), topic.c_str(), static_cast<int32_t>(partition))
      ->offset = static_cast<int64_t>(offset);
  return l;
}

// Takes a librdkafka error object; ok when null.
Status Consume(rd_kafka_error_t* e, const std::string& what) {
  if (!e) return Status::Ok();
  Status s(Code::kUnavailable, what + ": " + rd_kafka_error_string(e));
  rd_kafka_error_destroy(e);
  return s;
}

}  // namespace

struct KafkaLogReader::Impl {
  KafkaReaderOptions opts;
  std::string topic;
  Handle rk;
  rd_kafka_topic_t* rkt = nullptr;
  uint32_t partitions = 0;

  mutable Mutex mu;
  CondVar cv;  // a slot left kAssigning
  std::vector<Slot> slots GUARDED_BY(mu);
  // One per partition, held by Read from the position check through the consume, so
  // concurrent Reads of one partition (recount jobs sharing the reader) never move its queue
  // under each other; never contended on the processor's path (one thread per partition).
  // Taken before `mu`.
  std::unique_ptr<Mutex[]> reading;
  AssignmentListener* listener GUARDED_BY(mu) = nullptr;
  bool subscribed GUARDED_BY(mu) = false;
  bool closed GUARDED_BY(mu) = false;

  std::atomic<uint64_t> read{0}, skipped{0}, seeks{0}, rebalances{0};
  std::atomic<bool> stop{false};
  std::thread poller;

  // The partitions of `list` that are ours (this topic, below the partition count).
  std::vector<uint32_t> Ours(const rd_kafka_topic_partition_list_t* list) const {
    std::vector<uint32_t> out;
    for (int i = 0; i < list->cnt; ++i) {
      const auto& e = list->elems[i];
      if (topic == e.topic && e.partition >= 0 && static_cast<uint32_t>(e.partition) < partitions) {
        out.push_back(static_cast<uint32_t>(e.partition));
      } else {
        spdlog::warn(
            "kafka reader: {} [{}] assigned but not read (the topic had {} partitions "
            "at start-up: restart the processors)",
            e.topic, e.partition, partitions);
      }
    }
    return out;
  }

  void SetState(const std::vector<uint32_t>& ids, SlotState state) {
    MutexLock lock(mu);
    for (uint32_t p : ids) {
      slots[p].state = state;
      if (state != SlotState::kAssigned) {
        slots[p].position = -1;
        slots[p].quiet_from = -1;
      }
      if (state == SlotState::kAssigning) ++slots[p].generation;
    }
    cv.NotifyAll();
  }

  AssignmentListener* Listener() {
    MutexLock lock(mu);
    return listener;
  }

  void Assign(rd_kafka_t* rk, rd_kafka_topic_partition_list_t* list, bool cooperative) {
    std::vector<uint32_t> ids = Ours(list);
    SetState(ids, SlotState::kAssigning);
    std::map<uint32_t, uint64_t> starts;
    if (AssignmentListener* l = Listener()) starts = l->OnAssigned(ids);
    for (int i = 0; i < list->cnt; ++i) {
      auto& e = list->elems[i];
      auto it = topic == e.topic ? starts.find(static_cast<uint32_t>(e.partition)) : starts.end();
      e.offset = it == starts.end() ? RD_KAFKA_OFFSET_BEGINNING : static_cast<int64_t>(it->second);
    }
    Status s = cooperative ? Consume(rd_kafka_incremental_assign(rk, list), "assign")
                           : KafkaErrorOrOk("assign", rd_kafka_assign(rk, list));
    if (!s.ok()) {
      spdlog::error("kafka reader: cannot take the assigned partitions: {}", s.message());
      SetState(ids, SlotState::kUnassigned);
      if (AssignmentListener* l = Listener()) l->OnRevoked(ids);
      return;
    }
    MutexLock lock(mu);
    for (uint32_t p : ids) {
      slots[p].state = SlotState::kAssigned;
      auto it = starts.find(p);
      slots[p].position = it == starts.end() ? -1 : static_cast<int64_t>(it->second);
      slots[p].quiet_from = -1;
    }
    cv.NotifyAll();
    spdlog::info("kafka reader: assigned {} partitions ({} in all)", ids.size(), CountAssigned());
  }

  void Revoke(rd_kafka_t* rk, rd_kafka_topic_partition_list_t* list, bool cooperative) {
    std::vector<uint32_t> ids = Ours(list);
    // The processors finish their batches in hand (reading on if they need to), then the
    // partitions stop being readable here.
    if (AssignmentListener* l = Listener()) l->OnRevoked(ids);
    SetState(ids, SlotState::kUnassigned);
    Status s = cooperative ? Consume(rd_kafka_incremental_unassign(rk, list), "unassign")
                           : KafkaErrorOrOk("unassign", rd_kafka_assign(rk, nullptr));
    if (!s.ok()) spdlog::warn("kafka reader: {}", s.message());
    spdlog::info("kafka reader: revoked {} partitions{}", ids.size(),
                 rd_kafka_assignment_lost(rk) ? " (lost)" : "");
  }

  size_t CountAssigned() const REQUIRES(mu) {
    size_t n = 0;
    for (const auto& s : slots) n += s.state == SlotState::kAssigned;
    return n;
  }

  static Status KafkaErrorOrOk(const std::string& what, rd_kafka_resp_err_t err) {
    return err ? KafkaError(what, err) : Status::Ok();
  }

  static void OnRebalance(rd_kafka_t* rk, rd_kafka_resp_err_t err,
                          rd_kafka_topic_partition_list_t* list, void* opaque) {
    auto* self = static_cast<Impl*>(opaque);
    self->rebalances += 1;
    const bool cooperative = std::strcmp(rd_kafka_rebalance_protocol(rk), "COOPERATIVE") == 0;
    if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
      self->Assign(rk, list, cooperative);
    } else if (err == RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS) {
      self->Revoke(rk, list, cooperative);
    } else {
      spdlog::error("kafka reader: rebalance failed: {}", rd_kafka_err2str(err));
      self->Revoke(rk, list, false);
    }
  }

  static void OnCommit(rd_kafka_t*, rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t*,
                       void*) {
    // Progress reports only (lag monitoring): a failure after a revocation is expected.
    if (err && err != RD_KAFKA_RESP_ERR__NO_OFFSET) {
      spdlog::debug("kafka reader: group offset commit: {}", rd_kafka_err2str(err));
    }
  }

  // Serves the group's events (rebalances, commit results, errors) until stopped, then leaves
  // the group (which revokes what is still assigned, on this thread).
  void Poll() {
    pthread_setname_np(pthread_self(), "urna-kafka-grp");
    while (!stop) {
      rd_kafka_message_t* m = rd_kafka_consumer_poll(rk.get(), 100);
      if (!m) continue;
      if (m->err) {
        spdlog::warn("kafka reader: {}", rd_kafka_message_errstr(m));
      }  // else: a partition beyond the count at start-up (warned at assignment): not read
      rd_kafka_message_destroy(m);
    }
    rd_kafka_consumer_close(rk.get());
  }
};

Result<std::unique_ptr<KafkaLogReader>> KafkaLogReader::Open(const KafkaConfig& config,
                                                             KafkaReaderOptions options) {
  if (options.group_id.empty()) {
    return Status(Code::kInvalidArgument, "the Kafka consumer group id is empty");
  }
  auto impl = std::make_unique<Impl>();
  impl->opts = options;
  impl->topic = config.topic;
  auto conf = NewConf(config,
                      {{"client.id", options.client_id},
                       {"partition.assignment.strategy", "cooperative-sticky"},
                       {"enable.partition.eof", "false"}},
                      {{"group.id", options.group_id},
                       {"enable.auto.commit", "false"},
                       {"enable.auto.offset.store", "false"},
                       // A position the log no longer (or not yet) has is an error, never a
                       // silent jump: the processor's checkpoint says where to read.
                       {"auto.offset.reset", "error"}});
  if (!conf.ok()) return conf.status();
  rd_kafka_conf_set_rebalance_cb(conf->get(), &Impl::OnRebalance);
  rd_kafka_conf_set_offset_commit_cb(conf->get(), &Impl::OnCommit);
  rd_kafka_conf_set_opaque(conf->get(), impl.get());
  auto rk = NewHandle(RD_KAFKA_CONSUMER, std::move(*conf));
  if (!rk.ok()) return rk.status();
  impl->rk = std::move(*rk);
  impl->rkt = rd_kafka_topic_new(impl->rk.get(), config.topic.c_str(), nullptr);
  if (!impl->rkt) return KafkaError("topic " + config.topic, rd_kafka_last_error());
  auto n = PartitionCount(impl->rk.get(), config.topic, options.metadata_timeout);
  if (!n.ok()) {
    rd_kafka_topic_destroy(impl->rkt);
    if (n.status().code() == Code::kNotFound) {
      return Status(Code::kNotFound, n.status().message() + ": create it with `urna init`");
    }
    return n.status();
  }
  impl->partitions = *n;
  impl->reading = std::make_unique<Mutex[]>(*n);
  {
    MutexLock lock(impl->mu);
    impl->slots.resize(*n);
    for (uint32_t p = 0; p < *n; ++p) {
      // The partition's own queue, taken off the consumer queue before any assignment, so
      // none of its messages can land elsewhere (librdkafka keeps an application's forwarding).
      Slot& s = impl->slots[p];
      s.queue = rd_kafka_queue_get_partition(impl->rk.get(), config.topic.c_str(),
                                             static_cast<int32_t>(p));
      rd_kafka_queue_forward(s.queue, nullptr);
    }
  }
  return std::unique_ptr<KafkaLogReader>(new KafkaLogReader(std::move(impl)));
}

KafkaLogReader::KafkaLogReader(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

KafkaLogReader::~KafkaLogReader() {
  Unsubscribe();
  Impl& i = *impl_;
  bool closed;
  {
    MutexLock lock(i.mu);
    closed = std::exchange(i.closed, true);
  }
  if (!closed) rd_kafka_consumer_close(i.rk.get());
  MutexLock lock(i.mu);
  for (auto& s : i.slots) rd_kafka_queue_destroy(s.queue);
  rd_kafka_topic_destroy(i.rkt);
}

uint32_t KafkaLogReader::partitions() const { return impl_->partitions; }

Result<std::vector<LogEntry>> KafkaLogReader::Read(uint32_t partition, uint64_t from, size_t max,
                                                   std::chrono::milliseconds wait) {
  Impl& i = *impl_;
  if (partition >= i.partitions) {
    return Status(Code::kInvalidArgument, "no partition " + std::to_string(partition));
  }
  if (max == 0) return std::vector<LogEntry>{};
  const auto deadline = std::chrono::steady_clock::now() + wait;
  MutexLock reading(i.reading[partition]);  // this partition's queue is ours until we return
  bool seek;
  uint64_t generation;
  rd_kafka_queue_t* queue;
  {
    MutexLock lock(i.mu);
    if (i.closed) return Status(Code::kUnavailable, "the Kafka reader is closed");
    Slot& s = i.slots[partition];
    if (!i.subscribed && s.state == SlotState::kUnassigned) {
      // No group: read the partition asked for, from where asked.
      auto list = OneOffset(i.topic, partition, from);
      if (auto st = Consume(rd_kafka_incremental_assign(i.rk.get(), list.get()), "assign");
          !st.ok()) {
        return st;
      }
      s.state = SlotState::kAssigned;
      s.position = static_cast<int64_t>(from);
      s.quiet_from = -1;
      ++s.generation;
    }
    while (s.state == SlotState::kAssigning && i.cv.WaitUntil(i.mu, deadline)) {
    }
    if (s.state == SlotState::kAssigning) return std::vector<LogEntry>{};
    if (s.state == SlotState::kUnassigned) {
      return Status(Code::kUnavailable, "partition " + std::to_string(partition) +
                                            " is not assigned to this processor");
    }
    const auto at = static_cast<int64_t>(from);
    // No seek when the queue stands at `from`, or past records from `from` on that hold no
    // urna record (what it delivers next is what a Read from `from` returns first).
    seek = s.position != at && !(s.quiet_from >= 0 && s.quiet_from <= at && at < s.position);
    generation = s.generation;
    queue = s.queue;
  }
  if (seek) {
    auto list = OneOffset(i.topic, partition, from);
    Status st = Consume(rd_kafka_seek_partitions(i.rk.get(), list.get(),
                                                 static_cast<int>(i.opts.metadata_timeout.count())),
                        "seek partition " + std::to_string(partition));
    if (st.ok() && list->elems[0].err) st = KafkaError("seek", list->elems[0].err);
    if (!st.ok()) return st;
    i.seeks += 1;
    MutexLock lock(i.mu);
    if (i.slots[partition].generation == generation) {
      i.slots[partition].position = static_cast<int64_t>(from);
      i.slots[partition].quiet_from = -1;
    }
  }

  // Waits for the first message only, then takes what else is there at once.
  std::vector<rd_kafka_message_t*> msgs(std::min<size_t>(max, 8192));
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
      deadline - std::chrono::steady_clock::now());
  if (seek) {
    // After a seek the first fetch at `from` may wait for the one in flight before it (a
    // long poll at the partition's end, fetch.wait.max.ms): when the partition is known to
    // have entries at `from`, wait for them (within the seek's bound) rather than answer empty
    // and have the next Read, maybe another replay's, seek again.
    int64_t low = 0, high = 0;
    if (rd_kafka_get_watermark_offsets(i.rk.get(), i.topic.c_str(), static_cast<int32_t>(partition),
                                       &low, &high) == RD_KAFKA_RESP_ERR_NO_ERROR &&
        static_cast<int64_t>(from) < high) {
      left = std::max(left, i.opts.metadata_timeout);
    }
  }
  ssize_t got = 0;
  if (rd_kafka_message_t* first = rd_kafka_consume_queue(queue, std::max<int>(0, left.count()))) {
    msgs[0] = first;
    got = 1;
    if (msgs.size() > 1) {
      ssize_t more = rd_kafka_consume_batch_queue(queue, 0, msgs.data() + 1, msgs.size() - 1);
      if (more > 0) got += more;
    }
  }
  std::vector<LogEntry> out;
  out.reserve(static_cast<size_t>(got));
  Status error;
  int64_t next = -1;
  for (ssize_t k = 0; k < got; ++k) {
    rd_kafka_message_t* m = msgs[k];
    if (m->err) {
      if (error.ok()) {
        error = Status(Code::kUnavailable, "reading partition " + std::to_string(partition) + ": " +
                                               rd_kafka_message_errstr(m));
      }
    } else if (m->offset >= static_cast<int64_t>(from)) {  // older ones: before a seek
      next = m->offset + 1;
      auto rec =
          codec::DecodeLogRecord(std::string_view(static_cast<const char*>(m->payload), m->len));
      if (!rec.ok() || (!rec->vote && !rec->seal)) {
        i.skipped += 1;
        spdlog::error("kafka reader: partition {} offset {}: not a urna log record, skipped",
                      partition, m->offset);
      } else {
        LogEntry e;
        e.partition = partition;
        e.offset = static_cast<uint64_t>(m->offset);
        if (rec->vote) e.vote = std::move(*rec->vote);
        e.seal = std::move(rec->seal);
        out.push_back(std::move(e));
      }
    }
    rd_kafka_message_destroy(m);
  }
  {
    MutexLock lock(i.mu);
    Slot& s = i.slots[partition];
    if (s.generation == generation) {
      if (next >= 0) {
        // The queue passed every record below `next`; those after the last entry returned
        // (all of them when none was) are not urna records: the next Read goes on from `next`.
        s.position = next;
        s.quiet_from =
            out.empty() ? static_cast<int64_t>(from) : static_cast<int64_t>(out.back().offset) + 1;
      } else if (!error.ok()) {
        s.position = -1;  // seek on the next Read
        s.quiet_from = -1;
      }
    }
  }
  if (out.empty() && next < 0 && !error.ok()) return error;
  if (!error.ok()) spdlog::warn("kafka reader: {}", error.message());
  i.read += out.size();
  return out;
}

std::optional<uint64_t> KafkaLogReader::KnownEndOffset(uint32_t partition) {
  int64_t low = 0, high = 0;
  if (rd_kafka_get_watermark_offsets(impl_->rk.get(), impl_->topic.c_str(),
                                     static_cast<int32_t>(partition), &low,
                                     &high) != RD_KAFKA_RESP_ERR_NO_ERROR ||
      high < 0) {
    return std::nullopt;  // not fetched yet (RD_KAFKA_OFFSET_INVALID)
  }
  return static_cast<uint64_t>(high);
}

Result<uint64_t> KafkaLogReader::EndOffset(uint32_t partition) {
  int64_t low = 0, high = 0;
  rd_kafka_resp_err_t err = rd_kafka_query_watermark_offsets(
      impl_->rk.get(), impl_->topic.c_str(), static_cast<int32_t>(partition), &low, &high,
      static_cast<int>(impl_->opts.metadata_timeout.count()));
  if (err) return KafkaError("end offset of partition " + std::to_string(partition), err);
  return static_cast<uint64_t>(high);
}

Status KafkaLogReader::Subscribe(AssignmentListener& listener) {
  Impl& i = *impl_;
  {
    MutexLock lock(i.mu);
    if (i.closed) return Status(Code::kUnavailable, "the Kafka reader is closed");
    if (i.subscribed) return Status(Code::kConflict, "already subscribed");
    for (const auto& s : i.slots) {
      if (s.state != SlotState::kUnassigned) {
        return Status(Code::kConflict, "partitions were read without the group: cannot join it");
      }
    }
    i.listener = &listener;
    i.subscribed = true;
  }
  PartitionList topics(rd_kafka_topic_partition_list_new(1));
  rd_kafka_topic_partition_list_add(topics.get(), i.topic.c_str(), RD_KAFKA_PARTITION_UA);
  if (rd_kafka_resp_err_t err = rd_kafka_subscribe(i.rk.get(), topics.get())) {
    MutexLock lock(i.mu);
    i.subscribed = false;
    i.listener = nullptr;
    return KafkaError("subscribe to " + i.topic, err);
  }
  i.poller = std::thread([p = &i] { p->Poll(); });
  return Status::Ok();
}

void KafkaLogReader::Unsubscribe() {
  Impl& i = *impl_;
  {
    MutexLock lock(i.mu);
    if (!i.subscribed || i.closed) return;
  }
  i.stop = true;
  i.poller.join();  // the poll thread leaves the group, revoking on its way out
  MutexLock lock(i.mu);
  i.closed = true;  // the group's consumer cannot be reused once it left
  i.listener = nullptr;
  for (auto& s : i.slots) s.state = SlotState::kUnassigned;
}

void KafkaLogReader::CommitProgress(uint32_t partition, uint64_t next_offset) {
  {
    MutexLock lock(impl_->mu);
    if (!impl_->subscribed || impl_->closed) return;
  }
  auto list = OneOffset(impl_->topic, partition, next_offset);
  rd_kafka_commit(impl_->rk.get(), list.get(), 1 /* async */);
}

std::vector<uint32_t> KafkaLogReader::assigned() const {
  MutexLock lock(impl_->mu);
  std::vector<uint32_t> out;
  for (uint32_t p = 0; p < impl_->slots.size(); ++p) {
    if (impl_->slots[p].state == SlotState::kAssigned) out.push_back(p);
  }
  return out;
}

KafkaReaderStats KafkaLogReader::stats() const {
  KafkaReaderStats s;
  s.read = impl_->read;
  s.skipped = impl_->skipped;
  s.seeks = impl_->seeks;
  s.rebalances = impl_->rebalances;
  MutexLock lock(impl_->mu);
  s.assigned = impl_->CountAssigned();
  return s;
}

}  // namespace urna::kafka
