#include "results/snapshot_json.h"

#include <gtest/gtest.h>

namespace urna::results {
namespace {

TEST(FormatTimeTest, RendersRfc3339WithMilliseconds) {
  EXPECT_EQ(FormatTime(1'764'447'302'113), "2025-11-29T20:15:02.113Z");
  EXPECT_EQ(FormatTime(1), "1970-01-01T00:00:00.001Z");
  EXPECT_EQ(FormatTime(0), "");  // no time: callers render null
}

// Found by tests/fuzz/catalog_election (seed regress_negative_created_at): a time before 1970
// rendered as "1970-01-01T00:00:00.-128Z".
TEST(FormatTimeTest, TimesBefore1970RoundDown) {
  EXPECT_EQ(FormatTime(-128), "1969-12-31T23:59:59.872Z");
  EXPECT_EQ(FormatTime(-1000), "1969-12-31T23:59:59.000Z");
  EXPECT_EQ(FormatTime(-1001), "1969-12-31T23:59:58.999Z");
}

// Found by tests/fuzz/catalog_election in CI (seed regress_short_year): strftime's %Y wrote year
// 999 as "999", not RFC 3339's four digits.
TEST(FormatTimeTest, YearsBefore1000HaveFourDigits) {
  EXPECT_EQ(FormatTime(-30'636'384'832'992), "0999-03-04T05:06:07.008Z");
}

// `stale` is always present (docs/api.md): false by default, true when the tally says so.
TEST(SnapshotJsonTest, StaleIsAlwaysPresent) {
  Snapshot s;
  s.election_id = "e1";
  s.updated_at_ms = 1'764'447'302'113;
  std::string fresh = SnapshotJson(s);
  EXPECT_NE(fresh.find("\"updated_at\":\"2025-11-29T20:15:02.113Z\",\"stale\":false"),
            std::string::npos)
      << fresh;
  s.stale = true;
  EXPECT_NE(SnapshotJson(s).find("\"stale\":true"), std::string::npos);
  s.turnout_hidden = true;  // BuildSnapshot clears stale then; the field is still there
  s.stale = false;
  EXPECT_NE(SnapshotJson(s).find("\"stale\":false"), std::string::npos);
}

}  // namespace
}  // namespace urna::results
