#include "app/cors.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <map>

namespace urna::app {
namespace {

std::string Header(const net::HttpResponse& r, std::string_view name) {
  for (const auto& [k, v] : r.headers) {
    if (k == name) return v;
  }
  return "";
}

// Runs `req` through the policy in front of a handler that answers 200 "next".
net::HttpResponse Through(const CorsPolicy& cors, net::HttpRequest req, bool* reached = nullptr) {
  net::HttpResponse out;
  cors.Handle(
      std::move(req), [&out](net::HttpResponse r) { out = std::move(r); },
      [reached](net::HttpRequest, net::Responder done) {
        if (reached) *reached = true;
        done(net::Response(200, "text/plain", "next"));
      });
  return out;
}

net::HttpRequest Req(std::string method, std::string path, std::string origin) {
  net::HttpRequest r;
  r.method = std::move(method);
  r.path = std::move(path);
  r.origin = std::move(origin);
  r.host = "vote.example:8080";
  return r;
}

TEST(CorsPolicyTest, ParsesListsAndRefusesWhatIsNoOrigin) {
  EXPECT_FALSE(CorsPolicy::Parse("")->enabled());
  EXPECT_TRUE(CorsPolicy::Parse("*")->enabled());
  auto p = CorsPolicy::Parse(" https://gfx.example , http://localhost:3000,");
  ASSERT_TRUE(p.ok()) << p.status().message();
  EXPECT_EQ(p->AllowOrigin("https://gfx.example"), "https://gfx.example");
  EXPECT_EQ(p->AllowOrigin("HTTPS://GFX.example"), "HTTPS://GFX.example");  // case-insensitive
  EXPECT_EQ(p->AllowOrigin("http://localhost:3000"), "http://localhost:3000");
  EXPECT_FALSE(p->AllowOrigin("http://localhost:3001"));
  EXPECT_FALSE(p->AllowOrigin("https://gfx.example.evil"));
  EXPECT_FALSE(p->AllowOrigin(""));
  for (const char* bad : {"gfx.example", "https://gfx.example/", "https://gfx.example/path",
                          "ftp://x", "https://", "*, https://a.example", "https://a b"}) {
    auto r = CorsPolicy::Parse(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_NE(r.status().message().find("--cors-origins"), std::string::npos);
  }
  EXPECT_EQ(CorsPolicy::Parse("*")->AllowOrigin("https://any.example"), "*");
}

TEST(CorsPolicyTest, PublicReadPathsOnly) {
  for (const char* p :
       {"/v1/elections", "/v1/elections/", "/v1/elections/e1", "/v1/elections/e1/results",
        "/v1/elections/e1/results/stream", "/v1/elections/e1/results/ws"}) {
    EXPECT_TRUE(CorsPolicy::IsPublicRead(p)) << p;
  }
  for (const char* p : {"/v1/elections/e1/votes", "/v1/elections/e1/audit", "/v1/electionsX",
                        "/v1/elections/e1/open", "/v1/gateways", "/metrics", "/",
                        "/v1/elections//results", "/v1/elections/e1/votes:batch"}) {
    EXPECT_FALSE(CorsPolicy::IsPublicRead(p)) << p;
  }
}

TEST(CorsPolicyTest, NoneAddsNothingAndLetsPreflightsThrough) {
  CorsPolicy none;
  bool reached = false;
  auto r = Through(none, Req("GET", "/v1/elections/e1/results", "https://gfx.example"));
  EXPECT_EQ(r.body, "next");
  EXPECT_TRUE(r.headers.empty());
  auto pre = Req("OPTIONS", "/v1/elections/e1/results", "https://gfx.example");
  pre.access_control_request_method = "GET";
  Through(none, pre, &reached);
  EXPECT_TRUE(reached);  // the router's plain OPTIONS answer, without CORS headers
  auto ws = Req("GET", "/v1/elections/e1/results/ws", "https://other.example");
  ws.websocket = true;
  EXPECT_EQ(Through(none, ws).status, 200u);  // no list: no Origin check
}

TEST(CorsPolicyTest, AllowedOriginsGetHeadersOnPublicReadsOnly) {
  auto cors = *CorsPolicy::Parse("https://gfx.example");
  auto r = Through(cors, Req("GET", "/v1/elections/e1/results", "https://gfx.example"));
  EXPECT_EQ(Header(r, "Access-Control-Allow-Origin"), "https://gfx.example");
  EXPECT_EQ(Header(r, "Access-Control-Expose-Headers"), "ETag");
  EXPECT_EQ(Header(r, "Vary"), "Origin");
  auto other = Through(cors, Req("GET", "/v1/elections/e1/results", "https://evil.example"));
  EXPECT_EQ(other.body, "next");  // served (a public read), but the browser may not read it
  EXPECT_EQ(Header(other, "Access-Control-Allow-Origin"), "");
  EXPECT_EQ(Header(other, "Vary"), "Origin");
  auto vote = Through(cors, Req("POST", "/v1/elections/e1/votes", "https://gfx.example"));
  EXPECT_TRUE(vote.headers.empty());
  // Writes on a public read's own path (an election created, one deleted) stay same-origin too.
  for (const char* method : {"POST", "PUT", "PATCH", "DELETE"}) {
    for (const char* path : {"/v1/elections", "/v1/elections/e1", "/v1/elections/e1/results"}) {
      bool reached = false;
      auto w = Through(cors, Req(method, path, "https://gfx.example"), &reached);
      EXPECT_TRUE(reached) << method << " " << path;
      EXPECT_TRUE(w.headers.empty()) << method << " " << path;
    }
  }
  // OPTIONS without Access-Control-Request-Method is no preflight: the router's Allow, as is.
  auto plain = Through(cors, Req("OPTIONS", "/v1/elections", "https://gfx.example"));
  EXPECT_TRUE(plain.headers.empty());
  auto any = Through(*CorsPolicy::Parse("*"), Req("GET", "/v1/elections", "https://x.example"));
  EXPECT_EQ(Header(any, "Access-Control-Allow-Origin"), "*");
  EXPECT_EQ(Header(any, "Vary"), "");
}

TEST(CorsPolicyTest, PreflightAnswers204ForAllowedOriginsMethodsAndHeaders) {
  auto cors = *CorsPolicy::Parse("https://gfx.example");
  bool reached = false;
  auto pre = Req("OPTIONS", "/v1/elections/e1/results", "https://gfx.example");
  pre.access_control_request_method = "GET";
  pre.access_control_request_headers = "if-none-match, Last-Event-ID";
  auto r = Through(cors, pre, &reached);
  EXPECT_FALSE(reached);
  EXPECT_EQ(r.status, 204u);
  EXPECT_EQ(Header(r, "Access-Control-Allow-Origin"), "https://gfx.example");
  EXPECT_EQ(Header(r, "Access-Control-Allow-Methods"), "GET, HEAD, OPTIONS");
  EXPECT_NE(Header(r, "Access-Control-Allow-Headers").find("If-None-Match"), std::string::npos);
  EXPECT_EQ(Header(r, "Access-Control-Max-Age"), "600");

  auto from_other = pre;
  from_other.origin = "https://evil.example";
  EXPECT_EQ(Through(cors, from_other).status, 403u);
  auto post = pre;
  post.access_control_request_method = "POST";
  EXPECT_EQ(Through(cors, post).status, 403u);
  auto header = pre;
  header.access_control_request_headers = "Authorization";
  auto h = Through(cors, header);
  EXPECT_EQ(h.status, 403u);
  EXPECT_NE(h.body.find("Authorization"), std::string::npos);
  auto off_path = pre;
  off_path.path = "/v1/elections/e1/votes";
  reached = false;
  Through(cors, off_path, &reached);
  EXPECT_TRUE(reached);  // not a public read: the router answers
}

// What the preflight advertises is what it accepts, and what the routes take: HEAD only on the
// results snapshot (the only public read with a HEAD route), every listed header and no other.
TEST(CorsPolicyTest, PreflightAdvertisesWhatItAccepts) {
  auto cors = *CorsPolicy::Parse("https://gfx.example");
  auto preflight = [&](std::string path, std::string method, std::string headers = "") {
    auto pre = Req("OPTIONS", std::move(path), "https://gfx.example");
    pre.access_control_request_method = std::move(method);
    pre.access_control_request_headers = std::move(headers);
    return Through(cors, pre);
  };
  const std::string results = "/v1/elections/e1/results";
  EXPECT_EQ(Header(preflight(results, "GET"), "Access-Control-Allow-Methods"),
            "GET, HEAD, OPTIONS");
  EXPECT_EQ(preflight(results, "HEAD").status, 204u);
  for (const char* path : {"/v1/elections", "/v1/elections/e1", "/v1/elections/e1/results/stream",
                           "/v1/elections/e1/results/ws"}) {
    auto r = preflight(path, "GET");
    EXPECT_EQ(r.status, 204u) << path;
    EXPECT_EQ(Header(r, "Access-Control-Allow-Methods"), "GET, OPTIONS") << path;
    auto head = preflight(path, "HEAD");  // these routes answer HEAD with 405
    EXPECT_EQ(head.status, 403u) << path;
    EXPECT_NE(head.body.find("only GET"), std::string::npos) << head.body;
  }
  EXPECT_EQ(CorsPolicy::MethodsFor("/v1/elections/e1/votes"), "");

  // Each header of Access-Control-Allow-Headers passes, alone and all together; others do not.
  std::string listed = Header(preflight(results, "GET"), "Access-Control-Allow-Headers");
  ASSERT_FALSE(listed.empty());
  EXPECT_EQ(preflight(results, "GET", listed).status, 204u) << listed;
  for (size_t at = 0; at < listed.size();) {
    size_t comma = std::min(listed.find(", ", at), listed.size());
    std::string one = listed.substr(at, comma - at);
    EXPECT_EQ(preflight(results, "GET", one).status, 204u) << one;
    at = comma + 2;
  }
  for (const char* h : {"Accept-Language", "accept", "If-None-Match"}) {
    EXPECT_EQ(preflight(results, "GET", h).status, 204u) << h;
    std::string lower = h;
    for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    std::string listed_lower = listed;
    for (char& c : listed_lower) {
      c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    EXPECT_NE(listed_lower.find(lower), std::string::npos) << h << " accepted but not listed";
  }
  for (const char* h : {"Authorization", "Content-Type", "X-Requested-With", "Accept-Encoding"}) {
    EXPECT_EQ(preflight(results, "GET", h).status, 403u) << h;
  }
}

TEST(CorsPolicyTest, WebSocketOriginMustBeListedOrTheServersOwn) {
  auto cors = *CorsPolicy::Parse("https://gfx.example");
  auto ws = Req("GET", "/v1/elections/e1/results/ws", "https://gfx.example");
  ws.websocket = true;
  EXPECT_EQ(Through(cors, ws).status, 200u);
  ws.origin = "http://vote.example:8080";  // the server's own pages
  EXPECT_EQ(Through(cors, ws).status, 200u);
  ws.origin = "";  // not a browser
  EXPECT_EQ(Through(cors, ws).status, 200u);
  ws.origin = "https://evil.example";
  auto refused = Through(cors, ws);
  EXPECT_EQ(refused.status, 403u);
  EXPECT_NE(refused.body.find("--cors-origins"), std::string::npos);
  EXPECT_EQ(Through(*CorsPolicy::Parse("*"), ws).status, 200u);
}

}  // namespace
}  // namespace urna::app
