#include "core/partition.h"

namespace urna {

uint64_t VoterKeyHash(std::string_view election_id, std::string_view voter_id) {
  uint64_t h = 14695981039346656037ull;
  auto mix = [&h](unsigned char c) {
    h ^= c;
    h *= 1099511628211ull;
  };
  for (char c : election_id) mix(static_cast<unsigned char>(c));
  mix(0);
  for (char c : voter_id) mix(static_cast<unsigned char>(c));
  return h;
}

}  // namespace urna
