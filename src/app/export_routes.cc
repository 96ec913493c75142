// Results export routes (docs/api.md): the snapshot GET /v1/elections/{id}/results serves, as a
// file to download: CSV (one row per option) or JSON (the election and its snapshot). Same
// visibility as the snapshot (hidden counts stay hidden), so no token is needed; the admin page
// links them.
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "app/api.h"
#include "app/json_util.h"

namespace urna::app {
namespace json = boost::json;

namespace {

// A CSV cell (RFC 4180): quoted when it holds a comma, quote or line break; a text cell a
// spreadsheet would read as a formula (core/election.h IsFormulaLead) gets a leading ' (OWASP).
std::string CsvCell(std::string_view s) {
  std::string out;
  if (!s.empty() && IsFormulaLead(s[0])) out += '\'';
  out += s;
  if (out.find_first_of(",\"\r\n") == std::string::npos) return out;
  std::string quoted = "\"";
  for (char c : out) {
    if (c == '"') quoted += '"';
    quoted += c;
  }
  return quoted + "\"";
}

std::string Text(const json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  if (v == nullptr || v->is_null()) return "";
  if (v->is_string()) return std::string(v->as_string());
  return json::serialize(*v);
}

// The election and its snapshot as the results route shows them now.
struct Exported {
  std::shared_ptr<const Election> election;
  json::object snapshot;
};

Result<Exported> Snapshot(Catalog& catalog, results::ResultsHub& hub, const std::string& id) {
  auto e = catalog.Get(id);
  if (!e.ok()) return e.status();
  auto frame = hub.Current(id);
  if (!frame.ok()) return frame.status();
  boost::system::error_code ec;
  json::value v = json::parse(*(*frame)->json, ec);
  if (ec || !v.is_object()) return Status(Code::kInternal, "snapshot is not a JSON object");
  return Exported{*e, std::move(v.as_object())};
}

net::HttpResponse Download(std::string content_type, std::string body, const std::string& file) {
  auto r = net::Response(200, std::move(content_type), std::move(body));
  r.headers.emplace_back("Content-Disposition", "attachment; filename=\"" + file + "\"");
  r.headers.emplace_back("Cache-Control", "no-store");
  return r;
}

}  // namespace

// election,status,final,option_id,option_label,votes,total,updated_at — one row per option;
// votes (and total) empty while hidden.
void Api::GetResultsExportCsv(Request&, Params& p, Responder respond) {
  auto x = Snapshot(deps_.catalog, deps_.hub, p[0]);
  if (!x.ok()) return respond(StatusResponse(x.status()));
  const auto& s = x->snapshot;
  std::string csv = "election,status,final,option_id,option_label,votes,total,updated_at\r\n";
  const std::string common_tail = CsvCell(Text(s, "total")) + "," + CsvCell(Text(s, "updated_at"));
  if (const auto* opts = s.if_contains("options"); opts && opts->is_array()) {
    for (const auto& ov : opts->as_array()) {
      if (!ov.is_object()) continue;
      const auto& o = ov.as_object();
      csv += CsvCell(x->election->id) + "," + CsvCell(ToString(x->election->status)) + "," +
             (x->election->status == ElectionStatus::kFinal ? "true" : "false") + "," +
             CsvCell(Text(o, "id")) + "," + CsvCell(Text(o, "label")) + "," +
             CsvCell(Text(o, "votes")) + "," + common_tail + "\r\n";
    }
  }
  respond(Download("text/csv; charset=utf-8", std::move(csv), p[0] + "-results.csv"));
}

// {"election": <as GET /v1/elections/{id}>, "results": <as GET .../results>}
void Api::GetResultsExportJson(Request&, Params& p, Responder respond) {
  auto x = Snapshot(deps_.catalog, deps_.hub, p[0]);
  if (!x.ok()) return respond(StatusResponse(x.status()));
  json::object out{{"election", ElectionJson(*x->election)}, {"results", std::move(x->snapshot)}};
  respond(Download("application/json", json::serialize(out), p[0] + "-results.json"));
}

}  // namespace urna::app
