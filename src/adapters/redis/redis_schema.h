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
//   <prefix>:{live}:<P>   hash    publisher id -> "<lag ms>:<expires at, Unix ms by Redis TIME>",
//                                 one entry per processor reporting partition P
// One entry per processor, not one key that the last writer owns: two processors reporting the
// same partition (a zombie that lost it, until its session times out) cannot make `stale` flap;
// the reader takes the largest lag of the entries not expired (by Redis's clock, so the hosts'
// clocks do not matter).
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
// every uint64; Lua numbers are doubles). Applied: stores the offset and the counts, raises
// updated_at only when the partition's counts differ from the stored ones (or none were stored:
// a first publish, or Redis lost them), PUBLISHes the election on the change channel, returns 1.
// A processor that restarts, or takes over a partition, republishes the same counts at a later
// offset (its partition's, moved on by other elections' votes): that is no change of the tally,
// and updated_at stays when the counts last changed. Atomic, as every Redis script.
// KEYS: offsets hash, counts hash, updated_at.
// ARGV: partition, next offset, updated_at ms, channel, election, then option, votes pairs.
inline constexpr std::string_view kApplyScript = R"lua(
local stored = redis.call('HGET', KEYS[1], ARGV[1])
local offset = ARGV[2]
if stored then
  if #stored > #offset or (#stored == #offset and stored >= offset) then return 0 end
end
local changed = not stored
if stored then
  local old = redis.call('HGETALL', KEYS[2])
  changed = #old ~= #ARGV - 5
  local had = {}
  for i = 1, #old, 2 do had[old[i]] = old[i + 1] end
  for i = 6, #ARGV, 2 do
    if changed then break end
    changed = had[ARGV[i]] ~= ARGV[i + 1]
  end
end
redis.call('HSET', KEYS[1], ARGV[1], offset)
if changed then
  redis.call('DEL', KEYS[2])
  for i = 6, #ARGV, 2 do redis.call('HSET', KEYS[2], ARGV[i], ARGV[i + 1]) end
  local at = redis.call('GET', KEYS[3])
  if not at or tonumber(at) < tonumber(ARGV[3]) then redis.call('SET', KEYS[3], ARGV[3]) end
end
redis.call('PUBLISH', ARGV[4], ARGV[5])
return 1
)lua";

// An election's state per partition, read atomically: {updated_at, then per partition:
// partition, next offset, n, then n option, votes strings}. The numbers of a partition are
// returned as Redis stores them (decimal strings, exact for every uint64); the reader merges
// them with what it read before, per partition (RedisReadModel), so a partly refilled Redis
// never moves a tally back. KEYS: offsets hash, updated_at. ARGV: the counts keys' prefix.
inline constexpr std::string_view kReadScript = R"lua(
local offs = redis.call('HGETALL', KEYS[1])
local out = {tonumber(redis.call('GET', KEYS[2]) or '0')}
for i = 1, #offs, 2 do
  local c = redis.call('HGETALL', ARGV[1] .. offs[i])
  out[#out + 1] = offs[i]
  out[#out + 1] = offs[i + 1]
  out[#out + 1] = #c / 2
  for j = 1, #c do out[#out + 1] = c[j] end
end
return out
)lua";

// One processor's heartbeat: sets the partition count, and its own entry in each partition's
// hash (lag, expiry = Redis TIME + ttl), dropping the expired entries of others, and keeps each
// hash alive at least ttl. KEYS: the partition count key, then one hash per partition reported.
// ARGV: publisher id, ttl ms, partition count (0: not set), then the lag ms of each partition.
inline constexpr std::string_view kHeartbeatScript = R"lua(
if redis.replicate_commands then redis.replicate_commands() end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local ttl = tonumber(ARGV[2])
if tonumber(ARGV[3]) > 0 then redis.call('SET', KEYS[1], ARGV[3], 'PX', ttl) end
for i = 2, #KEYS do
  local h = redis.call('HGETALL', KEYS[i])
  for j = 1, #h, 2 do
    local at = tonumber(string.match(h[j + 1], ':(%d+)$') or '0')
    if at <= now and h[j] ~= ARGV[1] then redis.call('HDEL', KEYS[i], h[j]) end
  end
  redis.call('HSET', KEYS[i], ARGV[1], ARGV[i + 2] .. ':' .. (now + ttl))
  if redis.call('PTTL', KEYS[i]) < ttl then redis.call('PEXPIRE', KEYS[i], ttl) end
end
return 1
)lua";

// The write side as the heartbeats tell it: {partitions, silent, worst lag ms}, `silent` being
// the partitions without a live entry (no processor reported them within its TTL, by Redis
// TIME), the worst lag the largest of the live entries; {0, 0, 0} when no partition count is
// live (no processor at all). KEYS: the partition count key. ARGV: the hashes' prefix.
inline constexpr std::string_view kWriteSideScript = R"lua(
local n = tonumber(redis.call('GET', KEYS[1]) or '0')
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local silent = 0
local worst = 0
for p = 0, n - 1 do
  local live = false
  for _, v in ipairs(redis.call('HVALS', ARGV[1] .. p)) do
    local lag, at = string.match(v, '^(-?%d+):(%d+)$')
    if lag and tonumber(at) > now then
      live = true
      if tonumber(lag) > worst then worst = tonumber(lag) end
    end
  end
  if not live then silent = silent + 1 end
end
return {n, silent, worst}
)lua";

}  // namespace urna::redis
