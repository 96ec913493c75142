// The read model's layout in Redis and the two Lua scripts over it (docs/architecture.md §3).
// Shared by the publisher (processors), the reader and the subscriber (result servers), so they
// agree on names. Pure functions and constants; internal to adapters/redis.
//
// Per election E (the hash tag keeps an election's keys in one cluster slot):
//   <prefix>:{E}:off      hash  partition -> next offset of the counts stored for it
//   <prefix>:{E}:p:<P>    hash  option -> votes counted in partition P (absolute)
//   <prefix>:{E}:at       string  updated_at, Unix ms (the latest of the applied updates)
//   <prefix>:changed      pub/sub channel: the message is E, after each applied update
// The write side's heartbeat (docs/architecture.md §4, "stale"), written by each processor's
// publisher every `heartbeat_every` with a TTL, for result servers:
//   <prefix>:{live}:n     string  the log's partition count
//   <prefix>:{live}:<P>   string  lag of partition P in ms, as its processor last reported it
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace urna::redis {

inline std::string OffsetsKey(std::string_view prefix, std::string_view election) {
  return std::string(prefix) + ":{" + std::string(election) + "}:off";
}
inline std::string CountsKeyPrefix(std::string_view prefix, std::string_view election) {
  return std::string(prefix) + ":{" + std::string(election) + "}:p:";
}
inline std::string UpdatedAtKey(std::string_view prefix, std::string_view election) {
  return std::string(prefix) + ":{" + std::string(election) + "}:at";
}
inline std::string ChangeChannel(std::string_view prefix) {
  return std::string(prefix) + ":changed";
}
inline std::string LiveKeyPrefix(std::string_view prefix) {
  return std::string(prefix) + ":{live}:";
}
inline std::string LivePartitionsKey(std::string_view prefix) {
  return LiveKeyPrefix(prefix) + "n";
}

// Fenced apply of one partition's absolute counts for one election: a no-op (returns 0) unless
// the offset is newer than the stored one for (election, partition), so a replay, a late retry
// or a zombie processor never moves a tally back. Offsets compare as decimal strings (exact for
// every uint64; Lua numbers are doubles). Applied: replaces the counts, raises updated_at,
// PUBLISHes the election on the change channel, returns 1. Atomic, as every Redis script.
// KEYS: offsets hash, counts hash, updated_at.
// ARGV: partition, next offset, updated_at ms, channel, election, then option, votes pairs.
inline constexpr std::string_view kApplyScript = R"lua(
local stored = redis.call('HGET', KEYS[1], ARGV[1])
local offset = ARGV[2]
if stored then
  if #stored > #offset or (#stored == #offset and stored >= offset) then return 0 end
end
redis.call('HSET', KEYS[1], ARGV[1], offset)
redis.call('DEL', KEYS[2])
for i = 6, #ARGV, 2 do redis.call('HSET', KEYS[2], ARGV[i], ARGV[i + 1]) end
local at = redis.call('GET', KEYS[3])
if not at or tonumber(at) < tonumber(ARGV[3]) then redis.call('SET', KEYS[3], ARGV[3]) end
redis.call('PUBLISH', ARGV[4], ARGV[5])
return 1
)lua";

// An election's merged tally, read atomically: {seq, updated_at, option, votes, ...}, seq being
// the sum of the partitions' next offsets (as LocalReadModel's), each number an integer reply.
// KEYS: offsets hash, updated_at. ARGV: the counts keys' prefix (the partition is appended).
inline constexpr std::string_view kReadScript = R"lua(
local offs = redis.call('HGETALL', KEYS[1])
local seq = 0
local sums = {}
local names = {}
for i = 1, #offs, 2 do
  seq = seq + tonumber(offs[i + 1])
  local c = redis.call('HGETALL', ARGV[1] .. offs[i])
  for j = 1, #c, 2 do
    if not sums[c[j]] then
      sums[c[j]] = 0
      names[#names + 1] = c[j]
    end
    sums[c[j]] = sums[c[j]] + tonumber(c[j + 1])
  end
end
local out = {seq, tonumber(redis.call('GET', KEYS[2]) or '0')}
for _, n in ipairs(names) do
  out[#out + 1] = n
  out[#out + 1] = sums[n]
end
return out
)lua";

// The write side as the heartbeats tell it: {partitions, silent, worst lag ms}, `silent` being
// the partitions without a live heartbeat (no processor reported them within the TTL); {0, 0, 0}
// when no partition count is live (no processor at all). KEYS: the partition count key.
// ARGV: the heartbeat keys' prefix (the partition is appended).
inline constexpr std::string_view kWriteSideScript = R"lua(
local n = tonumber(redis.call('GET', KEYS[1]) or '0')
local silent = 0
local worst = 0
for p = 0, n - 1 do
  local v = redis.call('GET', ARGV[1] .. p)
  if v then
    local lag = tonumber(v) or 0
    if lag > worst then worst = lag end
  else
    silent = silent + 1
  end
end
return {n, silent, worst}
)lua";

}  // namespace urna::redis
