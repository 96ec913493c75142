#include "adapters/embedded/data_dir.h"

#include <spdlog/spdlog.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <system_error>

namespace urna::embedded {

namespace fs = std::filesystem;

Status PrepareDataDir(const std::string& dir) {
  std::error_code ec;
  fs::create_directories(
      fs::path(dir).parent_path().empty() ? fs::path(".") : fs::path(dir).parent_path(), ec);
  if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) {
    return Status(Code::kUnavailable,
                  "cannot create data dir " + dir + ": " + std::strerror(errno));
  }
  struct stat st {};
  if (::stat(dir.c_str(), &st) != 0) {
    return Status(Code::kUnavailable, "cannot stat data dir " + dir + ": " + std::strerror(errno));
  }
  if (!S_ISDIR(st.st_mode)) return Status(Code::kInvalidArgument, dir + " is not a directory");
  if ((st.st_mode & 0777) != 0700) {
    if (::chmod(dir.c_str(), 0700) != 0) {
      return Status(Code::kUnavailable,
                    "cannot make data dir " + dir + " private (0700): " + std::strerror(errno));
    }
    spdlog::warn("data dir {} was mode {:o}: narrowed to 0700 (it holds every ballot)", dir,
                 st.st_mode & 0777);
  }
  return Status::Ok();
}

int TightenDataFiles(const std::string& dir) {
  int changed = 0;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    struct stat st {};
    if (::lstat(entry.path().c_str(), &st) != 0 || !S_ISREG(st.st_mode)) continue;
    if ((st.st_mode & 077) == 0) continue;
    if (::chmod(entry.path().c_str(), st.st_mode & 0700) == 0) ++changed;
  }
  return changed;
}

Result<uint64_t> FreeDiskBytes(const std::string& dir) {
  std::error_code ec;
  auto info = fs::space(dir, ec);
  if (ec)
    return Status(Code::kUnavailable, "cannot measure free space in " + dir + ": " + ec.message());
  return static_cast<uint64_t>(info.available);
}

Status CheckFreeDisk(const std::string& dir, uint64_t min_free) {
  auto free = FreeDiskBytes(dir);
  if (!free.ok()) return free.status();
  if (*free >= min_free) return Status::Ok();
  constexpr double kMiB = 1024.0 * 1024.0;
  return Status(
      Code::kUnavailable,
      fmt::format("disk full: only {:.1f} MiB free in {}, storage needs at least {:.1f} MiB "
                  "(--min-free-disk-mb)",
                  static_cast<double>(*free) / kMiB, dir, static_cast<double>(min_free) / kMiB));
}

}  // namespace urna::embedded
