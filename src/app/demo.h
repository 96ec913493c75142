// The `--demo` election, so a newcomer can vote at once. Start-up only.
#pragma once

#include <cstdint>
#include <string>

#include "core/status.h"
#include "ports/catalog.h"
#include "ports/election_lifecycle.h"

namespace urna::app {

inline constexpr const char* kDemoElection = "demo";

// Creates the demo election and opens it (through `lifecycle`, like every status change) unless
// it exists.
Status EnsureDemoElection(Catalog& catalog, ElectionLifecycle& lifecycle, int64_t now_ms);
// The banner of `urna serve --demo` (scripts/run): the admin token, then shell lines that work
// as printed in another terminal, wherever it is: they set $U, $ADMIN and $TOKEN (a voter token
// from `urna token`, named by this binary's absolute path since urna is not on PATH), then vote
// and read the results. `voter_secret_from_env`: the server's voter secret came from
// URNA_VOTER_SECRET, which the token command then needs too.
std::string DemoHelpText(const std::string& url, const std::string& urna_path,
                         const std::string& data_dir, const std::string& admin_token,
                         bool voter_secret_from_env);
// Prints DemoHelpText for this process (its own executable and the absolute data dir).
void PrintDemoHelp(const std::string& url, const std::string& data_dir,
                   const std::string& admin_token, bool voter_secret_from_env);

}  // namespace urna::app
