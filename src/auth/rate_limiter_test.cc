#include "auth/rate_limiter.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

#include "auth/request_limits.h"

namespace urna {
namespace {

constexpr int64_t kSec = 1'000'000'000;
constexpr int64_t kT0 = 1'000 * kSec;  // the injected clock starts here

TEST(RateLimiterTest, BurstThenOnePerInterval) {
  RateLimiter l({5, 10 * kSec}, 1024);
  for (int i = 0; i < 5; ++i) EXPECT_EQ(l.Acquire(42, kT0), 0) << i;
  EXPECT_EQ(l.Acquire(42, kT0), 10 * kSec);  // the 6th waits exactly one interval
  EXPECT_EQ(l.Acquire(42, kT0 + 3 * kSec), 7 * kSec);
  EXPECT_EQ(l.Acquire(42, kT0 + 10 * kSec - 1), 1);
  EXPECT_EQ(l.Acquire(42, kT0 + 10 * kSec), 0);  // one more after 10 s
  EXPECT_EQ(l.Acquire(42, kT0 + 10 * kSec), 10 * kSec);
  // A refused request is not counted: waiting the advertised time is enough.
  EXPECT_EQ(l.Acquire(42, kT0 + 20 * kSec), 0);
  // After a full idle period of burst * interval, the whole burst is back.
  int64_t later = kT0 + 20 * kSec + 50 * kSec;
  for (int i = 0; i < 5; ++i) EXPECT_EQ(l.Acquire(42, later), 0) << i;
  EXPECT_GT(l.Acquire(42, later), 0);
}

TEST(RateLimiterTest, KeysAreIndependent) {
  RateLimiter l({1, kSec}, 1024);
  EXPECT_EQ(l.Acquire(1, kT0), 0);
  EXPECT_EQ(l.Acquire(1, kT0), kSec);
  EXPECT_EQ(l.Acquire(2, kT0), 0);
  EXPECT_EQ(l.Acquire(0, kT0), 0);  // 0 is a key like any other
  EXPECT_EQ(l.Acquire(0, kT0), kSec);
}

TEST(RateLimiterTest, MemoryIsBoundedAndHeavyUsersAreForgottenLast) {
  RateLimiter l({2, 10 * kSec}, 16);  // the smallest table: 16 slots, one shard
  EXPECT_EQ(l.capacity(), 16u);
  EXPECT_EQ(l.Acquire(7, kT0), 0);
  EXPECT_EQ(l.Acquire(7, kT0), 0);
  EXPECT_EQ(l.Acquire(7, kT0), 10 * kSec);  // key 7 is in debt until kT0 + 20 s
  // 100,000 other keys, one request each (each live until kT0 + 10 s): far more than the table.
  for (uint64_t k = 100; k < 100'100; ++k) ASSERT_EQ(l.Acquire(k, kT0), 0);
  EXPECT_GT(l.evictions(), 99'000u);
  EXPECT_EQ(l.capacity(), 16u);
  // Evictions took the entries nearest to a full budget, never key 7's.
  EXPECT_EQ(l.Acquire(7, kT0), 10 * kSec);
}

TEST(RateLimiterTest, ExpiredEntriesAreReusedWithoutEviction) {
  RateLimiter l({1, kSec}, 16);
  for (uint64_t k = 1; k <= 1000; ++k) ASSERT_EQ(l.Acquire(k, kT0 + int64_t(k) * kSec), 0);
  EXPECT_EQ(l.evictions(), 0u);  // each earlier entry had expired when the next came
}

TEST(RateLimiterTest, ConcurrentRequestsGetExactlyTheBurst) {
  RateLimiter l({1000, kSec}, 1024);
  std::atomic<int> allowed{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 1000; ++i) allowed += l.Acquire(9, kT0) == 0;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(allowed.load(), 1000);
}

TEST(RateLimiterTest, ParsesRates) {
  auto r = ParseRateLimit("1/10s", 5);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->burst, 5);
  EXPECT_EQ(r->interval_ns, 10 * kSec);
  EXPECT_EQ(ParseRateLimit("200/s", 1)->interval_ns, 5'000'000);
  EXPECT_EQ(ParseRateLimit("30/m", 1)->interval_ns, 2 * kSec);
  EXPECT_EQ(ParseRateLimit("500/1h", 1)->interval_ns, 7'200'000'000);
  EXPECT_EQ(ParseRateLimit("1/100ms", 1)->interval_ns, 100'000'000);
  for (const char* bad :
       {"", "5", "0/s", "-1/s", "1/", "1/x", "1/0s", "1/10", "a/s", "1/s ", "2000000000/ms"}) {
    EXPECT_FALSE(ParseRateLimit(bad, 1).ok()) << bad;
  }
  EXPECT_FALSE(ParseRateLimit("1/s", 0).ok());
}

// `urna serve --help` shows the RequestLimitOptions defaults through FormatRateLimit: what it
// writes must parse back to the same limit.
TEST(RateLimiterTest, FormatsRatesThatParseBack) {
  RequestLimitOptions defaults;
  EXPECT_EQ(FormatRateLimit(defaults.voter), "1/10s");
  EXPECT_EQ(FormatRateLimit(defaults.address), "200/s");
  EXPECT_EQ(FormatRateLimit(defaults.admin), "20/s");
  for (const char* rate : {"1/10s", "200/s", "20/s", "30/m", "500/1h", "1/100ms", "1/m", "1/2h",
                           "1000/s", "3/s", "7/m"}) {
    auto l = ParseRateLimit(rate, 3);
    ASSERT_TRUE(l.ok()) << rate;
    auto back = ParseRateLimit(FormatRateLimit(*l), l->burst);
    ASSERT_TRUE(back.ok()) << rate << " -> " << FormatRateLimit(*l);
    EXPECT_EQ(back->interval_ns, l->interval_ns) << rate << " -> " << FormatRateLimit(*l);
  }
}

TEST(RequestLimitsTest, RetryAfterIsWholeSecondsRoundedUp) {
  RequestLimitOptions o;
  o.voter = {1, 2'500'000'000};  // 1 per 2.5 s
  o.table_entries = 64;
  auto limits = RequestLimits::Create(o);
  ASSERT_TRUE(limits.ok());
  auto& l = **limits;
  EXPECT_EQ(l.Voter("alice", kT0), 0);
  EXPECT_EQ(l.Voter("alice", kT0), 3);                  // 2.5 s -> 3
  EXPECT_EQ(l.Voter("alice", kT0 + kSec / 2), 2);       // 2 s -> 2
  EXPECT_EQ(l.Voter("alice", kT0 + 2'499'999'999), 1);  // 1 ns -> 1
  EXPECT_EQ(l.Voter("bob", kT0), 0);
  EXPECT_NE(l.MetricsText().find("urna_rate_limited_total{kind=\"voter\"} 3\n"), std::string::npos)
      << l.MetricsText();
}

TEST(RequestLimitsTest, AddressesBehindTrustedProxies) {
  RequestLimitOptions o;
  o.address = {1, kSec};
  o.table_entries = 64;
  o.trusted_proxies = {"10.0.0.0/8"};
  auto l = std::move(*RequestLimits::Create(o));
  EXPECT_EQ(l->Address("10.1.1.1", "198.51.100.7", kT0), 0);
  EXPECT_EQ(l->Address("10.2.2.2", "198.51.100.7", kT0), 1);  // same client, other proxy
  EXPECT_EQ(l->Address("10.2.2.2", "198.51.100.8", kT0), 0);  // another client
  // From an untrusted peer the header is ignored: the peer itself is limited.
  EXPECT_EQ(l->Address("192.0.2.1", "198.51.100.9", kT0), 0);
  EXPECT_EQ(l->Address("192.0.2.1", "198.51.100.10", kT0), 1);
  EXPECT_EQ(l->Address("", "", kT0), 0);  // no known address: not limited
  EXPECT_EQ(l->Address("", "", kT0), 0);
  EXPECT_FALSE(RequestLimits::Create({.trusted_proxies = {"10.0.0.0/33"}}).ok());
}

TEST(RequestLimitsTest, WhichRequestsCountAgainstTheAddress) {
  EXPECT_TRUE(CountsAgainstAddress("POST", "/v1/elections/e/votes"));
  EXPECT_TRUE(CountsAgainstAddress("POST", "/v1/demo/token"));
  EXPECT_TRUE(CountsAgainstAddress("DELETE", "/anything"));
  EXPECT_TRUE(CountsAgainstAddress("GET", "/v1/elections/e/votes/0190"));
  EXPECT_FALSE(CountsAgainstAddress("GET", "/v1/elections/e/results"));
  EXPECT_FALSE(CountsAgainstAddress("GET", "/v1/elections/e/stream"));
  EXPECT_FALSE(CountsAgainstAddress("GET", "/e/e"));
  EXPECT_FALSE(CountsAgainstAddress("GET", "/healthz"));
  EXPECT_FALSE(CountsAgainstAddress("HEAD", "/"));
  // Preflights touch no storage: a page polling results cross-origin must not be limited (and
  // a 429 answered before CORS would carry no Access-Control-Allow-Origin).
  EXPECT_FALSE(CountsAgainstAddress("OPTIONS", "/v1/elections/e/results"));
  EXPECT_FALSE(CountsAgainstAddress("OPTIONS", "/v1/elections/e/votes"));
  EXPECT_FALSE(CountsAgainstAddress("OPTIONS", "/v1/elections/e/votes/0190"));
}

}  // namespace
}  // namespace urna
