// Secrets: the voter token secret and the admin token. Taken from the environment
// (URNA_VOTER_SECRET, URNA_ADMIN_TOKEN) when set; otherwise generated once per data dir and kept
// in <data-dir>/secrets (mode 0600), so `urna token --data-dir` and restarts agree.
// Loaded once at start-up (may throw: start-up only).
#pragma once

#include <string>

namespace urna {

struct Secrets {
  std::string voter_secret;
  std::string admin_token;
  bool generated = false;  // true when at least one came from the data dir file
};

Secrets LoadSecrets(const std::string& data_dir);

}  // namespace urna
