// HomeThread: a thread that runs tasks handed to it, e.g. a network thread's event loop. A
// thread that serves requests registers itself for the calling thread (SetCurrent) so that code
// below it which completes requests on another thread (the vote log's appender) can hand the
// completions back where the requests came from in one task per home thread per 256 completions, rather
// than one cross-thread post per request, and the answers are built there, not on the serial
// thread (docs/architecture.md §7). Owned by whoever runs the thread (net's shards); it must
// outlive every task that may still be posted to it (the vote log drains before the HTTP server
// stops). Current()/SetCurrent() are per thread; Post() is thread-safe.
#pragma once

#include <functional>

namespace urna {

class HomeThread {
 public:
  virtual ~HomeThread() = default;
  // Runs `task` on this thread soon (never inline). Thread-safe.
  virtual void Post(std::function<void()> task) = 0;

  // The home of the calling thread, or null (a thread that registered none: tests, pools).
  static HomeThread* Current() { return current_; }
  static void SetCurrent(HomeThread* home) { current_ = home; }

  // Makes `home` the calling thread's home for a scope (a pool thread working for a request
  // that came in on `home`), then restores the one before.
  class Scope {
   public:
    explicit Scope(HomeThread* home) : before_(current_) { current_ = home; }
    ~Scope() { current_ = before_; }
    Scope(const Scope&) = delete;
    Scope& operator=(const Scope&) = delete;

   private:
    HomeThread* before_;
  };

 private:
  static inline thread_local HomeThread* current_ = nullptr;
};

}  // namespace urna
