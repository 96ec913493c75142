// urna: the command line. `urna serve` runs the embedded deployment, `urna token` mints a voter
// token, `urna recount` and `urna audit` work on a stopped server's data dir. See README.md and
// docs/operations.md. Flags set the modules' own option structs (ServeOptions); the defaults
// shown in --help are read from those structs, never written here a second time.
#include <spdlog/spdlog.h>
#include <CLI/CLI.hpp>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <stdexcept>
#include <string>
#include <vector>

#include "app/embedded_server.h"
#include "app/offline.h"
#include "auth/request_limits.h"
#include "auth/secrets.h"
#include "auth/voter_tokens.h"
#include "ports/clock.h"

namespace {

// Upper bound of --max-connections and --max-viewers: beyond any descriptor limit Linux allows
// (fs.nr_open is at most 2^30), so a larger value can only be a mistake.
constexpr size_t kMaxConnectionsBound = size_t{1} << 30;

std::string EnvOr(const char* name, std::string fallback) {
  const char* v = std::getenv(name);
  return v && *v ? v : fallback;
}

// "90", "90s", "15m", "1h", "2d" -> seconds; "0" too when `zero_ok`.
std::chrono::seconds ParseTtl(const std::string& s, bool zero_ok = false) {
  if (zero_ok && s == "0") return std::chrono::seconds(0);
  size_t used = 0;
  long n = std::stol(s, &used);
  std::string unit = s.substr(used);
  long mult = unit.empty() || unit == "s" ? 1
              : unit == "m"               ? 60
              : unit == "h"               ? 3600
              : unit == "d"               ? 86400
                                          : 0;
  if (mult == 0 || n <= 0) {
    throw std::invalid_argument(std::string("ttl must look like 90s, 15m, 1h or 2d") +
                                (zero_ok ? " (0 = unbounded): " : ": ") + s);
  }
  return std::chrono::seconds(n * mult);
}

// `seconds` in the largest of h, m, s that divides it: ParseTtl reads it back.
std::string FormatTtl(std::chrono::seconds seconds) {
  long s = static_cast<long>(seconds.count());
  if (s == 0) return "0";
  if (s % 3600 == 0) return std::to_string(s / 3600) + "h";
  if (s % 60 == 0) return std::to_string(s / 60) + "m";
  return std::to_string(s) + "s";
}

// A flag given in whole `Unit`s (seconds, milliseconds) for a std::chrono field; --help shows the
// field's own default.
template <typename Unit>
CLI::Option* AddDuration(CLI::App* app, const std::string& name, Unit& field,
                         const std::string& help) {
  return app
      ->add_option_function<int64_t>(
          name, [&field](int64_t v) { field = Unit(v); }, help)
      ->default_str(std::to_string(field.count()));
}

// A flag given in MiB for a field in bytes; --help shows the field's own default.
CLI::Option* AddMebibytes(CLI::App* app, const std::string& name, uint64_t& bytes,
                          const std::string& help) {
  return app
      ->add_option_function<uint64_t>(
          name, [&bytes](uint64_t mib) { bytes = mib << 20; }, help)
      ->default_str(std::to_string(bytes >> 20));
}

// The token settings `urna serve` and `urna token` share.
struct TokenFlags {
  std::string max_ttl = EnvOr("URNA_MAX_TOKEN_TTL", FormatTtl(urna::TokenPolicy{}.max_lifetime));
  std::string audience = EnvOr("URNA_TOKEN_AUDIENCE", "");
  std::string issuer = EnvOr("URNA_TOKEN_ISSUER", "");

  void Add(CLI::App* app) {
    app->add_option("--max-token-ttl", max_ttl,
                    "Longest accepted voter token lifetime (exp - now), 0 = unbounded "
                    "(env URNA_MAX_TOKEN_TTL)")
        ->capture_default_str();
    app->add_option("--token-audience", audience,
                    "Require this aud in voter tokens (env URNA_TOKEN_AUDIENCE)");
    app->add_option("--token-issuer", issuer,
                    "Require this iss in voter tokens (env URNA_TOKEN_ISSUER)");
  }
  urna::TokenPolicy Policy() const { return {ParseTtl(max_ttl, true), audience, issuer}; }
};

// The rate limit flags of `urna serve`: RATE is N/PERIOD ("1/10s", "200/s"), BURST a count.
// The defaults are RequestLimitOptions' (src/auth/request_limits.h).
struct RateFlags {
  const urna::RequestLimitOptions defaults{};
  std::string voter_rate = urna::FormatRateLimit(defaults.voter),
              address_rate = urna::FormatRateLimit(defaults.address),
              admin_rate = urna::FormatRateLimit(defaults.admin);
  int64_t voter_burst = defaults.voter.burst, address_burst = defaults.address.burst,
          admin_burst = defaults.admin.burst;
  std::string trusted = EnvOr("URNA_TRUSTED_PROXIES", "");
  std::vector<std::string> trusted_proxies;
  size_t entries = defaults.table_entries;
  bool off = !defaults.enabled;

  void Add(CLI::App* app) {
    auto pair = [app](const char* kind, std::string& rate, int64_t& burst, const char* what) {
      app->add_option(std::string("--") + kind + "-rate", rate,
                      std::string("Sustained rate ") + what + ": N/PERIOD, e.g. 1/10s, 200/s")
          ->capture_default_str();
      app->add_option(std::string("--") + kind + "-burst", burst,
                      std::string("Requests allowed at once ") + what)
          ->capture_default_str()
          ->check(CLI::Range(int64_t{1}, int64_t{1'000'000'000}));
    };
    pair("voter", voter_rate, voter_burst, "per voter (vote requests)");
    pair("address", address_rate, address_burst, "per client address (writes, receipts)");
    pair("admin", admin_rate, admin_burst, "per admin token");
    app->add_option("--trusted-proxy", trusted_proxies,
                    "CIDR of a proxy whose X-Forwarded-For is believed; repeatable "
                    "(env URNA_TRUSTED_PROXIES, comma-separated)");
    app->add_option("--rate-limit-entries", entries,
                    "Slots of the voter and of the address rate-limit table (16 bytes each)")
        ->capture_default_str()
        ->check(CLI::Range(size_t{16}, size_t{1} << 30));
    app->add_flag("--no-rate-limits", off,
                  "Turn every rate limit off (benchmarks, or behind an edge that limits)");
  }

  urna::RequestLimitOptions Options() const {
    auto rate = [](const std::string& r, int64_t burst) {
      auto l = urna::ParseRateLimit(r, burst);
      if (!l.ok()) throw std::invalid_argument(l.status().message());
      return *l;
    };
    urna::RequestLimitOptions o = defaults;
    o.enabled = !off;
    o.voter = rate(voter_rate, voter_burst);
    o.address = rate(address_rate, address_burst);
    o.admin = rate(admin_rate, admin_burst);
    o.table_entries = entries;
    o.trusted_proxies = trusted_proxies;
    for (size_t start = 0; start < trusted.size();) {
      size_t comma = std::min(trusted.find(',', start), trusted.size());
      if (comma > start) o.trusted_proxies.push_back(trusted.substr(start, comma - start));
      start = comma + 1;
    }
    if (auto p = urna::TrustedProxies::Parse(o.trusted_proxies); !p.ok()) {
      throw std::invalid_argument(p.status().message());
    }
    return o;
  }
};

}  // namespace

int main(int argc, char** argv) {
  CLI::App cli{
      "urna: real-time voting. Votes are durable before they are acknowledged, and each "
      "voter counts exactly once."};
  cli.require_subcommand(1);

  urna::app::ServeOptions serve;
  serve.data_dir = EnvOr("URNA_DATA_DIR", serve.data_dir);
  serve.listen = EnvOr("URNA_LISTEN", serve.listen);
  auto* s =
      cli.add_subcommand("serve", "Run the embedded voting service (one process, one data dir)");
  s->add_option("--data-dir", serve.data_dir, "Data directory (env URNA_DATA_DIR)")
      ->capture_default_str();
  s->add_option("--listen", serve.listen, "HOST:PORT to listen on, port 0 = any (env URNA_LISTEN)")
      ->capture_default_str();
  s->add_flag("--demo", serve.demo, "Create and open a demo election; print tokens to try it");
  s->add_option("--http-threads", serve.http.threads, "Network threads")
      ->capture_default_str()
      ->check(CLI::Range(1, 64));
  s->add_option("--partitions", serve.partitions, "Log partitions of a new data dir")
      ->capture_default_str()
      ->check(CLI::Range(1, 1024));
  s->add_option("--node-id", serve.node_id, "Name of this node in vote events")
      ->capture_default_str();
  AddDuration(s, "--tick-ms", serve.hub.tick, "Live results push tick (ms)")
      ->check(CLI::Range(10, 10000));
  AddMebibytes(s, "--min-free-disk-mb", serve.storage.min_free_bytes,
               "Free disk space (MiB) needed to start, and to take votes again after the disk "
               "filled up (env URNA_MIN_FREE_DISK_MB)")
      ->envname("URNA_MIN_FREE_DISK_MB")
      ->check(CLI::Range(uint64_t{1}, uint64_t{1} << 30));
  AddMebibytes(s, "--write-buffer-mb", serve.storage.write_buffer_bytes,
               "RocksDB memtable size per column family in MiB (0 = RocksDB's 64 MiB)")
      ->check(CLI::Range(uint64_t{0}, uint64_t{4096}));
  // Connection limits (docs/operations.md, "Connections").
  s->add_option("--max-connections", serve.http.max_connections,
                "Open client connections at most, viewers included; 0 = the descriptor limit "
                "minus a reserve for storage (env URNA_MAX_CONNECTIONS)")
      ->envname("URNA_MAX_CONNECTIONS")
      ->capture_default_str()
      ->check(CLI::Range(size_t{0}, kMaxConnectionsBound));  // "-5" parses as 2^64 - 5
  s->add_option("--max-viewers", serve.http.max_push_streams,
                "Live result streams (SSE + WebSocket) at most; 0 = 3/4 of --max-connections")
      ->capture_default_str()
      ->check(CLI::Range(size_t{0}, kMaxConnectionsBound));
  AddDuration(s, "--idle-timeout", serve.http.idle_timeout,
              "Seconds a keep-alive connection may wait for its next request")
      ->check(CLI::Range(1, 3600));
  AddDuration(s, "--busy-idle-timeout", serve.http.busy_idle_timeout,
              "The same, above " +
                  std::to_string(static_cast<int>(serve.http.busy_fraction * 100)) +
                  "% of --max-connections")
      ->check(CLI::Range(1, 3600));
  // Live result streams (docs/operations.md, "Live result streams").
  s->add_option("--stream-threads", serve.http.stream_threads,
                "Read-side threads that write live result streams, apart from the network "
                "threads that take votes; 0 = on the network threads (env URNA_STREAM_THREADS)")
      ->envname("URNA_STREAM_THREADS")
      ->capture_default_str()
      ->check(CLI::Range(0, 64));
  s->add_option("--stream-nice", serve.http.stream_nice,
                "Niceness added to the read-side threads, so votes are served first when the CPU "
                "is full; 0 = same priority")
      ->capture_default_str()
      ->check(CLI::Range(0, 19));
  AddDuration(s, "--stream-write-timeout", serve.http.stream_write_timeout,
              "Seconds a live result stream (SSE or WebSocket) may take to write one message "
              "before it is closed")
      ->check(CLI::Range(1, 3600));
  s->add_option("--export-buffer-rows", serve.export_buffer_rows,
                "Rows a ledger export holds in memory before spilling to temporary files")
      ->capture_default_str()
      ->check(CLI::Range(1000, 1000000000));
  s->add_option("--pow-ttl", serve.pow.ttl_s,
                "Seconds a proof-of-work challenge may be solved and used (bot_protection pow)")
      ->capture_default_str()
      ->check(CLI::Range(10, 86400));
  s->add_option("--pow-replay-capacity", serve.pow.capacity,
                "Used, unexpired proof-of-work challenges remembered (~60 B each); when full, "
                "votes needing one get 503 until some expire")
      ->capture_default_str()
      ->check(CLI::Range(size_t{1}, size_t{1} << 30));
  TokenFlags serve_tokens;
  serve_tokens.Add(s);
  RateFlags rates;
  rates.Add(s);

  std::string voter, ttl = "1h", token_dir = serve.data_dir;
  auto* t = cli.add_subcommand("token", "Print a voter token (HS256 JWT, sub = voter id)");
  t->add_option("--voter", voter, "Voter id")->required();
  t->add_option("--ttl", ttl, "Lifetime: 90s, 15m, 1h, 2d")->capture_default_str();
  t->add_option("--data-dir", token_dir,
                "Data dir holding the generated secret (unless URNA_VOTER_SECRET is set)")
      ->capture_default_str();
  TokenFlags token_flags;
  token_flags.Add(t);

  urna::app::OfflineOptions off;
  off.data_dir = serve.data_dir;
  off.out_dir = "audit";
  auto* rc = cli.add_subcommand(
      "recount", "Recount a closed election on a stopped server's data dir; final if counts agree");
  auto* au = cli.add_subcommand(
      "audit", "Recount, then write report.json, report.html and ledger.csv (pseudonymised)");
  for (auto* sub : {rc, au}) {
    sub->add_option("--data-dir", off.data_dir, "Data directory (env URNA_DATA_DIR)")
        ->capture_default_str();
    sub->add_option("--election", off.election, "Election id")->required();
  }
  au->add_option("--out", off.out_dir, "Output directory")->capture_default_str();

  CLI11_PARSE(cli, argc, argv);
  try {
    if (s->parsed()) {
      serve.token_policy = serve_tokens.Policy();
      serve.limits = rates.Options();
      return urna::app::RunEmbeddedServer(serve);
    }
    if (rc->parsed()) return urna::app::RunRecountCommand(off);
    if (au->parsed()) return urna::app::RunAuditCommand(off);
    auto secrets = urna::LoadSecrets(token_dir);
    urna::VoterTokens tokens(secrets.voter_secret, token_flags.Policy());
    auto tok = tokens.Mint(voter, ParseTtl(ttl), urna::SystemClock().NowMs() / 1000);
    if (!tok.ok()) {
      std::cerr << "urna token: " << tok.status().message() << "\n";
      return 2;
    }
    std::cout << *tok << "\n";
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "urna: " << e.what() << "\n";
    return 2;
  }
}
