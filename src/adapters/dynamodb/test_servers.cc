#include "adapters/dynamodb/test_servers.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <thread>

extern char** environ;

namespace urna::dynamodb::testing {
namespace {

std::string Env(const char* name) {
  const char* v = std::getenv(name);
  return v ? v : "";
}

Status Unavailable(const std::string& what) {
  return Status(Code::kUnavailable, what + ": " + std::strerror(errno));
}

}  // namespace

Result<std::unique_ptr<ChildProcess>> ChildProcess::Start(const std::vector<std::string>& argv) {
  int in[2], out[2];
  if (pipe2(in, O_CLOEXEC) != 0) return Unavailable("pipe");
  if (pipe2(out, O_CLOEXEC) != 0) {
    close(in[0]);
    close(in[1]);
    return Unavailable("pipe");
  }
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, in[0], 0);
  posix_spawn_file_actions_adddup2(&fa, out[1], 1);
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = -1;
  int rc = posix_spawn(&pid, argv[0].c_str(), &fa, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  close(in[0]);
  close(out[1]);
  if (rc != 0) {
    close(in[1]);
    close(out[0]);
    return Status(Code::kUnavailable, "cannot start " + argv[0] + ": " + std::strerror(rc));
  }
  std::unique_ptr<ChildProcess> p(new ChildProcess());
  p->pid_ = pid;
  p->in_ = in[1];
  p->out_ = out[0];
  return p;
}

ChildProcess::~ChildProcess() {
  if (in_ >= 0) close(in_);
  if (out_ >= 0) close(out_);
  if (pid_ <= 0) return;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (waitpid(pid_, nullptr, WNOHANG) == 0) {
    if (std::chrono::steady_clock::now() > deadline) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
      return;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

Result<std::string> ChildProcess::ReadLine(int timeout_ms) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (buf_.find('\n') == std::string::npos) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                    deadline - std::chrono::steady_clock::now())
                    .count();
    if (left <= 0)
      return Status(Code::kUnavailable, "no line within " + std::to_string(timeout_ms) + " ms");
    pollfd p{out_, POLLIN, 0};
    int n = poll(&p, 1, static_cast<int>(left));
    if (n < 0 && errno != EINTR) return Unavailable("poll");
    if (n <= 0) continue;
    char chunk[4096];
    ssize_t r = read(out_, chunk, sizeof chunk);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return Status(Code::kUnavailable, "the server exited");
    buf_.append(chunk, static_cast<size_t>(r));
  }
  auto nl = buf_.find('\n');
  std::string line = buf_.substr(0, nl);
  buf_.erase(0, nl + 1);
  return line;
}

Status ChildProcess::WriteLine(const std::string& line) {
  std::string s = line + "\n";
  size_t done = 0;
  while (done < s.size()) {
    ssize_t w = write(in_, s.data() + done, s.size() - done);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return Unavailable("write to the server");
    done += static_cast<size_t>(w);
  }
  return Status::Ok();
}

Result<std::unique_ptr<Dynalite>> Dynalite::Start() {
  std::string node = Env("URNA_TEST_NODE"), script = Env("URNA_TEST_DYNALITE");
  if (node.empty() || script.empty()) {
    return Status(Code::kUnavailable,
                  "URNA_TEST_NODE and URNA_TEST_DYNALITE are not set (run the test with ctest)");
  }
  auto p = ChildProcess::Start({node, script, "--exit-on-stdin-eof"});
  if (!p.ok()) return p.status();
  auto line = (*p)->ReadLine(30000);
  if (!line.ok()) return Status(Code::kUnavailable, "dynalite: " + line.status().message());
  if (line->rfind("http://127.0.0.1:", 0) != 0) {
    return Status(Code::kUnavailable, "dynalite: unexpected first line " + *line);
  }
  std::unique_ptr<Dynalite> d(new Dynalite());
  d->p_ = std::move(*p);
  d->endpoint_ = *line;
  return d;
}

Result<std::unique_ptr<FaultProxy>> FaultProxy::Start(const std::string& upstream) {
  std::string python = Env("URNA_TEST_PYTHON"), script = Env("URNA_TEST_FAULT_PROXY");
  if (python.empty() || script.empty()) {
    return Status(
        Code::kUnavailable,
        "URNA_TEST_PYTHON and URNA_TEST_FAULT_PROXY are not set (run the test with ctest)");
  }
  auto p = ChildProcess::Start({python, script, upstream});
  if (!p.ok()) return p.status();
  auto line = (*p)->ReadLine(30000);
  if (!line.ok()) return Status(Code::kUnavailable, "fault proxy: " + line.status().message());
  if (line->rfind("http://127.0.0.1:", 0) != 0) {
    return Status(Code::kUnavailable, "fault proxy: unexpected first line " + *line);
  }
  std::unique_ptr<FaultProxy> f(new FaultProxy());
  f->p_ = std::move(*p);
  f->endpoint_ = *line;
  return f;
}

Result<std::string> FaultProxy::Command(const std::string& line) {
  if (auto s = p_->WriteLine(line); !s.ok()) return s;
  auto answer = p_->ReadLine(10000);
  if (!answer.ok()) return answer.status();
  if (answer->rfind("ok", 0) != 0) {
    return Status(Code::kInternal, "fault proxy: " + line + ": " + *answer);
  }
  return answer->size() > 3 ? answer->substr(3) : std::string();
}

Status FaultProxy::Inject(const std::string& kind, const std::string& operation, int count,
                          int every, bool after) {
  auto r = Command("inject " + kind + " " + (operation.empty() ? "*" : operation) + " " +
                   std::to_string(count) + " " + std::to_string(every) + " " +
                   (after ? "after" : "before"));
  return r.status();
}

int FaultProxy::Number(const std::string& command) {
  auto r = Command(command);
  return r.ok() ? std::atoi(r->c_str()) : -1;
}

int FaultProxy::Injected(const std::string& kind) { return Number("injected " + kind); }
int FaultProxy::Forwarded() { return Number("forwarded"); }
int FaultProxy::Peak() { return Number("peak"); }
int FaultProxy::Connections() { return Number("connections"); }
int FaultProxy::Cut() { return Number("cut"); }
Status FaultProxy::Unprocessed(int n) {
  return Command("unprocessed " + std::to_string(n)).status();
}
Status FaultProxy::Reset() { return Command("reset").status(); }
Status FaultProxy::Hold(int n) { return Command("hold " + std::to_string(n)).status(); }

DynamoConfig TestConfig(const std::string& endpoint) {
  DynamoConfig c;
  c.endpoint = endpoint;
  c.credentials = {"test-key", "test-secret", ""};
  c.base_backoff = std::chrono::milliseconds(5);
  c.max_backoff = std::chrono::milliseconds(100);
  return c;
}

std::string UniqueName(const std::string& base) {
  static std::atomic<int> n{0};
  return "t" + std::to_string(getpid()) + "-" + std::to_string(n++) + "-" + base;
}

}  // namespace urna::dynamodb::testing
