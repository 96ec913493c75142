#include "core/rfc3339.h"

#include <gtest/gtest.h>

namespace urna {
namespace {

TEST(Rfc3339Test, ParsesUtcWithAndWithoutFractions) {
  EXPECT_EQ(ParseRfc3339Ms("1970-01-01T00:00:00Z"), 0);
  EXPECT_EQ(ParseRfc3339Ms("2030-01-31T20:00:00Z"), 1896120000000);
  EXPECT_EQ(ParseRfc3339Ms("2030-01-31T20:00:00.5Z"), 1896120000500);
  EXPECT_EQ(ParseRfc3339Ms("2030-01-31T20:00:00.123456z"), 1896120000123);
  EXPECT_EQ(ParseRfc3339Ms("2030-01-31t20:00:00.120Z"), 1896120000120);
  EXPECT_EQ(ParseRfc3339Ms("2024-02-29T12:00:00Z"), 1709208000000);  // leap day
}

TEST(Rfc3339Test, OffsetsAreSubtracted) {
  // 17:00 in Brasília (-03:00) is 20:00 UTC.
  EXPECT_EQ(ParseRfc3339Ms("2030-01-31T17:00:00-03:00"), 1896120000000);
  EXPECT_EQ(ParseRfc3339Ms("2030-01-31T21:30:00+01:30"), 1896120000000);
}

TEST(Rfc3339Test, RefusesAnythingElse) {
  for (const char* bad :
       {"", "2030-01-31", "2030-01-31T20:00:00", "2030-01-31 20:00:00Z", "2030-1-31T20:00:00Z",
        "2030-01-31T20:00Z", "2030-02-30T20:00:00Z", "2030-13-01T00:00:00Z", "2030-01-31T24:00:00Z",
        "2030-01-31T20:00:00.Z", "2030-01-31T20:00:00+3:00", "2030-01-31T20:00:00Zjunk",
        "1969-12-31T23:59:59Z", "tomorrow", "1896120000000"}) {
    EXPECT_FALSE(ParseRfc3339Ms(bad).has_value()) << bad;
  }
}

}  // namespace
}  // namespace urna
