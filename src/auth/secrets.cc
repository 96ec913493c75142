#include "auth/secrets.h"

#include <openssl/rand.h>
#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <stdexcept>

namespace urna {
namespace {

std::string RandomHex(size_t bytes) {
  std::string raw(bytes, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(raw.data()), static_cast<int>(bytes)) != 1) {
    throw std::runtime_error("no randomness for secrets");
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : raw) {
    out.push_back(kHex[c >> 4]);
    out.push_back(kHex[c & 15]);
  }
  return out;
}

std::string Env(const char* name) {
  const char* v = std::getenv(name);
  return v ? v : "";
}

}  // namespace

Secrets LoadSecrets(const std::string& data_dir) {
  Secrets s{Env("URNA_VOTER_SECRET"), Env("URNA_ADMIN_TOKEN"), Env("URNA_AUDIT_KEY"), false};
  if (!s.voter_secret.empty() && !s.admin_token.empty() && !s.audit_key.empty()) return s;

  std::filesystem::create_directories(data_dir);
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
    auto tmp = path;
    tmp += ".tmp";
    {
      std::ofstream out(tmp, std::ios::trunc);
      out << file_voter << "\n" << file_admin << "\n" << file_audit << "\n";
      if (!out) throw std::runtime_error("cannot write " + tmp.string());
    }
    ::chmod(tmp.c_str(), 0600);
    std::filesystem::rename(tmp, path);
  }
  if (s.voter_secret.empty()) s.voter_secret = file_voter;
  if (s.admin_token.empty()) s.admin_token = file_admin;
  if (s.audit_key.empty()) s.audit_key = file_audit;
  s.generated = true;
  return s;
}

}  // namespace urna
