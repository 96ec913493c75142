// Secrets: the voter token secret, the admin token and the audit key (which pseudonymises voter
// ids in audit exports). Taken from the environment (URNA_VOTER_SECRET, URNA_ADMIN_TOKEN,
// URNA_AUDIT_KEY) when set; otherwise generated once per data dir and kept in
// <data-dir>/secrets (mode 0600), so `urna token --data-dir`, exports and restarts agree.
// Loaded once at start-up (may throw: start-up only).
#pragma once

#include <string>

#include "core/status.h"

namespace urna {

struct Secrets {
  std::string voter_secret;
  std::string admin_token;
  std::string audit_key;
  bool generated = false;  // true when at least one came from the data dir file
};

Secrets LoadSecrets(const std::string& data_dir);

// The voter secret for `urna token`: URNA_VOTER_SECRET when set, else the one kept in
// <data-dir>/secrets. Never creates one (a token signed by a new secret would be one no server
// accepts): kNotFound when the data dir holds none.
Result<std::string> ReadVoterSecret(const std::string& data_dir);

}  // namespace urna
