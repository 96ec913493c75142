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
// Prints the admin token and how to get voter tokens and vote.
void PrintDemoHelp(const std::string& url, const std::string& data_dir,
                   const std::string& admin_token);

}  // namespace urna::app
