#include "app/logging.h"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

namespace urna::app {
namespace {

TEST(LoggingTest, JsonLineIsOneParsableObjectWithEscapedMessage) {
  std::string line = JsonLogLine(1767323045678, "warn", "disk \"full\"\nretry\\now");
  EXPECT_EQ(line.find('\n'), std::string::npos);  // one line, whatever the message holds
  auto v = boost::json::parse(line).as_object();
  EXPECT_EQ(v.at("time").as_string(), "2026-01-02T03:04:05.678Z");
  EXPECT_EQ(v.at("level").as_string(), "warn");
  EXPECT_EQ(v.at("msg").as_string(), "disk \"full\"\nretry\\now");
}

TEST(LoggingTest, FormatNamesAreCheckedWithAClearError) {
  EXPECT_EQ(*ParseLogFormat("json"), LogFormat::kJson);
  EXPECT_EQ(*ParseLogFormat("text"), LogFormat::kText);
  auto bad = ParseLogFormat("xml");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("xml"), std::string::npos);
}

}  // namespace
}  // namespace urna::app
