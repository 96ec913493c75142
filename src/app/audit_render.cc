#include "app/audit_render.h"

#include <fmt/format.h>

#include "app/json_util.h"

namespace urna::app {
namespace json = boost::json;

namespace {

// Every option of the election, in its order, zero or not (a count without an entry is 0:
// a reader must not have to tell "no votes" from "not counted"); then any option the counts
// hold that the election lacks, so a difference is never hidden.
json::object CountsJson(const Election& e, const OptionCounts& c) {
  json::object o;
  for (const auto& opt : e.options) o[opt.id] = CountOf(c, opt.id);
  for (const auto& [option, n] : c) {
    if (!o.contains(option)) o[option] = n;
  }
  return o;
}

std::string Escape(std::string_view s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '&':
        out += "&amp;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        out.push_back(c);
    }
  }
  return out;
}

std::string TimeText(int64_t ms) {
  auto v = TimeJson(ms);
  return v.is_string() ? std::string(v.as_string()) : "-";
}

}  // namespace

json::object ReportJson(const RecountReport& r) {
  json::object rejected;
  for (const auto& [reason, n] : r.rejected) rejected[reason] = n;
  json::array diffs;
  for (const auto& d : r.differences) {
    diffs.push_back(json::object{{"option", d.option},
                                 {"live", d.live},
                                 {"ledger", d.ledger},
                                 {"replay", d.replay},
                                 {"live_minus_ledger", static_cast<int64_t>(d.live - d.ledger)}});
  }
  json::array final_tally;
  for (const auto& o : r.election.options) {
    final_tally.push_back(
        json::object{{"id", o.id}, {"label", o.label}, {"votes", CountOf(r.ledger, o.id)}});
  }
  return json::object{
      {"election", r.election.id},
      {"title", r.election.title},
      {"status", ToString(r.election.status)},
      {"final", r.finalized},
      {"agree", r.agree},
      {"times", json::object{{"opened_at", TimeJson(r.election.opened_at_ms)},
                             {"closed_at", TimeJson(r.election.closed_at_ms)},
                             {"sealed_at", TimeJson(r.sealed_at_ms)},
                             {"recount_started_at", TimeJson(r.started_at_ms)},
                             {"recounted_at", TimeJson(r.finished_at_ms)},
                             {"finalized_at", TimeJson(r.election.finalized_at_ms)}}},
      {"votes", json::object{{"log_entries", r.log_entries},
                             {"counted", r.counted},
                             {"duplicate", r.duplicate},
                             {"rejected", std::move(rejected)}}},
      {"tally", std::move(final_tally)},
      {"counts", json::object{{"live", CountsJson(r.election, r.live)},
                              {"ledger", CountsJson(r.election, r.ledger)},
                              {"replay", CountsJson(r.election, r.replay)}}},
      {"differences", std::move(diffs)},
      {"ledger", json::object{{"rows", r.ledger_rows},
                              {"digest", json::object{{"algorithm", "sha256"},
                                                      {"value", r.ledger_digest},
                                                      {"over",
                                                       "the rows of ledger.csv as exported, "
                                                       "header excluded, each ending in LF"}}},
                              {"voter_ids", "HMAC-SHA256 with the audit key, hex"}}}};
}

json::object JobJson(const std::string& election, const RecountJobs::View& v) {
  json::object o{{"election", election},
                 {"state", v.running ? "running" : (v.report ? "done" : "failed")},
                 {"progress", json::object{{"phase", RecountProgress::PhaseName(v.phase)},
                                           {"done", v.done},
                                           {"total", v.total},
                                           {"fraction", ProgressFraction(v.done, v.total)}}}};
  if (v.report) o["report"] = ReportJson(*v.report);
  if (!v.running && !v.report) o["error"] = v.error.message();
  return o;
}

std::string ReportHtml(const RecountReport& r) {
  std::string rows;
  for (const auto& o : r.election.options) {
    uint64_t ledger = CountOf(r.ledger, o.id), live = CountOf(r.live, o.id),
             replay = CountOf(r.replay, o.id);
    rows += fmt::format("<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>\n",
                        Escape(o.label), ledger, live, replay,
                        ledger == live && live == replay ? "ok" : "<b>DIFFERS</b>");
  }
  std::string rejected;
  for (const auto& [reason, n] : r.rejected) rejected += fmt::format("{}: {}; ", Escape(reason), n);
  return fmt::format(R"(<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Audit report: {0}</title>
<style>body{{font:14px/1.5 system-ui,sans-serif;max-width:52rem;margin:2rem auto;padding:0 1rem}}
table{{border-collapse:collapse;width:100%}}td,th{{border:1px solid #999;padding:.3rem .5rem;text-align:right}}
td:first-child,th:first-child{{text-align:left}}code{{word-break:break-all}}
.verdict{{font-size:1.2rem;font-weight:bold}}@media print{{body{{margin:0}}}}</style></head>
<body><h1>Audit report</h1><p><b>{0}</b> ({1})</p>
<p class="verdict">{2}</p>
<table><tr><th>Option</th><th>Ledger (final)</th><th>Live</th><th>Log replay</th><th></th></tr>
{3}</table>
<h2>Every vote accounted for</h2>
<p>Log entries: {4}. Counted: {5}. Duplicate: {6}. Rejected: {7}</p>
<h2>Times (UTC)</h2>
<p>Opened {8}; closed {9}; all partitions sealed {10}; recounted {11}.</p>
<h2>Ledger digest</h2>
<p>SHA-256 over the {12} rows of <code>ledger.csv</code> (header excluded, each row ending in LF;
voters named by HMAC-SHA256 with the audit key):<br><code>{13}</code></p>
</body></html>
)",
                     Escape(r.election.title), Escape(r.election.id),
                     r.agree ? "The three counts agree. The result is final."
                             : "The counts DISAGREE. The result is not final.",
                     rows, r.log_entries, r.counted, r.duplicate, rejected.empty() ? "0" : rejected,
                     TimeText(r.election.opened_at_ms), TimeText(r.election.closed_at_ms),
                     TimeText(r.sealed_at_ms), TimeText(r.finished_at_ms), r.ledger_rows,
                     r.ledger_digest);
}

}  // namespace urna::app
