// Test servers for the C++ tests of the DynamoDB adapters (library urna_dynamodb_testing, never
// linked into urna): dynalite and the fault-injecting proxy (tests/e2e/dynamo_fault_proxy.py)
// as child processes on free loopback ports. ctest gives their paths in the environment:
//   URNA_TEST_NODE (node), URNA_TEST_DYNALITE (tests/servers/dynalite_server.js),
//   URNA_TEST_PYTHON (python3), URNA_TEST_FAULT_PROXY (tests/e2e/dynamo_fault_proxy_server.py).
// Each server stops when its object is destroyed (and by itself when the test process dies:
// both exit on EOF of their stdin). Owned by one test thread.
#pragma once

#include <sys/types.h>

#include <memory>
#include <string>
#include <vector>

#include "adapters/dynamodb/dynamo_client.h"
#include "core/status.h"

namespace urna::dynamodb::testing {

// A child process with pipes to its stdin and from its stdout.
class ChildProcess {
 public:
  // Starts argv[0] (a path) with `argv`; kUnavailable if it cannot.
  static Result<std::unique_ptr<ChildProcess>> Start(const std::vector<std::string>& argv);
  ~ChildProcess();  // closes stdin, waits up to 10 s, then SIGKILL
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  // One line of stdout without its newline; kUnavailable after `timeout_ms` or at EOF.
  Result<std::string> ReadLine(int timeout_ms);
  // Writes `line` and a newline to stdin.
  Status WriteLine(const std::string& line);

 private:
  ChildProcess() = default;
  pid_t pid_ = -1;
  int in_ = -1;   // the child's stdin (write end)
  int out_ = -1;  // the child's stdout (read end)
  std::string buf_;
};

// dynalite in memory on a free port.
class Dynalite {
 public:
  // kUnavailable if URNA_TEST_NODE / URNA_TEST_DYNALITE are unset or the server does not start.
  static Result<std::unique_ptr<Dynalite>> Start();
  const std::string& endpoint() const { return endpoint_; }

 private:
  std::unique_ptr<ChildProcess> p_;
  std::string endpoint_;
};

// The fault proxy in front of `upstream`; Inject adds a rule (see dynamo_fault_proxy.py):
// kind "throttle" | "request_limit" | "internal" | "unavailable", operation "" for any.
class FaultProxy {
 public:
  static Result<std::unique_ptr<FaultProxy>> Start(const std::string& upstream);
  const std::string& endpoint() const { return endpoint_; }
  Status Inject(const std::string& kind, const std::string& operation, int count, int every = 1,
                bool after = false);
  // How many faults of `kind` were injected so far; -1 on a control error.
  int Injected(const std::string& kind);
  // How many requests reached the upstream; -1 on a control error.
  int Forwarded();
  // The next `n` forwarded requests wait until all `n` have arrived (at most 20 s each).
  Status Hold(int n);
  // The most requests forwarded at once so far; -1 on a control error.
  int Peak();
  // Client connections accepted so far; -1 on a control error.
  int Connections();
  // The next `n` BatchWriteItem requests apply only their first item per table and answer the
  // rest in UnprocessedItems.
  Status Unprocessed(int n);
  // BatchWriteItem requests cut so far; -1 on a control error.
  int Cut();
  // Drops the rules left and zeroes the counts, for the next test.
  Status Reset();

 private:
  Result<std::string> Command(const std::string& line);
  int Number(const std::string& command);
  std::unique_ptr<ChildProcess> p_;
  std::string endpoint_;
};

// A client config for a test server: the endpoint, dummy credentials, short backoffs.
DynamoConfig TestConfig(const std::string& endpoint);

// A table name unique in this process ("t<pid>-<n>-<base>"), so tests sharing a server do not
// see each other's tables.
std::string UniqueName(const std::string& base);

}  // namespace urna::dynamodb::testing
