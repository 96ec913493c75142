// Clang thread-safety analysis annotations (clang.llvm.org/docs/ThreadSafetyAnalysis.html):
// they tell the compiler which mutex guards a member (GUARDED_BY) and which mutexes a function
// needs held (REQUIRES) or not held (EXCLUDES), so it checks every access. The `tsa` preset
// builds with clang and -Werror=thread-safety; with gcc they expand to nothing. Use them with
// the annotated types of sync/mutex.h (libstdc++'s std::mutex carries no annotation).
#pragma once

#if defined(__clang__)
#define URNA_THREAD_ANNOTATION(x) __attribute__((x))
#else
#define URNA_THREAD_ANNOTATION(x)
#endif

// On a class: its objects are capabilities (a mutex) named `name` in the diagnostics.
#define CAPABILITY(name) URNA_THREAD_ANNOTATION(capability(name))
// On a class: an RAII object that holds a capability for its lifetime (MutexLock).
#define SCOPED_CAPABILITY URNA_THREAD_ANNOTATION(scoped_lockable)

// On a data member: read or written only with `mu` held (reads may hold it shared).
#define GUARDED_BY(mu) URNA_THREAD_ANNOTATION(guarded_by(mu))
// On a pointer member: what it points to is read or written only with `mu` held.
#define PT_GUARDED_BY(mu) URNA_THREAD_ANNOTATION(pt_guarded_by(mu))

// On a function: the caller must hold the capabilities (exclusively, or at least shared).
#define REQUIRES(...) URNA_THREAD_ANNOTATION(requires_capability(__VA_ARGS__))
#define REQUIRES_SHARED(...) URNA_THREAD_ANNOTATION(requires_shared_capability(__VA_ARGS__))
// On a function: the caller must not hold them (the function takes them itself).
#define EXCLUDES(...) URNA_THREAD_ANNOTATION(locks_excluded(__VA_ARGS__))

// On a function: it takes or gives back the capabilities (no argument on a member function of
// a capability or scoped capability: the object itself or what it holds).
#define ACQUIRE(...) URNA_THREAD_ANNOTATION(acquire_capability(__VA_ARGS__))
#define ACQUIRE_SHARED(...) URNA_THREAD_ANNOTATION(acquire_shared_capability(__VA_ARGS__))
#define RELEASE(...) URNA_THREAD_ANNOTATION(release_capability(__VA_ARGS__))
#define RELEASE_SHARED(...) URNA_THREAD_ANNOTATION(release_shared_capability(__VA_ARGS__))
// On a function returning bool: TRY_ACQUIRE(result[, capabilities]): it took the capabilities
// (the object itself on a capability's member function) when it returns `result`.
#define TRY_ACQUIRE(...) URNA_THREAD_ANNOTATION(try_acquire_capability(__VA_ARGS__))
// On a function: returns only if the capability is held (the analysis takes it as held after).
#define ASSERT_CAPABILITY(x) URNA_THREAD_ANNOTATION(assert_capability(x))
// On a function: it returns a reference to the capability `x`.
#define RETURN_CAPABILITY(x) URNA_THREAD_ANNOTATION(lock_returned(x))

// On a function: not checked. Only where the locking cannot be expressed (say why beside it).
#define NO_THREAD_SAFETY_ANALYSIS URNA_THREAD_ANNOTATION(no_thread_safety_analysis)
