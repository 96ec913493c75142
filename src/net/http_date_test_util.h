#pragma once
// Test helper shared by net's tests: checks a Date header's value (RFC 9110 6.6.1). Header-only,
// included by test files only.

#include <gtest/gtest.h>

#include <chrono>
#include <ctime>
#include <string>

namespace urna::net_test {

// A Date header's value is the server's clock to the second, between `before` and `after`.
inline void ExpectDateBetween(const std::string& value,
                              std::chrono::system_clock::time_point before,
                              std::chrono::system_clock::time_point after) {
  std::tm tm{};
  const char* end = strptime(value.c_str(), "%a, %d %b %Y %H:%M:%S GMT", &tm);
  ASSERT_NE(end, nullptr) << value;
  EXPECT_EQ(*end, '\0') << value;
  auto date = std::chrono::system_clock::from_time_t(timegm(&tm));
  EXPECT_LE(std::chrono::floor<std::chrono::seconds>(before), date) << value;
  EXPECT_LE(date, after) << value;
}

}  // namespace urna::net_test
