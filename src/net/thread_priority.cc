#include "net/thread_priority.h"

#include <pthread.h>
#include <sched.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string>

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
  // Both steps are attempted: SCHED_IDLE is worth having even if the niceness could not be set.
  std::string errors;
  auto fail = [&errors](std::string what) {
    if (!errors.empty()) errors += "; ";
    errors += what;
  };
  if (nice > 0) {
    const auto tid = static_cast<id_t>(gettid());
    errno = 0;
    const int base = getpriority(PRIO_PROCESS, tid);
    if (errno != 0) {
      fail(std::string("getpriority: ") + std::strerror(errno));
    } else if (setpriority(PRIO_PROCESS, tid, std::min(19, base + nice)) != 0) {
      fail("setpriority(nice " + std::to_string(nice) + "): " + std::strerror(errno));
    }
  }
  if (sched == StreamSched::kIdle) {
    sched_param param{};  // SCHED_IDLE takes priority 0
    if (const int err = pthread_setschedparam(pthread_self(), SCHED_IDLE, &param); err != 0) {
      fail(std::string("SCHED_IDLE: ") + std::strerror(err));
    }
  }
  if (!errors.empty()) return Status(Code::kInternal, errors);
  return Status::Ok();
}

}  // namespace urna::net
