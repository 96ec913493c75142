// Which log partition a vote goes to: a stable hash of (election, voter), so all votes of
// one voter in one election are ordered in one partition (docs/architecture.md §2). Pure function.
#pragma once

#include <cstdint>
#include <string_view>

namespace urna {

// FNV-1a 64 over "election\0voter": stable across builds and machines (std::hash is not).
uint64_t VoterKeyHash(std::string_view election_id, std::string_view voter_id);

inline uint32_t PartitionFor(std::string_view election_id, std::string_view voter_id,
                             uint32_t partitions) {
  return static_cast<uint32_t>(VoterKeyHash(election_id, voter_id) % partitions);
}

}  // namespace urna
