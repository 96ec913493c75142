#include "core/dedupe.h"

#include <boost/unordered/unordered_flat_map.hpp>
#include <boost/unordered/unordered_flat_set.hpp>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <limits>
#include <new>
#include <stdexcept>
#include <utility>
#include <vector>

namespace urna {
namespace {

void* AllocateBytes(size_t bytes) {
  void* p = std::malloc(bytes);
  if (p == nullptr) throw std::bad_alloc();
  return p;
}

// Bytes that stay where they are until Clear() or destruction: bump allocation in chunks (the
// first small, for a processor batch; then 2 MiB ones). Clear() keeps every chunk and fills
// them again in order. A Mark taken before an allocation gives it back (Release).
class Arena {
 public:
  static constexpr size_t kFirstChunk = 64 << 10;
  static constexpr size_t kChunk = 2 << 20;

  Arena() = default;
  Arena(const Arena&) = delete;
  Arena& operator=(const Arena&) = delete;
  ~Arena() {
    for (const Chunk& c : chunks_) std::free(c.data);
  }

  // `n` bytes, 8-byte aligned.
  char* Allocate(size_t n) {
    n = (n + 7) & ~size_t{7};
    for (;;) {
      if (chunk_ < chunks_.size()) {
        Chunk& c = chunks_[chunk_];
        if (c.size - used_ >= n) {
          char* p = c.data + used_;
          used_ += n;
          return p;
        }
        ++chunk_;  // too full (a chunk skipped here is used again after Clear)
        used_ = 0;
        continue;
      }
      const size_t want = chunks_.empty() ? kFirstChunk : kChunk;
      const size_t size = n <= want ? want : n;  // an id longer than a chunk: a chunk of its own
      chunks_.reserve(chunks_.size() + 1);       // so push_back cannot throw after the allocation
      chunks_.push_back({static_cast<char*>(AllocateBytes(size)), size});
    }
  }

  struct Mark {
    size_t chunk, used;
  };
  Mark mark() const { return {chunk_, used_}; }
  // Gives back everything allocated since `m` (those bytes must no longer be used).
  void Release(Mark m) {
    chunk_ = m.chunk;
    used_ = m.used;
  }

  void Clear() {
    chunk_ = 0;
    used_ = 0;
  }

 private:
  struct Chunk {
    char* data;
    size_t size;
  };
  std::vector<Chunk> chunks_;
  size_t chunk_ = 0;  // the chunk being filled (== chunks_.size(): none yet)
  size_t used_ = 0;   // its bytes handed out
};

// A voter as the table holds it, in the arena, followed by the voter id's bytes.
struct VoterRecord {
  uint64_t counted;        // votes counted, prior ones included
  const char* first_vote;  // the first counted vote id: a uint32_t size, then the bytes; or null
  uint32_t election;       // index into Table::elections_
  uint32_t voter_size;

  std::string_view voter() const { return {reinterpret_cast<const char*>(this + 1), voter_size}; }
  std::string_view FirstVote() const {
    if (first_vote == nullptr) return {};
    uint32_t size;
    std::memcpy(&size, first_vote, sizeof size);
    return {first_vote + sizeof size, size};
  }
};
static_assert(sizeof(VoterRecord) % 8 == 0);

// Voters are the same when both their election and their voter id are (all bytes compared).
struct RecordHash {
  size_t operator()(const VoterRecord* r) const noexcept {
    // Mixed further by the table (boost's post-mixing of a hash not marked avalanching).
    return std::hash<std::string_view>{}(r->voter()) ^
           (size_t{r->election} * 0x9E3779B97F4A7C15ull);
  }
};
struct RecordEqual {
  bool operator()(const VoterRecord* a, const VoterRecord* b) const noexcept {
    return a->election == b->election && a->voter_size == b->voter_size &&
           std::memcmp(a + 1, b + 1, a->voter_size) == 0;
  }
};

// Election ids, looked up by a view of the vote's (the table's keys are strings of their own).
struct StringHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
};

uint32_t Size32(std::string_view s) {
  if (s.size() > std::numeric_limits<uint32_t>::max()) {
    throw std::length_error("VoteDedupe: an id longer than 4 GiB");
  }
  return static_cast<uint32_t>(s.size());
}

}  // namespace

class VoteDedupe::Table {
 public:
  // The voter's record, made on the voter's first vote (with `prior`, if any).
  VoterRecord& Find(std::string_view election_id, std::string_view voter_id,
                    const PriorVotes* prior) {
    const uint32_t election = ElectionIndex(election_id);
    const uint32_t voter_size = Size32(voter_id);
    // The record is written first (the table hashes and compares records), and given back
    // when the voter is already there.
    const Arena::Mark mark = arena_.mark();
    auto* r = reinterpret_cast<VoterRecord*>(arena_.Allocate(sizeof(VoterRecord) + voter_size));
    *r = VoterRecord{0, nullptr, election, voter_size};
    std::memcpy(r + 1, voter_id.data(), voter_size);
    auto [it, inserted] = voters_.insert(r);
    if (!inserted) {
      arena_.Release(mark);
      return **it;
    }
    if (prior != nullptr) {
      r->counted = prior->counted;
      if (!prior->first_vote_id.empty()) r->first_vote = Copy(prior->first_vote_id);
    }
    return *r;
  }

  // `s` in the arena, as VoterRecord::first_vote holds it.
  const char* Copy(std::string_view s) {
    const uint32_t size = Size32(s);
    char* p = arena_.Allocate(sizeof size + size);
    std::memcpy(p, &size, sizeof size);
    std::memcpy(p + sizeof size, s.data(), size);
    return p;
  }

  // Never shrinks (the table's own reserve() rehashes to a smaller size when asked for less).
  void Reserve(size_t voters) {
    if (voters > voters_.max_load()) voters_.reserve(voters);
  }
  size_t size() const { return voters_.size(); }
  void Clear() {
    voters_.clear();  // keeps its buckets
    arena_.Clear();
    elections_.clear();
    last_election_ = kNone;
  }

 private:
  static constexpr uint32_t kNone = std::numeric_limits<uint32_t>::max();

  // The election's index, the previous vote's almost always.
  uint32_t ElectionIndex(std::string_view id) {
    if (last_election_ != kNone && id == last_election_id_) return last_election_;
    auto it = elections_.find(id);
    if (it == elections_.end()) {
      const auto index = static_cast<uint32_t>(elections_.size());
      it = elections_.emplace(std::string(id), index).first;
    }
    last_election_ = it->second;
    last_election_id_.assign(id);
    return last_election_;
  }

  Arena arena_;
  boost::unordered_flat_set<VoterRecord*, RecordHash, RecordEqual> voters_;
  boost::unordered_flat_map<std::string, uint32_t, StringHash, std::equal_to<>> elections_;
  uint32_t last_election_ = kNone;
  std::string last_election_id_;
};

VoteDedupe::VoteDedupe(bool cite_counted_vote)
    : table_(std::make_unique<Table>()), cite_counted_vote_(cite_counted_vote) {}
VoteDedupe::~VoteDedupe() = default;
VoteDedupe::VoteDedupe(VoteDedupe&&) noexcept = default;
VoteDedupe& VoteDedupe::operator=(VoteDedupe&&) noexcept = default;

void VoteDedupe::Reserve(size_t voters) { table_->Reserve(voters); }
void VoteDedupe::Clear() { table_->Clear(); }
size_t VoteDedupe::voters() const { return table_->size(); }

DedupeVerdict VoteDedupe::Decide(const Election* election, const VoteEvent& vote,
                                 const PriorVotes* prior, bool behind_seal, VotePolicy policy) {
  VoterRecord& voter = table_->Find(vote.election_id, vote.voter_id, prior);
  DedupeVerdict out;
  out.verdict = DecideVote(election, vote, !policy.AllowsAnother(voter.counted), behind_seal);
  if (out.verdict.outcome == Outcome::kCounted) {
    if (voter.counted++ == 0 && cite_counted_vote_) voter.first_vote = table_->Copy(vote.vote_id);
    out.ordinal = voter.counted;
  } else if (out.verdict.outcome == Outcome::kDuplicate) {
    out.counted_vote_id = voter.FirstVote();  // in the arena: valid until cleared or destroyed
  }
  return out;
}

}  // namespace urna
