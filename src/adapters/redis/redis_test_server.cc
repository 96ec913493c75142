#include "adapters/redis/redis_test_server.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <thread>
#include <vector>

#include "adapters/redis/redis_connection.h"

namespace urna::redis {
namespace {

int FreeLoopbackPort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = 0;
  socklen_t len = sizeof a;
  int port = 0;
  if (bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 &&
      getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0) {
    port = ntohs(a.sin_port);
  }
  close(fd);
  return port;
}

std::string ServerBinary() {
  const char* env = getenv("URNA_REDIS_SERVER");
  return env != nullptr ? env : "redis-server";
}

}  // namespace

RedisTestServer::RedisTestServer(std::string password) : password_(std::move(password)) {
  // Another process may take the port between our probe and redis's bind: try a few.
  for (int attempt = 0; attempt < 5 && pid_ < 0; ++attempt) {
    port_ = FreeLoopbackPort();
    if (port_ != 0 && Launch() && WaitReady()) return;
    Kill9();
  }
  ADD_FAILURE() << "could not start " << ServerBinary()
                << " (scripts/bootstrap installs redis-server)";
}

RedisTestServer::~RedisTestServer() { Kill9(); }

std::string RedisTestServer::url() const {
  return "redis://" + (password_.empty() ? "" : ":" + password_ + "@") +
         "127.0.0.1:" + std::to_string(port_) + "/0";
}

bool RedisTestServer::Launch() {
  std::string port = std::to_string(port_);
  std::vector<std::string> args{ServerBinary(), "--port",     port,     "--bind",
                                "127.0.0.1",    "--save",     "",       "--appendonly",
                                "no",           "--loglevel", "warning"};
  if (!password_.empty()) {
    args.push_back("--requirepass");
    args.push_back(password_);
  }
  pid_t pid = fork();
  if (pid < 0) return false;
  if (pid == 0) {
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    // Quiet: redis-server logs to stdout.
    freopen("/dev/null", "w", stdout);
    execvp(argv[0], argv.data());
    _exit(127);
  }
  pid_ = pid;
  return true;
}

bool RedisTestServer::WaitReady() const {
  auto url = ParseRedisUrl(this->url());
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (std::chrono::steady_clock::now() < deadline) {
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) return false;  // exited (port taken?)
    auto conn = RedisConnection::Open(
        *url, {std::chrono::milliseconds(200), std::chrono::milliseconds(500)});
    if (conn.ok()) {
      auto r = (*conn)->Command({"PING"});
      if (r.ok() && !IsErrorReply(r->get())) return true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return false;
}

void RedisTestServer::Kill9() {
  if (pid_ <= 0) return;
  kill(pid_, SIGKILL);
  int status = 0;
  waitpid(pid_, &status, 0);
  pid_ = -1;
}

bool RedisTestServer::Restart() {
  Kill9();
  // The port is ours to take again (redis sets SO_REUSEADDR); retry briefly if it is not yet.
  for (int attempt = 0; attempt < 20; ++attempt) {
    if (Launch() && WaitReady()) return true;
    Kill9();
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return false;
}

std::string RedisTestServer::Cli(const std::string& args) const {
  std::string cmd = "redis-cli -h 127.0.0.1 -p " + std::to_string(port_) +
                    (password_.empty() ? "" : " --no-auth-warning -a " + password_) + " " + args;
  std::string out;
  if (FILE* f = popen(cmd.c_str(), "r")) {
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0) out.append(buf, n);
    pclose(f);
  }
  return out;
}

}  // namespace urna::redis
