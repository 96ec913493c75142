#include "adapters/embedded/rocksdb_ledger.h"

#include <rocksdb/db.h>

#include <memory>

#include "adapters/codec/proto_codec.h"
#include "adapters/codec/receipt_view.h"
#include "adapters/embedded/rocksdb_processor_state.h"
#include "core/partition.h"

namespace urna::embedded {

namespace {
// The receipt of a vote in the log the processor has not reached yet.
Receipt PendingReceipt(const VoteEvent& vote) {
  return Receipt{.vote_id = vote.vote_id,
                 .election_id = vote.election_id,
                 .voter_id = vote.voter_id,
                 .option_id = vote.option_id,
                 .outcome = Outcome::kPending,
                 .ingest_time_ms = vote.ingest_time_ms};
}
}  // namespace

Result<std::optional<Receipt>> EmbeddedLedger::GetReceipt(rocksdb::ColumnFamilyHandle* cf,
                                                          std::string_view key) {
  std::string v;
  auto s = db_.db()->Get(rocksdb::ReadOptions(), cf, key, &v);
  if (s.IsNotFound()) return std::optional<Receipt>();
  if (!s.ok()) return Status(Code::kUnavailable, "ledger read: " + s.ToString());
  auto r = codec::DecodeReceipt(v);
  if (!r.ok()) return r.status();
  return std::optional<Receipt>(std::move(*r));
}

Result<std::optional<Receipt>> EmbeddedLedger::FindReceipt(std::string_view vote_id) {
  auto lease = db_.Use();
  if (!lease.ok()) return lease.status();
  std::string v;
  auto s = db_.db()->Get(rocksdb::ReadOptions(), db_.receipts(), vote_id, &v);
  if (s.IsNotFound()) return std::optional<Receipt>();
  if (!s.ok()) return Status(Code::kUnavailable, "receipt read: " + s.ToString());
  if (v.size() != kLogKeySize) {  // processed: duplicate, rejected, or a voter's later counted
    auto r = codec::DecodeReceipt(v);
    if (!r.ok()) return r.status();
    return std::optional<Receipt>(std::move(*r));
  }
  // Pending pointer to the log entry, written with the vote by data dirs of before the log
  // stopped writing them. A voter's first counted vote keeps it: the voter's first ledger row
  // tells.
  std::string record;
  s = db_.db()->Get(rocksdb::ReadOptions(), db_.log(), v, &record);
  if (!s.ok()) return Status(Code::kInternal, "receipt points at a missing log entry");
  auto vote = codec::DecodeVoteRecord(record);
  if (!vote.ok()) return vote.status();
  auto counted = GetReceipt(db_.ledger(), VoterKeyBytes(vote->election_id, vote->voter_id));
  if (!counted.ok()) return counted.status();
  if (counted->has_value() && (*counted)->vote_id == vote_id) return counted;
  return std::optional<Receipt>(PendingReceipt(*vote));
}

Result<std::optional<Receipt>> EmbeddedLedger::FindReceipt(std::string_view election_id,
                                                           std::string_view voter_id,
                                                           std::string_view vote_id) {
  // Where the vote would be: its voter's partition, from the first entry not yet processed.
  // Read before the receipts: a vote not processed when they are read is at this offset or
  // later (a batch's receipts and its offset are one write), so the scan below finds it.
  const uint32_t partition = PartitionFor(election_id, voter_id, db_.partitions());
  auto next = EmbeddedProcessorState(db_).NextOffset(partition);
  if (!next.ok()) return next.status();
  auto r = FindReceipt(vote_id);  // processed (or a pending pointer of an older data dir)
  if (!r.ok()) return r.status();
  if (r->has_value()) {
    if ((*r)->election_id != election_id || (*r)->voter_id != voter_id) {
      return std::optional<Receipt>();
    }
    return r;
  }
  auto lease = db_.Use();
  if (!lease.ok()) return lease.status();
  // Counted as the voter's first vote: the ledger row is its receipt.
  auto counted = GetReceipt(db_.ledger(), VoterKeyBytes(election_id, voter_id));
  if (!counted.ok()) return counted.status();
  if (counted->has_value() && (*counted)->vote_id == vote_id) return counted;
  // Pending: in the log at or past the processor's offset. The log's entries carry no receipt row
  // of their own (one write per vote, docs/performance/single-votes.md): the log's index of
  // its recent tail says where, checked against the entry (it holds hashes).
  uint64_t scan_end = UINT64_MAX;  // without an index, the whole tail is the scan's to search
  if (tail_ != nullptr) {
    const TailIndex::Lookup hit = tail_->Find(TailIndex::Hash(vote_id), partition);
    for (uint64_t offset : hit.offsets) {
      std::string record;
      auto g = db_.db()->Get(rocksdb::ReadOptions(), db_.log(), LogKey(partition, offset), &record);
      if (g.IsNotFound()) continue;
      if (!g.ok()) return Status(Code::kUnavailable, "log read: " + g.ToString());
      auto pending = PendingIn(record, election_id, voter_id, vote_id);
      if (pending) return *pending;
    }
    // Every entry from `covered_from` on is in the index: a miss there is no vote.
    if (hit.covered_from <= *next) return std::optional<Receipt>();
    scan_end = hit.covered_from;
  }
  return ScanTail(partition, *next, scan_end, election_id, voter_id, vote_id);
}

std::optional<std::optional<Receipt>> EmbeddedLedger::PendingIn(std::string_view record,
                                                                std::string_view election_id,
                                                                std::string_view voter_id,
                                                                std::string_view vote_id) {
  if (record.find(vote_id) == std::string_view::npos) return std::nullopt;  // stored verbatim
  auto vote = codec::DecodeVoteRecord(record);
  if (!vote.ok() || vote->vote_id != vote_id) return std::nullopt;  // a seal, or another vote
  if (vote->election_id != election_id || vote->voter_id != voter_id) {
    return std::optional<Receipt>();  // not theirs
  }
  return std::optional<Receipt>(PendingReceipt(*vote));
}

Result<std::optional<Receipt>> EmbeddedLedger::ScanTail(uint32_t partition, uint64_t from,
                                                        uint64_t end, std::string_view election_id,
                                                        std::string_view voter_id,
                                                        std::string_view vote_id) {
  // One scan at a time on the API pool, each at most scan_limit_ entries: past it, or while
  // another runs, the answer is "ask again" (503), never a 404 for a vote that may be there.
  std::unique_lock<std::mutex> one(scan_mu_, std::try_to_lock);
  if (!one.owns_lock()) {
    return Status(Code::kUnavailable, "receipt_unavailable: the receipt index is busy");
  }
  rocksdb::ReadOptions ro;
  std::string upper = end == UINT64_MAX ? LogKey(partition + 1, 0) : LogKey(partition, end);
  rocksdb::Slice upper_slice(upper);
  ro.iterate_upper_bound = &upper_slice;
  std::unique_ptr<rocksdb::Iterator> it(db_.db()->NewIterator(ro, db_.log()));
  size_t seen = 0;
  for (it->Seek(LogKey(partition, from)); it->Valid(); it->Next()) {
    if (++seen > scan_limit_) {
      return Status(Code::kUnavailable,
                    "receipt_unavailable: the vote is not counted yet and the log's tail is "
                    "too long to search; retry later");
    }
    auto pending = PendingIn(it->value().ToStringView(), election_id, voter_id, vote_id);
    if (pending) return *pending;
  }
  if (!it->status().ok()) return Status(Code::kUnavailable, "log read: " + it->status().ToString());
  return std::optional<Receipt>();
}

Result<std::optional<Receipt>> EmbeddedLedger::FindCountedReceipt(std::string_view election_id,
                                                                  std::string_view voter_id) {
  auto lease = db_.Use();
  if (!lease.ok()) return lease.status();
  return GetReceipt(db_.ledger(), VoterKeyBytes(election_id, voter_id));
}

namespace {

// Rows read under one lease: a storage reopen waits for every lease (db.h), so a long scan lets
// go of its lease and iterator every this many rows, and takes them again from the next key.
constexpr uint64_t kRowsPerLease = 65'536;

// Calls `row` with the bytes of every ledger row of the election, in key order. A long
// sequential scan (recount, audit export): read ahead in large steps and keep its blocks out of
// the block cache, which serves the processor's and the receipts' look-ups. A database found
// reopening between two steps stops it with its kUnavailable.
template <typename Row>
Status ScanLedgerRows(EmbeddedDb& db, std::string_view election_id, Row&& row) {
  std::string prefix(election_id);
  prefix.push_back('\0');
  std::string from = prefix;  // where the next step starts
  for (bool more = true; more;) {
    auto lease = db.Use();
    if (!lease.ok()) return lease.status();
    rocksdb::ReadOptions ro;
    ro.readahead_size = 4 << 20;
    ro.fill_cache = false;
    std::unique_ptr<rocksdb::Iterator> it(db.db()->NewIterator(ro, db.ledger()));
    more = false;
    uint64_t n = 0;
    for (it->Seek(from); it->Valid() && it->key().starts_with(prefix); it->Next()) {
      if (n++ == kRowsPerLease) {
        more = true;  // the rest under a new lease, from `from`
        break;
      }
      Status s = Status::Ok();
      if (!row(it->value().ToStringView(), s)) return s;
      // The smallest key after the last row of the step: it followed by a 0 byte.
      if (n == kRowsPerLease) from.assign(it->key().data(), it->key().size()).push_back('\0');
    }
    if (!it->status().ok()) return Status(Code::kUnavailable, it->status().ToString());
  }
  return Status::Ok();
}

}  // namespace

Status EmbeddedLedger::ScanCounted(std::string_view election_id,
                                   const std::function<bool(const Receipt&)>& fn) {
  return ScanLedgerRows(db_, election_id, [&fn](std::string_view bytes, Status& error) {
    auto r = codec::DecodeReceipt(bytes);
    if (!r.ok()) {
      error = r.status();
      return false;
    }
    return fn(*r);
  });
}

Status EmbeddedLedger::ScanCountedViews(std::string_view election_id,
                                        const std::function<bool(const CountedVoteView&)>& fn) {
  Receipt spill;  // a row off the fast path is decoded here
  return ScanLedgerRows(db_, election_id, [&fn, &spill](std::string_view bytes, Status& error) {
    auto v = codec::DecodeCountedVoteView(bytes, &spill);
    if (!v.ok()) {
      error = v.status();
      return false;
    }
    return fn(*v);
  });
}

}  // namespace urna::embedded
