#include "app/demo.h"

#include <cstdio>

namespace urna::app {

Status EnsureDemoElection(Catalog& catalog, ElectionLifecycle& lifecycle, int64_t now_ms) {
  if (auto got = catalog.Get(kDemoElection); got.ok()) {
    // Created but not opened (a failed open or a crash in between): open it now.
    if ((*got)->status == ElectionStatus::kDraft) return lifecycle.Open(kDemoElection).status();
    return Status::Ok();
  }
  Election e;
  e.id = kDemoElection;
  e.title = "Demo: which song wins tonight?";
  e.options = {{"aurora", "Aurora - Northern Lights"},
               {"basalt", "Basalt - Stone Heart"},
               {"cirrus", "Cirrus - High and Light"}};
  e.created_at_ms = now_ms;
  if (auto s = catalog.Create(e); !s.ok()) return s;
  return lifecycle.Open(e.id).status();
}

void PrintDemoHelp(const std::string& url, const std::string& data_dir,
                   const std::string& admin_token) {
  std::printf(
      "\nDemo election '%s' is open.\n"
      "  admin token:  %s\n"
      "  voter token:  urna token --data-dir %s --voter alice\n"
      "  vote:         curl -X POST %s/v1/elections/%s/votes -H \"Authorization: Bearer $TOKEN\" "
      "-d '{\"option\":\"aurora\"}'\n"
      "  results:      curl %s/v1/elections/%s/results\n\n",
      kDemoElection, admin_token.c_str(), data_dir.c_str(), url.c_str(), kDemoElection, url.c_str(),
      kDemoElection);
}

}  // namespace urna::app
