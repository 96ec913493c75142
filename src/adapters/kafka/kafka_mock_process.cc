#include "adapters/kafka/kafka_mock_process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <thread>

extern char** environ;

namespace urna::kafka::testing {

std::unique_ptr<KafkaMockProcess> KafkaMockProcess::Start(
    int brokers, const std::vector<std::pair<std::string, int>>& topics, std::string* error) {
  const char* path = std::getenv("URNA_KAFKA_MOCK");
  if (!path || !*path) {
    *error = "URNA_KAFKA_MOCK is not set (the path of tests/servers/kafka_mock; ctest sets it)";
    return nullptr;
  }
  std::vector<std::string> args = {path, "--brokers", std::to_string(brokers)};
  for (const auto& [name, n] : topics) {
    args.push_back("--topic");
    args.push_back(name + ":" + std::to_string(n));
  }
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);

  int to_child[2], from_child[2];
  if (pipe2(to_child, O_CLOEXEC) != 0 || pipe2(from_child, O_CLOEXEC) != 0) {
    *error = "pipe failed";
    return nullptr;
  }
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, to_child[0], STDIN_FILENO);
  posix_spawn_file_actions_adddup2(&fa, from_child[1], STDOUT_FILENO);
  std::unique_ptr<KafkaMockProcess> m(new KafkaMockProcess());
  int rc = posix_spawn(&m->pid_, path, &fa, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  close(to_child[0]);
  close(from_child[1]);
  m->in_ = to_child[1];
  m->out_ = from_child[0];
  if (rc != 0) {
    m->pid_ = -1;
    *error = std::string("cannot start ") + path;
    return nullptr;
  }
  if (!m->ReadLine(std::chrono::seconds(30), &m->bootstrap_) ||
      m->bootstrap_.rfind("127.0.0.1:", 0) != 0) {
    *error = "kafka_mock did not start: '" + m->bootstrap_ + "'";
    return nullptr;
  }
  return m;
}

KafkaMockProcess::~KafkaMockProcess() {
  if (in_ >= 0) close(in_);  // EOF: the mock stops
  if (pid_ > 0) {
    int status = 0;
    for (int i = 0; i < 1500 && waitpid(pid_, &status, WNOHANG) == 0; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
      if (i == 1000) kill(pid_, SIGKILL);
    }
    waitpid(pid_, &status, WNOHANG);
  }
  if (out_ >= 0) close(out_);
}

bool KafkaMockProcess::ReadLine(std::chrono::milliseconds timeout, std::string* line) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  size_t nl;
  while ((nl = buf_.find('\n')) == std::string::npos) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    pollfd p{out_, POLLIN, 0};
    if (poll(&p, 1, static_cast<int>(left.count())) <= 0) continue;
    char chunk[4096];
    ssize_t n = read(out_, chunk, sizeof chunk);
    if (n <= 0) return false;
    buf_.append(chunk, static_cast<size_t>(n));
  }
  *line = buf_.substr(0, nl);
  buf_.erase(0, nl + 1);
  return true;
}

bool KafkaMockProcess::Command(const std::string& line, std::string* answer) {
  std::string msg = line + "\n";
  if (write(in_, msg.data(), msg.size()) != static_cast<ssize_t>(msg.size())) return false;
  std::string got;
  if (!ReadLine(std::chrono::seconds(10), &got)) return false;
  if (answer) *answer = got;
  return got == "ok";
}

}  // namespace urna::kafka::testing
