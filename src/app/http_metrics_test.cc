#include "app/http_metrics.h"

#include <gtest/gtest.h>

namespace urna::app {
namespace {

net::Router Routes() {
  net::Router r;
  auto none = [](net::HttpRequest&, net::PathParams&, net::Responder) {};
  r.Add("GET", "/v1/elections/{id}/results", none);
  r.Add("POST", "/v1/elections/{id}/votes", none);
  return r;
}

TEST(HttpMetricsTest, CountsByRoutePatternMethodAndStatus) {
  auto router = Routes();
  HttpMetrics h(router);
  auto id = h.Classify("POST", "/v1/elections/final/votes");
  EXPECT_EQ(h.Classify("POST", "/v1/elections/other/votes"), id);  // the pattern, not the path
  h.OnAnswered(id, 202, std::chrono::microseconds(300));
  h.OnAnswered(id, 202, std::chrono::milliseconds(30));
  h.OnAnswered(id, 503, std::chrono::seconds(20));  // above every bucket: only in +Inf
  h.OnAnswered(h.Classify("GET", "/nope"), 404, std::chrono::microseconds(1));
  MetricsText m;
  h.Write(m);
  const std::string& t = m.text();
  EXPECT_NE(t.find("urna_http_requests_total{route=\"/v1/elections/{id}/votes\",method=\"POST\","
                   "code=\"202\"} 2\n"),
            std::string::npos)
      << t;
  EXPECT_NE(t.find("code=\"503\"} 1\n"), std::string::npos);
  EXPECT_NE(t.find("{route=\"unmatched\",method=\"GET\",code=\"404\"} 1\n"), std::string::npos);
  EXPECT_EQ(t.find("final"), std::string::npos);
  const std::string b =
      "urna_http_request_duration_seconds_bucket{route=\"/v1/elections/{id}/"
      "votes\",method=\"POST\",le=";
  EXPECT_NE(t.find(b + "\"0.0005\"} 1\n"), std::string::npos) << t;
  EXPECT_NE(t.find(b + "\"0.025\"} 1\n"), std::string::npos);
  EXPECT_NE(t.find(b + "\"0.05\"} 2\n"), std::string::npos);
  EXPECT_NE(t.find(b + "\"10\"} 2\n"), std::string::npos);
  EXPECT_NE(t.find(b + "\"+Inf\"} 3\n"), std::string::npos);
  EXPECT_NE(t.find("# HELP urna_http_requests_total "), std::string::npos);
  EXPECT_NE(t.find("# TYPE urna_http_request_duration_seconds histogram\n"), std::string::npos);
}

TEST(MetricsTextTest, EscapesLabelValuesAndHelp) {
  MetricsText m;
  m.Family("x", "gauge", "a \\ b\nc");
  m.Sample("x", {{"election", "a\"b\\c\nd"}}, 1.5);
  EXPECT_EQ(m.text(),
            "# HELP x a \\\\ b\\nc\n# TYPE x gauge\nx{election=\"a\\\"b\\\\c\\nd\"} 1.5\n");
}

}  // namespace
}  // namespace urna::app
