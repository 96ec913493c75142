#include "adapters/redis/redis_url.h"

#include <gtest/gtest.h>

namespace urna::redis {
namespace {

TEST(RedisUrlTest, HostPortDb) {
  auto u = ParseRedisUrl("redis://cache.example:6380/3");
  ASSERT_TRUE(u.ok()) << u.status().message();
  EXPECT_EQ(u->host, "cache.example");
  EXPECT_EQ(u->port, 6380);
  EXPECT_EQ(u->db, 3);
  EXPECT_EQ(u->user, "");
  EXPECT_EQ(u->password, "");
}

TEST(RedisUrlTest, DefaultsPortAndDb) {
  auto u = ParseRedisUrl("redis://10.0.0.7");
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(u->port, 6379);
  EXPECT_EQ(u->db, 0);
  auto v = ParseRedisUrl("redis://10.0.0.7:7000/");
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v->port, 7000);
  EXPECT_EQ(v->db, 0);
}

TEST(RedisUrlTest, PasswordAlone) {
  auto u = ParseRedisUrl("redis://:s3cret@127.0.0.1:6379/0");
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(u->user, "");
  EXPECT_EQ(u->password, "s3cret");
  EXPECT_EQ(u->host, "127.0.0.1");
}

TEST(RedisUrlTest, UserAndPercentEncodedPassword) {
  auto u = ParseRedisUrl("redis://urna:p%40ss%3Aw%2Fd@db:6379/2");
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(u->user, "urna");
  EXPECT_EQ(u->password, "p@ss:w/d");
  EXPECT_EQ(u->host, "db");
  EXPECT_EQ(u->db, 2);
  // A raw '@' in the password: the last '@' ends the user-info.
  auto v = ParseRedisUrl("redis://urna:a@b@db:1");
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v->password, "a@b");
  EXPECT_EQ(v->host, "db");
}

TEST(RedisUrlTest, BracketedIpv6) {
  auto u = ParseRedisUrl("redis://[::1]:6390/1");
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(u->host, "::1");
  EXPECT_EQ(u->port, 6390);
  EXPECT_EQ(u->Redacted(), "redis://[::1]:6390/1");
}

TEST(RedisUrlTest, RedactedHidesThePassword) {
  auto u = ParseRedisUrl("redis://urna:topsecret@db:6379/2");
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(u->Redacted(), "redis://urna:***@db:6379/2");
  EXPECT_EQ(u->Redacted().find("topsecret"), std::string::npos);
}

TEST(RedisUrlTest, TlsIsAClearConfigurationError) {
  auto u = ParseRedisUrl("rediss://db:6380/0");
  ASSERT_FALSE(u.ok());
  EXPECT_EQ(u.status().code(), Code::kInvalidArgument);
  EXPECT_NE(u.status().message().find("TLS"), std::string::npos);
  EXPECT_NE(u.status().message().find("hiredis 0.14"), std::string::npos);
}

TEST(RedisUrlTest, BadUrlsAreRefusedWithoutEchoingThePassword) {
  for (const char* bad : {"",
                          "http://db:6379",
                          "redis://",
                          "redis://:6379",
                          "redis://db:",
                          "redis://db:0",
                          "redis://db:65536",
                          "redis://db:63x9",
                          "redis://db/x",
                          "redis://db/-1",
                          "redis://db:6379/0?timeout=1",
                          "redis://db#x",
                          "redis://user@db",
                          "redis://u:@db",
                          "redis://[::1",
                          "redis://[::1]x",
                          "redis://d b",
                          "redis://:p%4@db",
                          "redis://:p%zz@db",
                          "redis:/db"}) {
    auto u = ParseRedisUrl(bad);
    EXPECT_FALSE(u.ok()) << bad;
    if (!u.ok()) {
      EXPECT_EQ(u.status().code(), Code::kInvalidArgument) << bad;
      EXPECT_NE(u.status().message().find("bad Redis URL"), std::string::npos) << bad;
    }
  }
  auto u = ParseRedisUrl("redis://u:hunter2@db:99999");
  ASSERT_FALSE(u.ok());
  EXPECT_EQ(u.status().message().find("hunter2"), std::string::npos);
}

}  // namespace
}  // namespace urna::redis
