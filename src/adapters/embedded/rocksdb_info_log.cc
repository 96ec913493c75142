#include "adapters/embedded/rocksdb_info_log.h"

#include <fcntl.h>
#include <rocksdb/env.h>
#include <sys/time.h>
#include <unistd.h>

#include <cerrno>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <ctime>

namespace urna::embedded {
namespace {

class RocksLog final : public rocksdb::Logger {
 public:
  explicit RocksLog(int fd) : Logger(rocksdb::InfoLogLevel::INFO_LEVEL), fd_(fd) {}
  ~RocksLog() override { ::close(fd_); }

  using Logger::Logv;
  void Logv(const char* format, va_list ap) override {
    char line[2048];
    timeval tv{};
    ::gettimeofday(&tv, nullptr);
    tm t{};
    ::localtime_r(&tv.tv_sec, &t);
    int n = std::snprintf(line, sizeof(line), "%04d/%02d/%02d-%02d:%02d:%02d.%06ld ",
                          t.tm_year + 1900, t.tm_mon + 1, t.tm_mday, t.tm_hour, t.tm_min, t.tm_sec,
                          static_cast<long>(tv.tv_usec));
    int m = std::vsnprintf(line + n, sizeof(line) - n - 1, format, ap);
    size_t len = m < 0 ? n : std::min<size_t>(n + m, sizeof(line) - 2);
    if (len == 0 || line[len - 1] != '\n') line[len++] = '\n';
    // One write per line (O_APPEND keeps lines whole); a failure (full disk) drops the line.
    [[maybe_unused]] ssize_t w = ::write(fd_, line, len);
  }

 private:
  const int fd_;
};

}  // namespace

Result<std::shared_ptr<rocksdb::Logger>> OpenRocksLog(const std::string& dir) {
  std::string path = dir + "/LOG";
  ::rename(path.c_str(), (path + ".old").c_str());  // absent on a new data dir: fine
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (fd < 0) {
    return Status(Code::kUnavailable, "cannot open " + path + ": " + std::strerror(errno));
  }
  return std::shared_ptr<rocksdb::Logger>(std::make_shared<RocksLog>(fd));
}

}  // namespace urna::embedded
