#include "net/router.h"

#include <gtest/gtest.h>

namespace urna::net {
namespace {

HttpResponse Call(Router& r, std::string method, std::string path) {
  HttpResponse out;
  HttpRequest req;
  req.method = std::move(method);
  req.path = std::move(path);
  r.Handle(std::move(req), [&](HttpResponse res) { out = std::move(res); });
  return out;
}

TEST(RouterTest, MatchesParamsAndReportsMissingRoutes) {
  Router r;
  r.Add("GET", "/v1/elections/{id}", [](HttpRequest&, PathParams& p, Responder done) {
    done(Response(200, "text/plain", "get " + p[0]));
  });
  r.Add("POST", "/v1/elections/{id}/votes/{vote}", [](HttpRequest&, PathParams& p, Responder done) {
    done(Response(202, "text/plain", p[0] + "/" + p[1]));
  });
  EXPECT_EQ(Call(r, "GET", "/v1/elections/e1").body, "get e1");
  EXPECT_EQ(Call(r, "POST", "/v1/elections/e1/votes/x").body, "e1/x");
  auto nf = Call(r, "GET", "/v1/nothing");
  EXPECT_EQ(nf.status, 404u);
  EXPECT_NE(nf.body.find("\"not_found\""), std::string::npos);
  auto na = Call(r, "DELETE", "/v1/elections/e1");
  EXPECT_EQ(na.status, 405u);
  EXPECT_EQ(na.headers.at(0).second, "GET, OPTIONS");
}

TEST(RouterTest, OptionsOnAKnownResourceListsItsMethods) {
  Router r;
  auto ok = [](HttpRequest&, PathParams&, Responder done) {
    done(Response(200, "text/plain", ""));
  };
  r.Add("GET", "/v1/elections/{id}/results", ok);
  r.Add("HEAD", "/v1/elections/{id}/results", ok);
  auto o = Call(r, "OPTIONS", "/v1/elections/e1/results");
  EXPECT_EQ(o.status, 204u);
  ASSERT_EQ(o.headers.size(), 1u);
  EXPECT_EQ(o.headers[0].first, "Allow");
  EXPECT_EQ(o.headers[0].second, "GET, HEAD, OPTIONS");
  EXPECT_EQ(Call(r, "OPTIONS", "/v1/nothing").status, 404u);
  EXPECT_EQ(Call(r, "HEAD", "/v1/elections/e1/results").status, 200u);
}

TEST(RouterTest, FirstAddedPatternWinsAndDeepPathsAreNotFound) {
  Router r;
  r.Add("GET", "/v1/elections/{id}/results", [](HttpRequest&, PathParams& p, Responder done) {
    done(Response(200, "text/plain", "results " + p[0]));
  });
  r.Add("GET", "/v1/elections/{id}/{what}", [](HttpRequest&, PathParams& p, Responder done) {
    done(Response(200, "text/plain", p[0] + " " + p[1]));
  });
  EXPECT_EQ(Call(r, "GET", "/v1/elections/e1/results").body, "results e1");
  EXPECT_EQ(Call(r, "GET", "//v1/elections//e1/audit/").body, "e1 audit");  // empty segments
  std::string deep = "/v1/elections/e1/results";
  for (int i = 0; i < 20; ++i) deep += "/x";
  EXPECT_EQ(Call(r, "GET", deep).status, 404u);
  EXPECT_EQ(Call(r, "GET", "/v1/elections/e1").status, 404u);
}

TEST(RouterTest, ErrorMessagesAreEscaped) {
  auto r = ErrorResponse(400, "invalid_request", "bad \"quote\"\n");
  EXPECT_EQ(r.body, R"({"error":{"code":"invalid_request","message":"bad \"quote\"\u000a"}})");
}

}  // namespace
}  // namespace urna::net
