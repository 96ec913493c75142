// RedisTestServer: a real redis-server for tests, started on a free loopback port (redis has no
// `--port 0`: the port is found by binding 127.0.0.1:0, then handed to redis-server), with no
// persistence (`--save '' --appendonly no`), so a restart comes back empty. Kill9() and
// Restart() (same port) for the outage tests; the destructor kills what it started.
// Test-only (linked into redis_test); owned by one test.
#pragma once

#include <sys/types.h>

#include <string>

namespace urna::redis {

class RedisTestServer {
 public:
  // Starts it (fails the test, via ADD_FAILURE, if redis-server is missing or does not answer
  // within 10 s). `password` non-empty: started with --requirepass.
  explicit RedisTestServer(std::string password = "");
  ~RedisTestServer();

  bool running() const { return pid_ > 0; }
  int port() const { return port_; }
  pid_t pid() const { return pid_; }
  std::string url() const;  // redis://[:password@]127.0.0.1:PORT/0

  void Kill9();    // SIGKILL, reaped
  bool Restart();  // on the same port, empty; true once it answers PING
  // Runs a command through redis-cli and returns its output (for checks from the outside).
  std::string Cli(const std::string& args) const;

 private:
  bool Launch();
  bool WaitReady() const;

  std::string password_;
  int port_ = 0;
  pid_t pid_ = -1;
};

}  // namespace urna::redis
