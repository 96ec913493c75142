// The subcommands of the distributed deployment on urna's command line: `urna init`,
// `urna ingest`, `urna process`, `urna results` (src/app/distributed_roles.h). Their flags default
// to the environment variables docs/operations.md lists, and flags win over variables. Start-up
// only, on the main thread.
#pragma once

#include <CLI/CLI.hpp>

#include "app/distributed_roles.h"
#include "cmd/flags.h"

namespace urna::cmd {

class DistributedCommands {
 public:
  // Adds the four subcommands to `cli` (which must outlive this).
  explicit DistributedCommands(CLI::App& cli);
  // Whether one of them was given.
  bool parsed() const;
  // Checks the configuration (exit 2 with a message naming the setting), then runs the role.
  int Run();

 private:
  // The flags every role shares: --kafka, --kafka-config, --topic, --table-prefix.
  void AddCommon(CLI::App* app, app::DistributedOptions& dist);
  // --redis (env URNA_REDIS_URL).
  void AddRedis(CLI::App* app, app::DistributedOptions& dist, const char* help);
  void AddResults(CLI::App& cli);

  CLI::App* init_ = nullptr;
  CLI::App* ingest_ = nullptr;
  CLI::App* process_ = nullptr;
  CLI::App* results_ = nullptr;
  app::InitOptions init_options_;
  app::IngestOptions ingest_options_;
  app::ProcessOptions process_options_;
  app::ResultsOptions results_options_;
  FrontFlags<app::IngestOptions> front_;
};

}  // namespace urna::cmd
