#include "app/logging.h"

#include <spdlog/formatter.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <boost/json/serialize.hpp>
#include <boost/json/string.hpp>

#include <chrono>
#include <ctime>
#include <memory>

namespace urna::app {
namespace {

// spdlog formats its records through a `formatter`; this one writes each record as a JSON line.
// Its pattern language cannot escape the message, so the line is built here, with Boost.JSON
// doing the escaping.
class JsonFormatter final : public spdlog::formatter {
 public:
  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(msg.time.time_since_epoch());
    auto level = spdlog::level::to_string_view(msg.level);
    std::string line = JsonLogLine(ms.count(), std::string_view(level.data(), level.size()),
                                   std::string_view(msg.payload.data(), msg.payload.size()));
    line += '\n';
    dest.append(line.data(), line.data() + line.size());
  }
  std::unique_ptr<spdlog::formatter> clone() const override {
    return std::make_unique<JsonFormatter>();
  }
};

std::string Quoted(std::string_view s) {
  return boost::json::serialize(boost::json::string(s.data(), s.size()));
}

}  // namespace

Result<LogFormat> ParseLogFormat(const std::string& name) {
  if (name == "text") return LogFormat::kText;
  if (name == "json") return LogFormat::kJson;
  return Status(Code::kInvalidArgument, "log format must be text or json, not \"" + name + "\"");
}

std::string JsonLogLine(int64_t unix_ms, std::string_view level, std::string_view message) {
  std::time_t secs = static_cast<std::time_t>(unix_ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char time[40];
  std::snprintf(time, sizeof time, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<int>(unix_ms % 1000));
  return std::string("{\"time\":\"") + time + "\",\"level\":" + Quoted(level) +
         ",\"logger\":\"urna\",\"msg\":" + Quoted(message) + "}";
}

void SetUpLogging(LogFormat format) {
  // The color sink colours only when stderr is a terminal.
  auto logger = std::make_shared<spdlog::logger>(
      "urna", std::make_shared<spdlog::sinks::stderr_color_sink_mt>());
  if (format == LogFormat::kJson) logger->set_formatter(std::make_unique<JsonFormatter>());
  logger->set_level(spdlog::default_logger()->level());
  spdlog::set_default_logger(std::move(logger));
}

}  // namespace urna::app
