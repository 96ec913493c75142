#include "core/uuid7.h"

#include <gtest/gtest.h>

#include <set>

namespace urna {
namespace {

TEST(Uuid7Test, WellFormedAndCarriesTime) {
  auto id = NewUuid7(1764395987123);
  EXPECT_TRUE(IsUuid7(id)) << id;
  EXPECT_EQ(Uuid7Millis(id), 1764395987123);
  EXPECT_FALSE(IsUuid7("not-a-uuid"));
  EXPECT_FALSE(IsUuid7("0190a1b2-c3d4-4e5f-8a6b-7c8d9e0f1a2b"));  // version 4
}

TEST(Uuid7Test, StrictlyIncreasingWithinOneMillisecond) {
  std::string prev = NewUuid7(1000);
  std::set<std::string> seen{prev};
  for (int i = 0; i < 10000; ++i) {
    auto id = NewUuid7(1000);
    EXPECT_LT(prev, id);
    EXPECT_TRUE(seen.insert(id).second);
    prev = id;
  }
  EXPECT_LT(prev, NewUuid7(999));  // a clock step back does not break the order
}

}  // namespace
}  // namespace urna
