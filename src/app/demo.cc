#include "app/demo.h"

#include <cstdio>
#include <filesystem>
#include <system_error>

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

namespace {

// `s` as one shell word: in single quotes, each ' written as '\''.
std::string ShellQuote(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

}  // namespace

std::string DemoHelpText(const std::string& url, const std::string& urna_path,
                         const std::string& data_dir, const std::string& admin_token,
                         bool voter_secret_from_env) {
  std::string e = kDemoElection;
  std::string token_cmd =
      ShellQuote(urna_path) + " token --data-dir " + ShellQuote(data_dir) + " --voter alice";
  if (voter_secret_from_env) token_cmd = "URNA_VOTER_SECRET=\"$URNA_VOTER_SECRET\" " + token_cmd;
  return "\nDemo election '" + e + "' is open.\n  admin token:  " + admin_token +
         "\nTry it from another terminal (these lines work as printed; the stream runs until "
         "Ctrl-C):\n\n" +
         "export U=" + url + " ADMIN=" + ShellQuote("Authorization: Bearer " + admin_token) + "\n" +
         (voter_secret_from_env ? "# with URNA_VOTER_SECRET set as for the server\n" : "") +
         "export TOKEN=$(" + token_cmd + ")\n" + "curl -s -X POST $U/v1/elections/" + e +
         "/votes -H \"Authorization: Bearer $TOKEN\" -d '{\"option\":\"aurora\"}'\n" +
         "curl -s $U/v1/elections/" + e + "/results\n" + "curl -sN $U/v1/elections/" + e +
         "/results/stream\n\n";
}

void PrintDemoHelp(const std::string& url, const std::string& data_dir,
                   const std::string& admin_token, bool voter_secret_from_env) {
  std::error_code ec;
  auto self = std::filesystem::read_symlink("/proc/self/exe", ec);
  auto dir = std::filesystem::absolute(data_dir, ec);
  std::string text = DemoHelpText(url, self.empty() ? "urna" : self.string(),
                                  dir.empty() ? data_dir : dir.lexically_normal().string(),
                                  admin_token, voter_secret_from_env);
  std::fwrite(text.data(), 1, text.size(), stdout);
}

}  // namespace urna::app
