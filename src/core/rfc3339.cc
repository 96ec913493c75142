#include "core/rfc3339.h"

#include <ctime>

namespace urna {

namespace {

// Reads exactly `n` digits at text[pos]; advances pos.
std::optional<int> Digits(std::string_view text, size_t& pos, size_t n) {
  if (pos + n > text.size()) return std::nullopt;
  int v = 0;
  for (size_t i = 0; i < n; ++i) {
    char c = text[pos + i];
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + (c - '0');
  }
  pos += n;
  return v;
}

bool Expect(std::string_view text, size_t& pos, std::string_view chars) {
  if (pos >= text.size() || chars.find(text[pos]) == std::string_view::npos) return false;
  ++pos;
  return true;
}

}  // namespace

// By hand over a strict grammar: strptime accepts unpadded fields and spaces and knows neither
// fractions nor offsets; std::chrono::parse is not in GCC 12. timegm (glibc) does the calendar.
std::optional<int64_t> ParseRfc3339Ms(std::string_view text) {
  size_t pos = 0;
  auto year = Digits(text, pos, 4);
  if (!year || !Expect(text, pos, "-")) return std::nullopt;
  auto month = Digits(text, pos, 2);
  if (!month || !Expect(text, pos, "-")) return std::nullopt;
  auto day = Digits(text, pos, 2);
  if (!day || !Expect(text, pos, "Tt")) return std::nullopt;
  auto hour = Digits(text, pos, 2);
  if (!hour || !Expect(text, pos, ":")) return std::nullopt;
  auto minute = Digits(text, pos, 2);
  if (!minute || !Expect(text, pos, ":")) return std::nullopt;
  auto second = Digits(text, pos, 2);
  if (!second) return std::nullopt;
  int millis = 0;
  if (pos < text.size() && text[pos] == '.') {
    ++pos;
    size_t start = pos;
    while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
      if (pos - start < 3) millis = millis * 10 + (text[pos] - '0');
      ++pos;
    }
    if (pos == start) return std::nullopt;
    for (size_t n = pos - start; n < 3; ++n) millis *= 10;
  }
  int offset_min = 0;
  if (pos < text.size() && (text[pos] == 'Z' || text[pos] == 'z')) {
    ++pos;
  } else if (pos < text.size() && (text[pos] == '+' || text[pos] == '-')) {
    int sign = text[pos] == '-' ? -1 : 1;
    ++pos;
    auto oh = Digits(text, pos, 2);
    if (!oh || !Expect(text, pos, ":")) return std::nullopt;
    auto om = Digits(text, pos, 2);
    if (!om || *oh > 23 || *om > 59) return std::nullopt;
    offset_min = sign * (*oh * 60 + *om);
  } else {
    return std::nullopt;
  }
  if (pos != text.size()) return std::nullopt;
  // A leap second (:60) is read as the next second's start, as most systems do.
  if (*year < 1970 || *month < 1 || *month > 12 || *day < 1 || *hour > 23 || *minute > 59 ||
      *second > 60) {
    return std::nullopt;
  }
  std::tm tm{};
  tm.tm_year = *year - 1900;
  tm.tm_mon = *month - 1;
  tm.tm_mday = *day;
  tm.tm_hour = *hour;
  tm.tm_min = *minute;
  tm.tm_sec = 0;
  std::time_t t = timegm(&tm);
  // timegm normalizes an impossible day (Feb 30 -> Mar 2): refuse what it moved.
  if (tm.tm_mday != *day || tm.tm_mon != *month - 1) return std::nullopt;
  int64_t secs = static_cast<int64_t>(t) + *second - int64_t{offset_min} * 60;
  if (secs < 0) return std::nullopt;
  return secs * 1000 + millis;
}

}  // namespace urna
