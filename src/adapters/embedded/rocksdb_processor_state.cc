#include "adapters/embedded/rocksdb_processor_state.h"

#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>

#include <algorithm>
#include <memory>
#include <utility>
#include <vector>

#include "adapters/codec/proto_codec.h"
#include "adapters/codec/receipt_wire.h"

namespace urna::embedded {
namespace {

// Keys per MultiGet call (CountedVotes).
constexpr size_t kMultiGetSlice = 32;

std::string PartitionKey(uint32_t partition) {
  std::string k;
  PutU32(k, partition);
  return k;
}

// offsets CF: [u32 partition] -> next offset; [u32 partition] 0x01 election -> closed_at (seal).
std::string SealKey(uint32_t partition, std::string_view election) {
  std::string k = PartitionKey(partition);
  k.push_back('\x01');
  k.append(election);
  return k;
}

std::string TallyKey(uint32_t partition, std::string_view election, std::string_view option) {
  std::string k = PartitionKey(partition);
  k.append(election);
  k.push_back('\0');
  k.append(option);
  return k;
}

// Caller holds a lease.
Result<uint64_t> ReadNextOffset(EmbeddedDb& db, uint32_t partition) {
  std::string v;
  auto s = db.db()->Get(rocksdb::ReadOptions(), db.offsets(), PartitionKey(partition), &v);
  if (s.IsNotFound()) return uint64_t{0};
  if (!s.ok() || v.size() != 8) return Status(Code::kUnavailable, "read offset: " + s.ToString());
  return GetU64(v);
}

}  // namespace

Result<uint64_t> EmbeddedProcessorState::NextOffset(uint32_t partition) {
  auto lease = db_.Use();
  if (!lease.ok()) return lease.status();
  return ReadNextOffset(db_, partition);
}

Result<PartitionState> EmbeddedProcessorState::Load(uint32_t partition) {
  auto lease = db_.Use();
  if (!lease.ok()) return lease.status();
  auto next = ReadNextOffset(db_, partition);
  if (!next.ok()) return next.status();
  PartitionState state;
  PartitionTally& t = state.tally;
  t.partition = partition;
  t.next_offset = *next;
  {
    std::string seal_prefix = SealKey(partition, "");
    std::unique_ptr<rocksdb::Iterator> it(
        db_.db()->NewIterator(rocksdb::ReadOptions(), db_.offsets()));
    for (it->Seek(seal_prefix); it->Valid() && it->key().starts_with(seal_prefix); it->Next()) {
      state.sealed[std::string(it->key().ToStringView().substr(seal_prefix.size()))] =
          static_cast<int64_t>(GetU64(it->value().ToStringView()));
    }
    if (!it->status().ok()) return Status(Code::kUnavailable, it->status().ToString());
  }
  std::string prefix = PartitionKey(partition);
  std::unique_ptr<rocksdb::Iterator> it(
      db_.db()->NewIterator(rocksdb::ReadOptions(), db_.tallies()));
  for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
    std::string_view rest = it->key().ToStringView().substr(4);
    size_t zero = rest.find('\0');
    if (zero == std::string_view::npos || it->value().size() != 8) {
      return Status(Code::kInternal, "corrupt tally key");
    }
    t.elections[std::string(rest.substr(0, zero))][std::string(rest.substr(zero + 1))] =
        GetU64(it->value().ToStringView());
  }
  if (!it->status().ok()) return Status(Code::kUnavailable, it->status().ToString());
  return state;
}

Result<std::vector<PriorVotes>> EmbeddedProcessorState::CountedVotes(
    uint32_t /*partition*/, uint64_t /*from*/, const std::vector<VoterKey>& keys) {
  auto lease = db_.Use();
  if (!lease.ok()) return lease.status();
  // The keys in one buffer (no string per key), reused by this thread's next batch.
  thread_local std::string raw_bytes;
  raw_bytes.clear();
  std::vector<size_t> ends;
  ends.reserve(keys.size());
  for (const auto& k : keys) {
    AppendLedgerRowKey(k.election_id, k.voter_id, 1, raw_bytes);  // VoterKeyBytes
    ends.push_back(raw_bytes.size());
  }
  std::vector<rocksdb::Slice> slices(keys.size());
  for (size_t i = 0, at = 0; i < keys.size(); at = ends[i++]) {
    slices[i] = rocksdb::Slice(raw_bytes.data() + at, ends[i] - at);
  }
  std::vector<rocksdb::PinnableSlice> values(keys.size());
  std::vector<rocksdb::Status> statuses(keys.size());
  // In slices of kMultiGetSlice keys: RocksDB keeps up to that many keys' contexts inline and
  // grows a heap vector, copying them, for a larger call (a tenth of the processor's CPU for a
  // 4096-vote batch); it works in slices of that size internally anyway.
  for (size_t at = 0; at < keys.size(); at += kMultiGetSlice) {
    const size_t len = std::min(kMultiGetSlice, keys.size() - at);
    db_.db()->MultiGet(rocksdb::ReadOptions(), db_.ledger(), len, slices.data() + at,
                       values.data() + at, statuses.data() + at);
  }
  std::vector<PriorVotes> out(keys.size());
  std::vector<size_t> more;  // found `many` keys: how many of the voter's votes count?
  for (size_t i = 0; i < keys.size(); ++i) {
    if (statuses[i].IsNotFound()) continue;
    if (!statuses[i].ok()) return Status(Code::kUnavailable, statuses[i].ToString());
    auto r = codec::DecodeReceipt(values[i].ToStringView());
    if (!r.ok()) return r.status();
    out[i] = PriorVotes{1, std::move(r->vote_id)};
    if (keys[i].many) more.push_back(i);
  }
  // A voter's rows have the ordinals 1..count, one per counted vote (Commit writes each), so the
  // count is the first ordinal not found: probed a few ordinals at a time with point look-ups
  // (bloom-filtered), which cost a fraction of the seek below; a voter with more rows than the
  // probes reach gets the seek to their last row.
  constexpr int kProbes = 3;
  for (int probe = 0; probe < kProbes && !more.empty(); ++probe) {
    std::vector<std::string> probe_keys;
    probe_keys.reserve(more.size());
    for (size_t i : more) {
      probe_keys.push_back(LedgerRowKey(keys[i].election_id, keys[i].voter_id, out[i].counted + 1));
    }
    std::vector<rocksdb::Slice> probe_slices(probe_keys.begin(), probe_keys.end());
    std::vector<rocksdb::PinnableSlice> probe_values(more.size());
    std::vector<rocksdb::Status> probe_statuses(more.size());
    for (size_t at = 0; at < more.size(); at += kMultiGetSlice) {
      const size_t len = std::min(kMultiGetSlice, more.size() - at);
      db_.db()->MultiGet(rocksdb::ReadOptions(), db_.ledger(), len, probe_slices.data() + at,
                         probe_values.data() + at, probe_statuses.data() + at);
    }
    std::vector<size_t> still;
    for (size_t j = 0; j < more.size(); ++j) {
      if (probe_statuses[j].IsNotFound()) continue;
      if (!probe_statuses[j].ok()) return Status(Code::kUnavailable, probe_statuses[j].ToString());
      ++out[more[j]].counted;
      still.push_back(more[j]);
    }
    more = std::move(still);
  }
  std::unique_ptr<rocksdb::Iterator> it;
  for (size_t i : more) {
    // The voter's last row: its ordinal is how many of their votes count.
    if (!it) it.reset(db_.db()->NewIterator(rocksdb::ReadOptions(), db_.ledger()));
    it->SeekForPrev(LedgerRowKey(keys[i].election_id, keys[i].voter_id, UINT64_MAX));
    if (!it->status().ok()) return Status(Code::kUnavailable, it->status().ToString());
    std::string_view key = it->Valid() ? it->key().ToStringView() : std::string_view();
    const std::string_view base = slices[i].ToStringView();
    if (key.size() == base.size() + 9 && key.starts_with(base) && key[base.size()] == '\0') {
      out[i].counted = GetU64(key.substr(base.size() + 1));
    }
  }
  return out;
}

Status EmbeddedProcessorState::Commit(const PartitionCommit& c) {
  // Every row of the batch is encoded into one buffer (no string per key or value, no protobuf
  // message per receipt: codec/receipt_wire.h writes the same bytes); the WriteBatch copies them.
  // Reused by this thread's next batch: its capacity stays.
  struct Row {
    uint32_t key_at, key_len, value_at, value_len;
  };
  thread_local std::string bytes;
  thread_local std::vector<Row> rows;
  bytes.clear();
  rows.clear();
  auto view = [](uint32_t at, uint32_t len) { return rocksdb::Slice(bytes.data() + at, len); };
  rocksdb::WriteBatch wb;
  for (const auto& pv : c.votes) {
    const auto& v = pv.entry.vote;
    const codec::ReceiptFields r{v.vote_id,  v.election_id, v.voter_id,       v.option_id,
                                 pv.outcome, pv.reason,     v.ingest_time_ms, pv.counted_vote_id};
    Row row{};
    if (pv.outcome == Outcome::kCounted) {
      row.key_at = static_cast<uint32_t>(bytes.size());
      AppendLedgerRowKey(v.election_id, v.voter_id, pv.ordinal, bytes);
      row.key_len = static_cast<uint32_t>(bytes.size() - row.key_at);
    }
    row.value_at = static_cast<uint32_t>(bytes.size());
    codec::AppendReceipt(r, bytes);
    row.value_len = static_cast<uint32_t>(bytes.size() - row.value_at);
    if (pv.outcome == Outcome::kCounted) {
      // The ledger row is the counted vote's receipt: the voter's first counted vote has no
      // receipts row (EmbeddedLedger::FindReceipt reads the ledger row), which spares a second
      // write per counted vote. A voter's later counted votes (votes_per_voter N) get a receipts
      // row too (in data dirs of before, it replaces the vote's 12-byte pending pointer).
      rows.push_back(row);
      if (pv.ordinal > 1) {
        wb.Put(db_.receipts(), v.vote_id, view(row.value_at, row.value_len));
      }
    } else {
      wb.Put(db_.receipts(), v.vote_id, view(row.value_at, row.value_len));
    }
  }
  // The ledger rows are put in key order: voter keys arrive in random order, and with the
  // ledger's memtable insert hint (db.cc) RocksDB inserts each key from where the previous
  // insert ended, so sorted rows each walk a short way instead of from the top of a memtable of
  // millions of rows. The batch is one atomic write either way. Stable: two rows under one key
  // (not expected) keep their log order, so the later one wins as it would put one after the
  // other.
  std::stable_sort(rows.begin(), rows.end(), [&](const Row& a, const Row& b) {
    return view(a.key_at, a.key_len).compare(view(b.key_at, b.key_len)) < 0;
  });
  for (const Row& row : rows) {
    wb.Put(db_.ledger(), view(row.key_at, row.key_len), view(row.value_at, row.value_len));
  }
  for (const auto& [election, counts] : c.tally.elections) {
    for (const auto& [option, n] : counts) {
      std::string v;
      PutU64(v, n);
      wb.Put(db_.tallies(), TallyKey(c.partition, election, option), v);
    }
  }
  for (const auto& seal : c.seals) {
    std::string v;
    PutU64(v, static_cast<uint64_t>(seal.closed_at_ms));
    wb.Put(db_.offsets(), SealKey(c.partition, seal.election_id), v);
  }
  std::string off;
  PutU64(off, c.next_offset);
  wb.Put(db_.offsets(), PartitionKey(c.partition), off);
  auto lease = db_.Use();
  if (!lease.ok()) return lease.status();
  // Not synced: the log entries are already durable, and the WAL keeps this batch atomic, so a
  // lost tail is simply processed again. The next log fsync makes it durable too.
  auto s = db_.db()->Write(rocksdb::WriteOptions(), &wb);
  if (!s.ok()) {
    db_.ReportWriteError("processor commit failed: " + s.ToString());
    return Status(Code::kUnavailable, "processor commit: " + s.ToString());
  }
  return Status::Ok();
}

}  // namespace urna::embedded
