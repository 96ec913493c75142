#include "app/backup.h"

#include <fcntl.h>
#include <rocksdb/utilities/checkpoint.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstdio>   // renameat2, RENAME_NOREPLACE (glibc >= 2.28)
#include <cstdlib>  // mkdtemp
#include <cstring>
#include <filesystem>
#include <memory>
#include <system_error>

namespace urna::app {
namespace fs = std::filesystem;

namespace {

constexpr std::string_view kStagingSuffix = ".tmp";  // RocksDB stages a checkpoint DIR in DIR.tmp

bool EndsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

// Moves `from` to `to` unless `to` exists (then EEXIST): never replaces what another process
// (a second server on the same --backup-dir) put there meanwhile. Returns 0 or an errno.
int RenameNoReplace(const fs::path& from, const fs::path& to) {
  if (::renameat2(AT_FDCWD, from.c_str(), AT_FDCWD, to.c_str(), RENAME_NOREPLACE) == 0) return 0;
  if (errno != EINVAL) return errno;
  // A filesystem without RENAME_NOREPLACE (some network ones): check, then rename, which
  // cannot replace a non-empty directory either.
  std::error_code ec;
  if (fs::exists(to, ec)) return EEXIST;
  return ::rename(from.c_str(), to.c_str()) == 0 ? 0 : errno;
}

// Makes the directory entry of a rename in `dir` durable.
void SyncDir(const fs::path& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;
  ::fsync(fd);
  ::close(fd);
}

}  // namespace

Backups::Backups(embedded::EmbeddedDb& db, std::string data_dir, std::string root)
    : db_(db), data_dir_(std::move(data_dir)), root_(std::move(root)) {}

Backups::~Backups() { Stop(); }

Result<std::string> Backups::Target(const std::string& to) const {
  if (root_.empty()) {
    return Status(Code::kConflict,
                  "backups are off: start urna serve with --backup-dir DIR (env URNA_BACKUP_DIR)");
  }
  std::error_code ec;
  fs::path root = fs::absolute(root_, ec).lexically_normal();
  if (ec) return Status(Code::kUnavailable, "backup dir " + root_ + ": " + ec.message());
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
  if (EndsWith(name, kStagingSuffix)) {
    return Status(Code::kInvalidArgument,
                  "a backup name may not end in \".tmp\" (RocksDB's name for a backup being "
                  "made): " +
                      to);
  }
  return p.string();
}

Status Backups::Start(const std::string& to, Done done) {
  MutexLock lock(mu_);
  if (stopping_) return Status(Code::kUnavailable, "the server is shutting down");
  if (job_) {
    return Status(Code::kConflict,
                  "a backup is in progress: one at a time, try again when it has ended");
  }
  job_ = Job{to, std::move(done)};
  if (!thread_.joinable()) thread_ = std::thread([this] { Run(); });
  wake_.NotifyAll();
  return Status::Ok();
}

void Backups::Run() {
  MutexLock lock(mu_);
  for (;;) {
    while (!job_ && !stopping_) wake_.Wait(mu_);
    if (!job_) return;  // stopping, nothing started
    std::string to = job_->to;
    Done done = std::move(job_->done);
    lock.Unlock();
    auto start = std::chrono::steady_clock::now();
    auto made = Create(to);
    double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    lock.Lock();
    job_.reset();  // made (or failed): the next one may start while this answer goes out
    lock.Unlock();
    done(std::move(made), seconds);
    lock.Lock();
  }
}

void Backups::Stop() {
  std::thread running;
  {
    MutexLock lock(mu_);
    stopping_ = true;
    running = std::move(thread_);
  }
  wake_.NotifyAll();
  if (running.joinable()) running.join();
}

Result<std::string> Backups::Create(const std::string& to) {
  auto target = Target(to);
  if (!target.ok()) return target.status();
  const fs::path path(*target);
  const fs::path root = path.parent_path();
  std::error_code ec;
  if (!fs::is_directory(root, ec)) {
    return Status(Code::kConflict, "--backup-dir " + root.string() + " is not a directory");
  }
  if (fs::exists(path, ec)) {
    return Status(Code::kConflict, path.string() + " exists already: a backup never overwrites");
  }
  if (ec) {
    return Status(Code::kUnavailable,
                  "backup: cannot look into " + root.string() + ": " + ec.message());
  }
  // RocksDB would empty DIR.tmp before staging a checkpoint DIR in it: whatever holds that
  // name is not ours to remove.
  fs::path sibling = path;
  sibling += kStagingSuffix;
  if (fs::exists(sibling, ec)) {
    return Status(Code::kConflict, sibling.string() +
                                       " exists: a backup never removes anything, move it away "
                                       "or choose another name");
  }
  if (ec) {
    return Status(Code::kUnavailable,
                  "backup: cannot look into " + root.string() + ": " + ec.message());
  }
  // Everything is made inside a directory this call creates (mkdtemp: a new name, 0700), RocksDB's
  // own staging included, and moved into place at the end without replacing anything. So a
  // failure removes only what this call made, and nothing else in --backup-dir is touched.
  std::string staging_name = (root / ("." + path.filename().string() + ".XXXXXX")).string();
  if (::mkdtemp(staging_name.data()) == nullptr) {
    return Status(Code::kUnavailable, "backup: cannot create a staging directory in " +
                                          root.string() + ": " + std::strerror(errno));
  }
  const fs::path staging(staging_name);
  const fs::path made = staging / "backup";
  auto fail = [&staging](Status s) {
    std::error_code ignored;
    fs::remove_all(staging, ignored);  // this call's own directory
    return s;
  };
  {
    auto lease = db_.Use();
    if (!lease.ok()) return fail(lease.status());
    rocksdb::Checkpoint* raw = nullptr;
    auto s = rocksdb::Checkpoint::Create(db_.db(), &raw);
    std::unique_ptr<rocksdb::Checkpoint> checkpoint(raw);
    // Flushes what the memtables hold (log_size_for_flush 0), so the copy needs no WAL replay;
    // files on the same filesystem are hard links, others copied.
    if (s.ok()) s = checkpoint->CreateCheckpoint(made.string(), 0);
    if (!s.ok()) {
      return fail(
          Status(Code::kUnavailable, "backup to " + path.string() + " failed: " + s.ToString()));
    }
  }
  // The secrets file, so the restored server accepts the same tokens and pseudonymises alike
  // (secrets given in URNA_* variables are not in it: docs/operations.md).
  fs::path secrets = fs::path(data_dir_) / "secrets";
  if (fs::exists(secrets, ec)) {
    fs::copy_file(secrets, made / "secrets", ec);
    if (ec) {
      return fail(Status(Code::kUnavailable, "backup: cannot copy the secrets: " + ec.message()));
    }
  }
  fs::permissions(made, fs::perms::owner_all, ec);  // 0700, like a data dir
  if (int err = RenameNoReplace(made, path); err != 0) {
    if (err == EEXIST || err == ENOTEMPTY) {
      return fail(
          Status(Code::kConflict, path.string() + " exists already: a backup never overwrites"));
    }
    return fail(Status(Code::kUnavailable,
                       "backup: cannot move it to " + path.string() + ": " + std::strerror(err)));
  }
  fs::remove(staging, ec);  // empty now
  SyncDir(root);
  spdlog::info("backup made in {}", path.string());
  return path.string();
}

}  // namespace urna::app
