#include "results/snapshot_json.h"

#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include <cstdio>
#include <ctime>

namespace urna::results {
namespace json = boost::json;

std::string FormatTime(int64_t ms) {
  if (ms == 0) return "";
  int64_t secs = ms / 1000, millis = ms % 1000;
  if (millis < 0) {  // before 1970: round the seconds down, keep the millis in 0-999
    millis += 1000;
    --secs;
  }
  std::time_t t = static_cast<std::time_t>(secs);
  std::tm tm{};
  gmtime_r(&t, &tm);
  // By hand, not strftime: its %Y does not pad years before 1000 to four digits.
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04lld-%02d-%02dT%02d:%02d:%02d.%03dZ",
                static_cast<long long>(tm.tm_year) + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
                tm.tm_min, tm.tm_sec, static_cast<int>(millis));
  return buf;
}

std::string SnapshotJson(const Snapshot& s) {
  json::array options;
  for (const auto& o : s.options) {
    json::object entry{{"id", o.id}, {"label", o.label}};
    if (!s.hidden) entry["votes"] = o.votes;
    options.push_back(std::move(entry));
  }
  json::value updated = nullptr;
  if (s.updated_at_ms != 0) updated = FormatTime(s.updated_at_ms);
  json::object out{{"election", s.election_id}, {"status", ToString(s.status)}, {"seq", s.seq}};
  if (!s.turnout_hidden) out["total"] = s.total;
  out["options"] = std::move(options);
  out["updated_at"] = std::move(updated);
  out["stale"] = s.stale;
  out["final"] = s.final;
  if (s.hidden) out["results_visibility"] = "hidden_until_closed";
  if (s.turnout_hidden) out["turnout_visibility"] = "hidden";
  return json::serialize(out);
}

}  // namespace urna::results
