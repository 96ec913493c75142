#include "app/etag_match.h"

#include <gtest/gtest.h>

namespace urna::app {
namespace {

TEST(IfNoneMatchTest, OneTagMatchesExactly) {
  EXPECT_TRUE(IfNoneMatchHits(R"("15-open")", R"("15-open")"));
  EXPECT_FALSE(IfNoneMatchHits(R"("14-open")", R"("15-open")"));
  EXPECT_FALSE(IfNoneMatchHits("", R"("15-open")"));
}

TEST(IfNoneMatchTest, AnyTagOfAListMatches) {
  EXPECT_TRUE(IfNoneMatchHits(R"("1-open", "15-open")", R"("15-open")"));
  EXPECT_TRUE(IfNoneMatchHits(R"("15-open","2-open")", R"("15-open")"));
  EXPECT_TRUE(IfNoneMatchHits(" \t\"a\" ,  ,\"15-open\" ", R"("15-open")"));
  EXPECT_FALSE(IfNoneMatchHits(R"("1-open", "2-open")", R"("15-open")"));
  // A comma inside a tag is part of the tag, not a separator.
  EXPECT_TRUE(IfNoneMatchHits(R"("a,b", "x")", R"("a,b")"));
  EXPECT_FALSE(IfNoneMatchHits(R"("a,b")", R"("a")"));
}

TEST(IfNoneMatchTest, WeakTagsCompareWeakly) {
  EXPECT_TRUE(IfNoneMatchHits(R"(W/"15-open")", R"("15-open")"));
  EXPECT_TRUE(IfNoneMatchHits(R"("x", W/"15-open")", R"("15-open")"));
  EXPECT_TRUE(IfNoneMatchHits(R"("15-open")", R"(W/"15-open")"));
  EXPECT_FALSE(IfNoneMatchHits(R"(w/"15-open")", R"("15-open")"));  // the prefix is case-sensitive
}

TEST(IfNoneMatchTest, StarMatchesAnyCurrentTag) {
  EXPECT_TRUE(IfNoneMatchHits("*", R"("15-open")"));
  EXPECT_TRUE(IfNoneMatchHits(" * ", R"("15-open")"));
  EXPECT_FALSE(IfNoneMatchHits("*", ""));
}

TEST(IfNoneMatchTest, MalformedListsMatchNothingFromTheBadElementOn) {
  EXPECT_FALSE(IfNoneMatchHits("15-open", R"("15-open")"));  // unquoted
  EXPECT_FALSE(IfNoneMatchHits(R"("15-open)", R"("15-open")"));
  EXPECT_FALSE(IfNoneMatchHits(R"(bad, "15-open")", R"("15-open")"));
  EXPECT_FALSE(IfNoneMatchHits(R"("a" "15-open")", R"("15-open")"));  // no comma between
  EXPECT_TRUE(IfNoneMatchHits(R"("15-open", bad)", R"("15-open")"));  // matched before it
  EXPECT_FALSE(IfNoneMatchHits(R"(*, "x")", R"("15-open")"));         // `*` only alone
}

}  // namespace
}  // namespace urna::app
