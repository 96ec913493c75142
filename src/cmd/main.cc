// urna: the command line. `urna serve` runs the embedded deployment, `urna token` mints a voter
// token, `urna recount` and `urna audit` work on a stopped server's data dir, `urna backup` asks a
// running one for a checkpoint. See README.md and docs/operations.md. Logs go to stderr
// (app/logging.h); usage errors exit 2. Flags set the modules' own option structs (ServeOptions);
// the defaults shown in --help are read from those structs, never written here a second time.
#include <spdlog/spdlog.h>
#include <CLI/CLI.hpp>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <stdexcept>
#include <string>
#include <vector>

#include "app/backup_command.h"
#include "app/embedded_server.h"
#include "app/logging.h"
#include "app/offline.h"
#include "auth/secrets.h"
#include "auth/voter_tokens.h"
#include "cmd/distributed_commands.h"
#include "cmd/flags.h"
#include "ports/clock.h"

using urna::cmd::AddMebibytes;
using urna::cmd::EnvOr;
using urna::cmd::ParseTtl;

namespace {

// The first word of the command line that is not an option (nor the value of --log-format),
// when it names no subcommand: CLI11 alone would only say "arguments were not expected".
std::string UnknownSubcommand(CLI::App& cli, int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--log-format") {
      ++i;
      continue;
    }
    if (arg.starts_with("-")) continue;
    for (const CLI::App* sub : cli.get_subcommands([](CLI::App*) { return true; })) {
      if (sub->get_name() == arg) return "";
    }
    return arg;
  }
  return "";
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App cli{
      "urna: real-time voting. Votes are durable before they are acknowledged, and each "
      "voter counts exactly once."};
  cli.require_subcommand(1);
  cli.set_version_flag("--version", "urna " URNA_VERSION);
  // Options of the top level may also be given after the subcommand (urna serve --log-format).
  cli.fallthrough();
  std::string log_format = "text";
  cli.add_option("--log-format", log_format,
                 "Log lines on stderr as text or as JSON lines (env URNA_LOG_FORMAT)")
      ->envname("URNA_LOG_FORMAT")
      ->capture_default_str()
      ->check(CLI::IsMember({"text", "json"}));

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
  s->add_option("--partitions", serve.partitions, "Log partitions of a new data dir")
      ->capture_default_str()
      ->check(CLI::Range(1, 1024));
  s->add_option("--node-id", serve.node_id, "Name of this node in vote events")
      ->capture_default_str();
  AddMebibytes(s, "--min-free-disk-mb", serve.storage.min_free_bytes,
               "Free disk space (MiB) needed to start, and to take votes again after the disk "
               "filled up (env URNA_MIN_FREE_DISK_MB)")
      ->envname("URNA_MIN_FREE_DISK_MB")
      ->check(CLI::Range(uint64_t{1}, uint64_t{1} << 30));
  AddMebibytes(s, "--write-buffer-mb", serve.storage.write_buffer_bytes,
               "RocksDB memtable size per column family in MiB (0 = RocksDB's 64 MiB)")
      ->check(CLI::Range(uint64_t{0}, uint64_t{4096}));
  s->add_option("--receipt-index-entries", serve.storage.receipt_index_capacity,
                "Votes of the log's recent tail kept in memory so a pending receipt is found "
                "without a scan, ~80 bytes each (env URNA_RECEIPT_INDEX_ENTRIES)")
      ->envname("URNA_RECEIPT_INDEX_ENTRIES")
      ->capture_default_str()
      ->check(CLI::Range(size_t{0}, size_t{100'000'000}));
  urna::cmd::AddDuration(
      s, "--stale-after-ms", serve.stale_after,
      "Results are marked stale while a durable vote may have waited longer than this "
      "(ms) to be counted (env URNA_STALE_AFTER_MS)")
      ->envname("URNA_STALE_AFTER_MS")
      ->check(CLI::Range(int64_t{1}, int64_t{86'400'000}));
  serve.backup_dir = EnvOr("URNA_BACKUP_DIR", serve.backup_dir);
  s->add_option("--backup-dir", serve.backup_dir,
                "Directory where `urna backup` may make online backups, each in a new "
                "subdirectory; unset = backups off (env URNA_BACKUP_DIR)");
  s->add_option("--metrics-elections", serve.metrics_elections,
                "Live elections with their own /metrics series at most (bounded series)")
      ->capture_default_str()
      ->check(CLI::Range(size_t{0}, size_t{100000}));
  urna::cmd::FrontFlags<urna::app::ServeOptions> serve_front;
  serve_front.Add(s, serve);

  std::string voter, ttl = "1h", token_dir = serve.data_dir;
  auto* t = cli.add_subcommand("token", "Print a voter token (HS256 JWT, sub = voter id)");
  t->add_option("--voter", voter, "Voter id")->required();
  t->add_option("--ttl", ttl, "Lifetime: 90s, 15m, 1h, 2d")->capture_default_str();
  t->add_option("--data-dir", token_dir,
                "Data dir of the server, holding its voter secret (unless URNA_VOTER_SECRET is "
                "set); a dir without one is refused")
      ->capture_default_str();
  urna::cmd::TokenFlags token_flags;
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

  urna::app::BackupCommandOptions backup;
  backup.url = EnvOr("URNA_URL", backup.url);
  backup.data_dir = serve.data_dir;
  auto* bk = cli.add_subcommand(
      "backup", "Make an online backup of a running urna serve (a RocksDB checkpoint)");
  bk->add_option("--to", backup.to,
                 "NAME of the new backup directory under the server's --backup-dir")
      ->required();
  bk->add_option("--url", backup.url, "The server's address (env URNA_URL)")->capture_default_str();
  bk->add_option("--admin-token", backup.admin_token,
                 "Admin token (default: env URNA_ADMIN_TOKEN, else --data-dir's secrets)");
  bk->add_option("--data-dir", backup.data_dir,
                 "The server's data dir, to read its generated admin token")
      ->capture_default_str();

  urna::cmd::DistributedCommands distributed(cli);

  if (auto unknown = UnknownSubcommand(cli, argc, argv); !unknown.empty()) {
    std::string names;
    for (const CLI::App* sub : cli.get_subcommands([](CLI::App*) { return true; })) {
      names += (names.empty() ? "" : ", ") + sub->get_name();
    }
    std::cerr << "urna: unknown subcommand \"" << unknown << "\" (subcommands: " << names
              << "; urna --help)\n";
    return 2;
  }
  try {
    cli.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int rc = cli.exit(e);  // prints the help, the version or the error
    return rc == 0 ? 0 : 2;
  }
  urna::app::SetUpLogging(*urna::app::ParseLogFormat(log_format));  // checked by IsMember
  try {
    if (distributed.parsed()) return distributed.Run();
    if (s->parsed()) {
      serve_front.Finish(serve);
      return urna::app::RunEmbeddedServer(serve);
    }
    if (rc->parsed()) return urna::app::RunRecountCommand(off);
    if (bk->parsed()) return urna::app::RunBackupCommand(backup);
    if (au->parsed()) return urna::app::RunAuditCommand(off);
    auto secret = urna::ReadVoterSecret(token_dir);
    if (!secret.ok()) {
      std::cerr << "urna token: " << secret.status().message() << "\n";
      return 2;
    }
    urna::VoterTokens tokens(*secret, token_flags.Policy());
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
