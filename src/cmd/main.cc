// urna: the command line. `urna serve` runs the embedded deployment; `urna token` mints a
// voter token. See README.md.
#include <spdlog/spdlog.h>
#include <CLI/CLI.hpp>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <iostream>

#include "app/embedded_server.h"
#include "app/offline.h"
#include "auth/secrets.h"
#include "auth/voter_tokens.h"
#include "ports/clock.h"

namespace {

std::string EnvOr(const char* name, std::string fallback) {
  const char* v = std::getenv(name);
  return v && *v ? v : fallback;
}

// "90", "90s", "15m", "1h", "2d" -> seconds.
std::chrono::seconds ParseTtl(const std::string& s) {
  size_t used = 0;
  long n = std::stol(s, &used);
  std::string unit = s.substr(used);
  long mult = unit.empty() || unit == "s" ? 1
              : unit == "m"               ? 60
              : unit == "h"               ? 3600
              : unit == "d"               ? 86400
                                          : 0;
  if (mult == 0 || n <= 0) throw std::invalid_argument("ttl must look like 90s, 15m, 1h or 2d");
  return std::chrono::seconds(n * mult);
}

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
  s->add_option("--http-threads", serve.http_threads, "Network threads")
      ->capture_default_str()
      ->check(CLI::Range(1, 64));
  s->add_option("--partitions", serve.partitions, "Log partitions of a new data dir")
      ->capture_default_str()
      ->check(CLI::Range(1, 1024));
  s->add_option("--node-id", serve.node_id, "Name of this node in vote events")
      ->capture_default_str();
  s->add_option("--tick-ms", serve.tick_ms, "Live results push tick (ms)")
      ->capture_default_str()
      ->check(CLI::Range(10, 10000));
  s->add_option("--min-free-disk-mb", serve.min_free_disk_mb,
                "Free disk space (MiB) needed to start, and to take votes again after the disk "
                "filled up (env URNA_MIN_FREE_DISK_MB)")
      ->envname("URNA_MIN_FREE_DISK_MB")
      ->capture_default_str()
      ->check(CLI::Range(uint64_t{1}, uint64_t{1} << 30));
  s->add_option("--write-buffer-mb", serve.write_buffer_mb,
                "RocksDB memtable size per column family in MiB (0 = RocksDB's 64 MiB)")
      ->capture_default_str()
      ->check(CLI::Range(uint64_t{0}, uint64_t{4096}));
  // Connection limits (docs/operations.md, "Connections").
  serve.max_connections = std::stoul(EnvOr("URNA_MAX_CONNECTIONS", "0"));
  s->add_option("--max-connections", serve.max_connections,
                "Open client connections at most, viewers included; 0 = the descriptor limit "
                "minus a reserve for storage (env URNA_MAX_CONNECTIONS)")
      ->capture_default_str();
  s->add_option("--max-viewers", serve.max_viewers,
                "Live result streams (SSE + WebSocket) at most; 0 = 3/4 of --max-connections")
      ->capture_default_str();
  s->add_option("--idle-timeout", serve.idle_timeout_s,
                "Seconds a keep-alive connection may wait for its next request")
      ->capture_default_str()
      ->check(CLI::Range(1, 3600));
  s->add_option("--busy-idle-timeout", serve.busy_idle_timeout_s,
                "The same, above 80% of --max-connections")
      ->capture_default_str()
      ->check(CLI::Range(1, 3600));
  s->add_option("--export-buffer-rows", serve.export_buffer_rows,
                "Rows a ledger export holds in memory before spilling to temporary files")
      ->capture_default_str()
      ->check(CLI::Range(1000, 1000000000));
  s->add_option("--pow-ttl", serve.pow_ttl_s,
                "Seconds a proof-of-work challenge may be solved and used (bot_protection pow)")
      ->capture_default_str()
      ->check(CLI::Range(10, 86400));
  s->add_option("--pow-replay-capacity", serve.pow_replay_capacity,
                "Used, unexpired proof-of-work challenges remembered (~60 B each); when full, "
                "votes needing one get 503 until some expire")
      ->capture_default_str()
      ->check(CLI::Range(size_t{1}, size_t{1} << 30));

  std::string voter, ttl = "1h", token_dir = serve.data_dir;
  auto* t = cli.add_subcommand("token", "Print a voter token (HS256 JWT, sub = voter id)");
  t->add_option("--voter", voter, "Voter id")->required();
  t->add_option("--ttl", ttl, "Lifetime: 90s, 15m, 1h, 2d")->capture_default_str();
  t->add_option("--data-dir", token_dir,
                "Data dir holding the generated secret (unless URNA_VOTER_SECRET is set)")
      ->capture_default_str();

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
    if (s->parsed()) return urna::app::RunEmbeddedServer(serve);
    if (rc->parsed()) return urna::app::RunRecountCommand(off);
    if (au->parsed()) return urna::app::RunAuditCommand(off);
    auto secrets = urna::LoadSecrets(token_dir);
    urna::VoterTokens tokens(secrets.voter_secret);
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
