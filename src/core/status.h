// Status and Result: how expected failures travel through urna (no exceptions on hot paths).
// Value types; safe to copy between threads.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <variant>

namespace urna {

// Error classes. The HTTP layer maps each to one status code; adapters map client
// errors to kUnavailable (retryable) or kInternal (not retryable).
enum class Code {
  kOk,
  kInvalidArgument,  // malformed request or value
  kNotFound,
  kConflict,  // exists already / wrong state for the operation
  kNotOpen,   // election not open for votes
  kUnknownOption,
  kUnauthenticated,
  kPermissionDenied,
  kUnavailable,  // retryable: storage slow or down, shutting down
  kInternal,
};

class Status {
 public:
  Status() = default;
  Status(Code code, std::string message) : code_(code), message_(std::move(message)) {}
  static Status Ok() { return {}; }

  bool ok() const { return code_ == Code::kOk; }
  Code code() const { return code_; }
  const std::string& message() const { return message_; }

 private:
  Code code_ = Code::kOk;
  std::string message_;
};

// Either a value or a non-ok Status.
template <typename T>
class Result {
 public:
  Result(T value) : v_(std::move(value)) {}         // NOLINT(google-explicit-constructor)
  Result(Status status) : v_(std::move(status)) {}  // NOLINT(google-explicit-constructor)

  bool ok() const { return v_.index() == 0; }
  T& value() { return std::get<0>(v_); }
  const T& value() const { return std::get<0>(v_); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() { return value(); }
  Status status() const { return ok() ? Status::Ok() : std::get<1>(v_); }

 private:
  std::variant<T, Status> v_;
};

}  // namespace urna
