#include "net/thread_priority.h"

#include <pthread.h>
#include <sched.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace urna::net {

std::string_view StreamSchedName(StreamSched sched) {
  return sched == StreamSched::kIdle ? "idle" : "normal";
}

std::optional<StreamSched> ParseStreamSched(std::string_view name) {
  if (name == "normal") return StreamSched::kNormal;
  if (name == "idle") return StreamSched::kIdle;
  return std::nullopt;
}

Status LowerCurrentThread(StreamSched sched, int nice) {
  if (nice > 0) {
    const auto tid = static_cast<id_t>(gettid());
    errno = 0;
    const int base = getpriority(PRIO_PROCESS, tid);
    if (errno != 0) {
      return Status(Code::kInternal, std::string("getpriority: ") + std::strerror(errno));
    }
    if (setpriority(PRIO_PROCESS, tid, std::min(19, base + nice)) != 0) {
      return Status(Code::kInternal,
                    "setpriority(nice " + std::to_string(nice) + "): " + std::strerror(errno));
    }
  }
  if (sched == StreamSched::kIdle) {
    sched_param param{};  // SCHED_IDLE takes priority 0
    if (const int err = pthread_setschedparam(pthread_self(), SCHED_IDLE, &param); err != 0) {
      return Status(Code::kInternal, std::string("SCHED_IDLE: ") + std::strerror(err));
    }
  }
  return Status::Ok();
}

}  // namespace urna::net
