// Logging set-up for every urna command: log lines go to stderr (stdout carries only what a
// command prints for its user: the start-up banner, a token, a report), as text or as one JSON
// object per line (`--log-format json`, env URNA_LOG_FORMAT) for log shippers. Called once by
// main() before any thread starts; spdlog's default logger is thread-safe afterwards.
#pragma once

#include <string>

#include "core/status.h"

namespace urna::app {

enum class LogFormat { kText, kJson };

// "text" or "json"; anything else is a clear error.
Result<LogFormat> ParseLogFormat(const std::string& name);

// Makes spdlog's default logger write to stderr in `format`.
void SetUpLogging(LogFormat format);

// One log record as a JSON line (no newline): {"time":"2026-01-02T03:04:05.678Z","level":"info",
// "logger":"urna","msg":"..."} with every string JSON-escaped. Exposed for its unit test.
std::string JsonLogLine(int64_t unix_ms, std::string_view level, std::string_view message);

}  // namespace urna::app
