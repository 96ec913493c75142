#include "audit/ledger_export.h"

#include <openssl/evp.h>

#include <charconv>
#include <cstring>
#include <map>
#include <optional>
#include <stdexcept>
#include <vector>

#include "audit/pseudonym_buckets.h"
#include "audit/pseudonym_hmac.h"
#include "core/election.h"
#include "core/hex.h"

namespace urna {
namespace {

// One CSV field (RFC 4180), safe to open in a spreadsheet: a value that a spreadsheet would
// read as a formula (first character = + - @ tab CR) gets a leading ' and quotes; a value with
// a comma, quote or line break is quoted with its quotes doubled. New option ids are refused at
// creation for the first case; this guards what was stored before. Plain values pass unchanged.
void AppendCsvField(std::string& line, std::string_view v) {
  bool formula = !v.empty() && IsFormulaLead(v[0]);
  if (!formula && v.find_first_of(",\"\r\n") == std::string_view::npos) {
    line += v;
    return;
  }
  line += formula ? "\"'" : "\"";
  for (char c : v) {
    if (c == '"') line += '"';
    line += c;
  }
  line += '"';
}

}  // namespace

// The pseudonym's HMAC (PseudonymHmac: no allocation per row) and a SHA-256 context for the
// digest; the export runs on one thread.
struct LedgerExport::Impl {
  Impl(std::string_view audit_key, size_t buffer_rows) : buckets(buffer_rows), hmac(audit_key) {}
  PseudonymBuckets buckets;  // the scanned rows
  PseudonymHmac hmac;
  std::vector<std::string> options;
  std::optional<LedgerSummary> prepared;
  EVP_MD_CTX* sha = nullptr;
  ~Impl() { EVP_MD_CTX_free(sha); }
};

LedgerExport::LedgerExport(std::string_view audit_key, size_t buffer_rows)
    : impl_(std::make_unique<Impl>(audit_key, buffer_rows)) {
  impl_->sha = EVP_MD_CTX_new();
  if (!impl_->sha) throw std::runtime_error("cannot set up SHA-256 for the audit export");
}

LedgerExport::~LedgerExport() = default;

std::string LedgerExport::Pseudonym(std::string_view voter_id) {
  unsigned char out[32];
  impl_->hmac.Compute(voter_id, out);
  return HexEncode(out);
}

Result<LedgerSummary> LedgerExport::Run(Ledger& ledger, std::string_view election_id,
                                        const std::function<void(std::string_view)>& csv_sink,
                                        const std::function<void()>& on_row,
                                        const std::function<bool()>& cancelled) {
  if (auto s = Scan(ledger, election_id, on_row, cancelled); !s.ok()) return s;
  if (cancelled && cancelled()) return Status(Code::kUnavailable, "ledger export cancelled");
  return Walk(csv_sink);
}

Result<LedgerSummary> LedgerExport::Prepare(Ledger& ledger, std::string_view election_id,
                                            const std::function<bool()>& cancelled) {
  if (auto s = Scan(ledger, election_id, {}, cancelled); !s.ok()) return s;
  if (cancelled && cancelled()) return Status(Code::kUnavailable, "ledger export cancelled");
  auto sum = Walk({});
  if (sum.ok()) impl_->prepared = *sum;
  return sum;
}

Status LedgerExport::Emit(const std::function<void(std::string_view)>& csv_sink) {
  if (!impl_->prepared) return Status(Code::kInternal, "ledger export: Emit before Prepare");
  auto sum = Walk(csv_sink);
  if (!sum.ok()) return sum.status();
  if (sum->digest_hex != impl_->prepared->digest_hex ||
      sum->csv_bytes != impl_->prepared->csv_bytes) {
    return Status(Code::kInternal, "ledger export: the rows changed between two walks");
  }
  return Status::Ok();
}

// Pass 1: the ledger in its own order (by raw voter id) into pseudonym buckets.
Status LedgerExport::Scan(Ledger& ledger, std::string_view election_id,
                          const std::function<void()>& on_row,
                          const std::function<bool()>& cancelled) {
  auto& buckets = impl_->buckets;
  auto& options = impl_->options;
  std::map<std::string, uint32_t, std::less<>> option_index;
  // The last row's option: rows of one voter range mostly share few options, so most rows
  // skip the map.
  std::string_view last_option;
  uint32_t last_index = 0;
  bool have_last = false;
  Status failed = Status::Ok();
  uint64_t scanned = 0;
  auto s = ledger.ScanCountedViews(election_id, [&](const CountedVoteView& r) {
    if (cancelled && ++scanned % 4096 == 0 && cancelled()) {
      failed = Status(Code::kUnavailable, "ledger export cancelled");
      return false;
    }
    if (r.vote_id.size() > sizeof(ExportRow::vote_id)) {
      failed =
          Status(Code::kInternal, "ledger row with a malformed vote_id: " + std::string(r.vote_id));
      return false;
    }
    if (!have_last || r.option_id != last_option) {
      auto it = option_index.find(r.option_id);
      if (it == option_index.end()) {
        it = option_index.emplace(std::string(r.option_id), options.size()).first;
        options.push_back(it->first);
      }
      // The map's key, not the row's bytes: those are only valid during this call.
      last_option = it->first;
      last_index = it->second;
      have_last = true;
    }
    ExportRow row{};
    impl_->hmac.Compute(r.voter_id, row.pseudonym);
    std::memcpy(row.vote_id, r.vote_id.data(), r.vote_id.size());
    row.vote_id_size = static_cast<uint8_t>(r.vote_id.size());
    row.option = last_index;
    row.cast_at_ms = r.ingest_time_ms;
    if (auto st = buckets.Add(row); !st.ok()) {
      failed = st;
      return false;
    }
    if (on_row) on_row();
    return true;
  });
  if (!s.ok()) return s;
  return failed;
}

// Pass 2: bucket by bucket, sorted by pseudonym, rendered, digested (rows only). Each row is
// rendered into one reused buffer (no allocation per row); options are rendered once.
Result<LedgerSummary> LedgerExport::Walk(const std::function<void(std::string_view)>& csv_sink) {
  const auto& options = impl_->options;
  std::vector<std::string> fields(options.size());  // option index -> ",option," rendered
  for (size_t i = 0; i < options.size(); ++i) {
    fields[i] = ",";
    AppendCsvField(fields[i], options[i]);
    fields[i] += ',';
  }
  std::vector<uint64_t> counts(options.size());
  LedgerSummary sum;
  sum.csv_bytes = kLedgerCsvHeader.size();
  if (csv_sink) csv_sink(kLedgerCsvHeader);
  EVP_DigestInit_ex(impl_->sha, EVP_sha256(), nullptr);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string line;
  auto emitted = impl_->buckets.ForEachSorted([&](const ExportRow& row) {
    const std::string& field = fields[row.option];
    // vote_id (<= 36) + ',' + 64 hex + field + int64 (<= 20) + '\n'
    line.resize(row.vote_id_size + 1 + 64 + field.size() + 21);
    char* p = line.data();
    std::memcpy(p, row.vote_id, row.vote_id_size);
    p += row.vote_id_size;
    *p++ = ',';
    for (unsigned char b : row.pseudonym) {
      *p++ = kHex[b >> 4];
      *p++ = kHex[b & 15];
    }
    std::memcpy(p, field.data(), field.size());
    p += field.size();
    p = std::to_chars(p, line.data() + line.size(), row.cast_at_ms).ptr;
    *p++ = '\n';
    std::string_view rendered(line.data(), static_cast<size_t>(p - line.data()));
    EVP_DigestUpdate(impl_->sha, rendered.data(), rendered.size());
    if (csv_sink) csv_sink(rendered);
    ++counts[row.option];
    ++sum.rows;
    sum.csv_bytes += rendered.size();
  });
  if (!emitted.ok()) return emitted;
  for (size_t i = 0; i < options.size(); ++i) {
    if (counts[i] > 0) sum.counts[options[i]] += counts[i];
  }
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  EVP_DigestFinal_ex(impl_->sha, md, &n);
  sum.digest_hex = HexEncode(std::span(md, n));
  return sum;
}

}  // namespace urna
