// MetricsText: builds a /metrics page in the Prometheus text format 0.0.4, every family with its
// HELP and TYPE lines (what `promtool check metrics` asks for), label values escaped. Used on
// the thread that answers /metrics; not thread-safe.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>

namespace urna::app {

class MetricsText {
 public:
  using Labels = std::initializer_list<std::pair<std::string_view, std::string_view>>;

  // A family with one sample and no labels.
  void Counter(std::string_view name, std::string_view help, uint64_t value);
  void Gauge(std::string_view name, std::string_view help, double value);

  // A family's HELP and TYPE ("counter", "gauge", "histogram"); then its samples.
  void Family(std::string_view name, std::string_view type, std::string_view help);
  void Sample(std::string_view name, Labels labels, double value);

  // Appends text already in this format (families written elsewhere).
  void Append(std::string_view text) { text_ += text; }

  const std::string& text() const { return text_; }
  std::string Take() { return std::move(text_); }

 private:
  std::string text_;
};

}  // namespace urna::app
