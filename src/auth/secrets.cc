#include "auth/secrets.h"

#include <fcntl.h>
#include <openssl/rand.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <stdexcept>

#include "core/hex.h"

namespace urna {
namespace {

std::string RandomHex(size_t bytes) {
  std::string raw(bytes, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(raw.data()), static_cast<int>(bytes)) != 1) {
    throw std::runtime_error("no randomness for secrets");
  }
  return HexEncode(raw);
}

std::string Env(const char* name) {
  const char* v = std::getenv(name);
  return v ? v : "";
}

std::string Errno() { return std::strerror(errno); }

// The data dir holds every ballot: made 0700 (EmbeddedDb narrows an existing wider one).
void MakePrivateDir(const std::string& dir) {
  auto parent = std::filesystem::path(dir).parent_path();
  if (!parent.empty()) std::filesystem::create_directories(parent);
  if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) {
    throw std::runtime_error("cannot create data dir " + dir + ": " + Errno());
  }
}

// Writes `content` to `path` atomically, readable by this user only from its first byte: a
// fresh temporary file opened 0600 (O_EXCL, so never one someone else prepared), fsync'd,
// renamed over `path`, and the directory fsync'd so the rename survives a crash.
void WritePrivateFile(const std::filesystem::path& path, const std::string& content) {
  auto tmp = path;
  tmp += ".tmp";
  ::unlink(tmp.c_str());  // a leftover of a crash between create and rename
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) throw std::runtime_error("cannot create " + tmp.string() + ": " + Errno());
  size_t done = 0;
  while (done < content.size()) {
    ssize_t n = ::write(fd, content.data() + done, content.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      std::string why = Errno();
      ::close(fd);
      ::unlink(tmp.c_str());
      throw std::runtime_error("cannot write " + tmp.string() + ": " + why);
    }
    done += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0) {
    std::string why = Errno();
    ::unlink(tmp.c_str());
    throw std::runtime_error("cannot write " + tmp.string() + ": " + why);
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    std::string why = Errno();
    ::unlink(tmp.c_str());
    throw std::runtime_error("cannot rename " + tmp.string() + ": " + why);
  }
  int dir = ::open(path.parent_path().empty() ? "." : path.parent_path().c_str(),
                   O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir >= 0) {
    ::fsync(dir);
    ::close(dir);
  }
}

}  // namespace

Secrets LoadSecrets(const std::string& data_dir) {
  Secrets s{Env("URNA_VOTER_SECRET"), Env("URNA_ADMIN_TOKEN"), Env("URNA_AUDIT_KEY"), false};
  if (!s.voter_secret.empty() && !s.admin_token.empty() && !s.audit_key.empty()) return s;

  MakePrivateDir(data_dir);
  auto path = std::filesystem::path(data_dir) / "secrets";
  std::string file_voter, file_admin, file_audit;
  if (std::ifstream in(path); in) {
    std::getline(in, file_voter);
    std::getline(in, file_admin);
    std::getline(in, file_audit);
  }
  if (file_voter.empty() || file_admin.empty() || file_audit.empty()) {
    if (file_voter.empty()) file_voter = RandomHex(32);
    if (file_admin.empty()) file_admin = RandomHex(24);
    file_audit = RandomHex(32);
    WritePrivateFile(path, file_voter + "\n" + file_admin + "\n" + file_audit + "\n");
  } else {
    ::chmod(path.c_str(), 0600);  // a file from an older urna may be wider
  }
  if (s.voter_secret.empty()) s.voter_secret = file_voter;
  if (s.admin_token.empty()) s.admin_token = file_admin;
  if (s.audit_key.empty()) s.audit_key = file_audit;
  s.generated = true;
  return s;
}

Result<std::string> ReadVoterSecret(const std::string& data_dir) {
  if (auto env = Env("URNA_VOTER_SECRET"); !env.empty()) return env;
  auto path = std::filesystem::path(data_dir) / "secrets";
  std::string voter;
  if (std::ifstream in(path); in) std::getline(in, voter);
  if (voter.empty()) {
    return Status(Code::kNotFound,
                  "no voter secret in " + data_dir +
                      " (not a data dir `urna serve` has started on): pass the server's "
                      "--data-dir, or set URNA_VOTER_SECRET as the server has it");
  }
  return voter;
}

}  // namespace urna
