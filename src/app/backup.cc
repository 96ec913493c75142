#include "app/backup.h"

#include <rocksdb/utilities/checkpoint.h>
#include <spdlog/spdlog.h>

#include <cctype>
#include <filesystem>
#include <memory>
#include <system_error>

namespace urna::app {
namespace fs = std::filesystem;

Result<std::string> Backups::Resolve(const std::string& to) const {
  if (root_.empty()) {
    return Status(Code::kConflict,
                  "backups are off: start urna serve with --backup-dir DIR (env URNA_BACKUP_DIR)");
  }
  fs::path root = fs::absolute(root_).lexically_normal();
  if (root.filename().empty()) root = root.parent_path();  // "/backups/" -> "/backups"
  fs::path p = fs::path(to).lexically_normal();
  if (p.is_absolute()) {
    if (p.parent_path() != root) {
      return Status(Code::kInvalidArgument, "a backup goes directly inside --backup-dir " +
                                                root.string() + ", not to " + to);
    }
  } else {
    p = root / p;
  }
  std::string name = p.filename().string();
  bool valid = !name.empty() && name.size() <= 200 && name[0] != '.';
  for (char c : name) {
    valid =
        valid && (std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-');
  }
  if (!valid || p.parent_path() != root) {
    return Status(
        Code::kInvalidArgument,
        "a backup name is letters, digits, '.', '_' and '-' (not starting with '.'): " + to);
  }
  std::error_code ec;
  if (fs::exists(p, ec)) {
    return Status(Code::kConflict, p.string() + " exists already: a backup never overwrites");
  }
  if (!fs::is_directory(root, ec)) {
    return Status(Code::kConflict, "--backup-dir " + root.string() + " is not a directory");
  }
  return p.string();
}

Result<std::string> Backups::Create(const std::string& to) {
  auto path = Resolve(to);
  if (!path.ok()) return path.status();
  auto lease = db_.Use();
  if (!lease.ok()) return lease.status();
  rocksdb::Checkpoint* raw = nullptr;
  auto s = rocksdb::Checkpoint::Create(db_.db(), &raw);
  std::unique_ptr<rocksdb::Checkpoint> checkpoint(raw);
  // Flushes what the memtables hold (log_size_for_flush 0), so the copy needs no WAL replay;
  // files on the same filesystem are hard links, others copied.
  if (s.ok()) s = checkpoint->CreateCheckpoint(*path, 0);
  if (!s.ok()) {
    std::error_code ec;
    fs::remove_all(*path, ec);  // nothing half-made is left to be taken for a backup
    return Status(Code::kUnavailable, "backup to " + *path + " failed: " + s.ToString());
  }
  // The secrets, so the restored server accepts the same tokens and pseudonymises alike.
  fs::path secrets = fs::path(data_dir_) / "secrets";
  std::error_code ec;
  if (fs::exists(secrets, ec)) {
    fs::copy_file(secrets, fs::path(*path) / "secrets", ec);
    if (ec) {
      fs::remove_all(*path, ec);
      return Status(Code::kUnavailable, "backup: cannot copy the secrets: " + ec.message());
    }
  }
  fs::permissions(*path, fs::perms::owner_all, ec);  // 0700, like a data dir
  spdlog::info("backup made in {}", *path);
  return *path;
}

}  // namespace urna::app
