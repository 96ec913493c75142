// `urna backup --to NAME`: asks a running `urna serve` for an online backup (POST
// /v1/admin/backup, app/backup.h) and prints where it was made. Start-up style command: one
// blocking HTTP call on the main thread.
#pragma once

#include <string>

namespace urna::app {

struct BackupCommandOptions {
  std::string url = "http://127.0.0.1:8080";  // the server's address (env URNA_URL)
  std::string to;                             // NAME under --backup-dir, or a path inside it
  std::string admin_token;                    // empty: URNA_ADMIN_TOKEN, else data_dir's secrets
  std::string data_dir = "urna-data";
};

// 0 when the backup was made; 1 when the server refused or failed (its message on stderr);
// 2 on a usage error (no admin token).
int RunBackupCommand(const BackupCommandOptions& o);

}  // namespace urna::app
