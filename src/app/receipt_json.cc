#include "app/receipt_json.h"

#include "app/json_util.h"

namespace urna::app {
namespace json = boost::json;

Result<json::object> ReceiptJson(const Receipt& r, Catalog& catalog) {
  json::object o{{"vote_id", r.vote_id},
                 {"election", r.election_id},
                 {"option", r.option_id},
                 {"status", ToString(r.outcome)},
                 {"cast_at", TimeJson(r.ingest_time_ms)}};
  if (r.outcome == Outcome::kRejected) o["reason"] = r.reason;
  if (r.outcome == Outcome::kDuplicate) {
    // policy: the receipt names the limit the voter reached (the election's votes_per_voter,
    // fixed since it opened): one vote -> "already_voted", N -> "vote_limit_reached". Without
    // the election the limit is unknown: 503, never a guess.
    auto e = catalog.Get(r.election_id);
    if (!e.ok()) {
      return Status(Code::kUnavailable, "the vote limit of election " + r.election_id +
                                            " cannot be read now: " + e.status().message());
    }
    const uint32_t limit = (*e)->votes_per_voter;
    o["reason"] = limit == 1 ? "already_voted" : "vote_limit_reached";
    o["votes_per_voter"] = limit == kUnlimitedVotes ? json::value("unlimited") : json::value(limit);
    o["counted_vote_id"] = r.counted_vote_id;
  }
  return o;
}

}  // namespace urna::app
