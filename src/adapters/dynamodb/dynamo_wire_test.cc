// The transport-free parts of the client: error mapping, backoff, endpoint, configuration.
#include "adapters/dynamodb/dynamo_wire.h"

#include <gtest/gtest.h>

#include <map>

#include "adapters/dynamodb/base64.h"

namespace urna::dynamodb {
namespace {

std::string ErrorBody(const std::string& type, const std::string& message) {
  return R"({"__type":"com.amazonaws.dynamodb.v20120810#)" + type + R"(","message":")" + message +
         R"("})";
}

TEST(Classify, MapsDynamoErrors) {
  auto ok = Classify("PutItem", 200, "{}", "");
  EXPECT_EQ(ok.verdict, Verdict::kDone);

  auto cond = Classify("PutItem", 400, ErrorBody("ConditionalCheckFailedException", "failed"), "");
  EXPECT_EQ(cond.verdict, Verdict::kFail);
  EXPECT_EQ(cond.status.code(), Code::kConflict);
  EXPECT_EQ(cond.status.message(), "DynamoDB PutItem: ConditionalCheckFailedException: failed");

  auto missing = Classify("GetItem", 400, ErrorBody("ResourceNotFoundException", "no table"), "");
  EXPECT_EQ(missing.verdict, Verdict::kFail);
  EXPECT_EQ(missing.status.code(), Code::kNotFound);

  auto in_use = Classify("CreateTable", 400, ErrorBody("ResourceInUseException", "exists"), "");
  EXPECT_EQ(in_use.status.code(), Code::kConflict);

  for (const char* t : {"ValidationException", "SerializationException",
                        "UnrecognizedClientException", "AccessDeniedException"}) {
    auto o = Classify("Query", 400, ErrorBody(t, "x"), "");
    EXPECT_EQ(o.verdict, Verdict::kFail) << t;
    EXPECT_EQ(o.status.code(), Code::kInternal) << t;
  }
  // DynamoDB spells the message key both ways.
  auto cap =
      Classify("Query", 400, R"({"__type":"x#ValidationException","Message":"bad key"})", "");
  EXPECT_EQ(cap.status.message(), "DynamoDB Query: ValidationException: bad key");
}

TEST(Classify, RetriesThrottlingServerErrorsAndTransportFailures) {
  for (const char* t :
       {"ProvisionedThroughputExceededException", "ThrottlingException", "RequestLimitExceeded"}) {
    auto o = Classify("PutItem", 400, ErrorBody(t, "slow down"), "");
    EXPECT_EQ(o.verdict, Verdict::kRetry) << t;
    EXPECT_EQ(o.status.code(), Code::kUnavailable) << t;
  }
  EXPECT_EQ(Classify("PutItem", 500, ErrorBody("InternalServerError", "x"), "").verdict,
            Verdict::kRetry);
  EXPECT_EQ(Classify("PutItem", 503, "not json", "").verdict, Verdict::kRetry);
  auto t = Classify("PutItem", 0, "", "Connection refused");
  EXPECT_EQ(t.verdict, Verdict::kRetry);
  EXPECT_EQ(t.status.message(), "DynamoDB PutItem: Connection refused");
  // A 4xx without a DynamoDB body (a proxy's) is final and says its status.
  auto plain = Classify("PutItem", 413, "too large", "");
  EXPECT_EQ(plain.verdict, Verdict::kFail);
  EXPECT_EQ(plain.status.message(), "DynamoDB PutItem: HTTP 413");
}

TEST(Backoff, FullJitterUnderADoublingCap) {
  DynamoConfig c;
  c.base_backoff = std::chrono::milliseconds(25);
  c.max_backoff = std::chrono::milliseconds(2000);
  std::mt19937_64 rng(42);
  for (int retry = 1; retry <= 12; ++retry) {
    int64_t ceiling = std::min<int64_t>(2000, 25LL << (retry - 1));
    int64_t lo = ceiling, hi = 0;
    for (int i = 0; i < 2000; ++i) {
      int64_t d = Backoff(c, retry, rng).count();
      ASSERT_GE(d, 0);
      ASSERT_LE(d, ceiling) << "retry " << retry;
      lo = std::min(lo, d);
      hi = std::max(hi, d);
    }
    // Spread over the whole range (full jitter), not bunched at the ceiling.
    EXPECT_LT(lo, ceiling / 10 + 1) << "retry " << retry;
    EXPECT_GT(hi, ceiling * 9 / 10) << "retry " << retry;
  }
}

TEST(ParseEndpoint, SplitsUrlAndHost) {
  auto local = ParseEndpoint("http://127.0.0.1:8000");
  ASSERT_TRUE(local.ok());
  EXPECT_EQ(local->url, "http://127.0.0.1:8000/");
  EXPECT_EQ(local->host, "127.0.0.1:8000");
  auto aws = ParseEndpoint("https://dynamodb.eu-west-1.amazonaws.com/");
  ASSERT_TRUE(aws.ok());
  EXPECT_EQ(aws->host, "dynamodb.eu-west-1.amazonaws.com");
  for (const char* bad :
       {"", "127.0.0.1:8000", "ftp://h", "http://h/path", "http://h/?q=1", "http://user@h/"}) {
    auto r = ParseEndpoint(bad);
    EXPECT_FALSE(r.ok()) << bad;
    if (!r.ok()) EXPECT_EQ(r.status().code(), Code::kInvalidArgument) << bad;
  }
}

TEST(SignedHeaders, CarryTargetHostAndSignature) {
  DynamoConfig c;
  c.region = "eu-west-1";
  c.credentials = {"AKID", "secret", "token"};
  Endpoint e{"http://127.0.0.1:8000/", "127.0.0.1:8000"};
  auto headers = SignedHeaders(c, e, "PutItem", "{}", std::chrono::system_clock::time_point{});
  std::map<std::string, std::string> h(headers.begin(), headers.end());
  EXPECT_EQ(h["X-Amz-Target"], "DynamoDB_20120810.PutItem");
  EXPECT_EQ(h["Host"], "127.0.0.1:8000");
  EXPECT_EQ(h["Content-Type"], "application/x-amz-json-1.0");
  EXPECT_EQ(h["X-Amz-Security-Token"], "token");
  EXPECT_EQ(h["X-Amz-Date"], "19700101T000000Z");
  EXPECT_EQ(h["Authorization"].rfind(
                "AWS4-HMAC-SHA256 Credential=AKID/19700101/eu-west-1/dynamodb/aws4_request, "
                "SignedHeaders=content-type;host;x-amz-date;x-amz-security-token;x-amz-target, "
                "Signature=",
                0),
            0u)
      << h["Authorization"];
}

// FromEnvironment over a map instead of the process environment.
Result<DynamoConfig> FromMap(const std::map<std::string, std::string>& vars) {
  return DynamoConfig::FromEnvironment([&](const char* name) -> const char* {
    auto it = vars.find(name);
    return it == vars.end() ? nullptr : it->second.c_str();
  });
}

TEST(FromEnvironment, ReadsTheAwsVariables) {
  auto c = FromMap({{"AWS_REGION", "eu-west-1"},
                    {"AWS_ACCESS_KEY_ID", "k"},
                    {"AWS_SECRET_ACCESS_KEY", "s"},
                    {"AWS_SESSION_TOKEN", "t"}});
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_EQ(c->endpoint, "https://dynamodb.eu-west-1.amazonaws.com");
  EXPECT_EQ(c->region, "eu-west-1");
  EXPECT_EQ(c->credentials.session_token, "t");
  EXPECT_EQ(c->max_in_flight, 64);

  auto local = FromMap({{"AWS_ENDPOINT_URL", "http://127.0.0.1:9"},
                        {"AWS_ENDPOINT_URL_DYNAMODB", "http://127.0.0.1:8000"},
                        {"AWS_DEFAULT_REGION", "ap-south-1"},
                        {"AWS_ACCESS_KEY_ID", "k"},
                        {"AWS_SECRET_ACCESS_KEY", "s"},
                        {"URNA_DYNAMODB_MAX_IN_FLIGHT", "8"},
                        {"URNA_DYNAMODB_MAX_ATTEMPTS", "3"},
                        {"URNA_DYNAMODB_TIMEOUT_MS", "1500"}});
  ASSERT_TRUE(local.ok()) << local.status().message();
  EXPECT_EQ(local->endpoint, "http://127.0.0.1:8000");  // the DynamoDB-specific one wins
  EXPECT_EQ(local->region, "ap-south-1");
  EXPECT_EQ(local->max_in_flight, 8);
  EXPECT_EQ(local->max_attempts, 3);
  EXPECT_EQ(local->request_timeout, std::chrono::milliseconds(1500));

  auto no_region = FromMap({{"AWS_ENDPOINT_URL", "http://127.0.0.1:8000"},
                            {"AWS_ACCESS_KEY_ID", "k"},
                            {"AWS_SECRET_ACCESS_KEY", "s"}});
  ASSERT_TRUE(no_region.ok());
  EXPECT_EQ(no_region->region, "us-east-1");
}

TEST(FromEnvironment, NamesWhatIsMissingOrMalformed) {
  std::map<std::string, std::string> good{
      {"AWS_REGION", "eu-west-1"}, {"AWS_ACCESS_KEY_ID", "k"}, {"AWS_SECRET_ACCESS_KEY", "s"}};
  struct Case {
    std::string change, value, named;
  };
  for (const Case& c :
       std::vector<Case>{{"AWS_REGION", "", "AWS_REGION"},
                         {"AWS_ACCESS_KEY_ID", "", "AWS_ACCESS_KEY_ID"},
                         {"AWS_SECRET_ACCESS_KEY", "", "AWS_SECRET_ACCESS_KEY"},
                         {"AWS_ENDPOINT_URL_DYNAMODB", "localhost:8000", "localhost:8000"},
                         {"URNA_DYNAMODB_MAX_IN_FLIGHT", "0", "URNA_DYNAMODB_MAX_IN_FLIGHT"},
                         {"URNA_DYNAMODB_MAX_IN_FLIGHT", "8x", "URNA_DYNAMODB_MAX_IN_FLIGHT"},
                         {"URNA_DYNAMODB_MAX_ATTEMPTS", "101", "URNA_DYNAMODB_MAX_ATTEMPTS"},
                         {"URNA_DYNAMODB_TIMEOUT_MS", "-5", "URNA_DYNAMODB_TIMEOUT_MS"}}) {
    auto vars = good;
    if (c.value.empty()) {
      vars.erase(c.change);
    } else {
      vars[c.change] = c.value;
    }
    auto r = FromMap(vars);
    ASSERT_FALSE(r.ok()) << c.change << "=" << c.value;
    EXPECT_EQ(r.status().code(), Code::kInvalidArgument);
    EXPECT_NE(r.status().message().find(c.named), std::string::npos) << r.status().message();
  }
}

TEST(Base64, RoundTripsAndRejectsMalformed) {
  for (std::string bytes : {std::string(), std::string("f"), std::string("fo"), std::string("foo"),
                            std::string("foob"), std::string("\0\xff\x10", 3)}) {
    auto back = Base64Decode(Base64Encode(bytes));
    ASSERT_TRUE(back.has_value()) << bytes;
    EXPECT_EQ(*back, bytes);
  }
  EXPECT_EQ(Base64Encode("foob"), "Zm9vYg==");
  for (const char* bad : {"Zm9", "Zm=vYg==", "Zm9v!!==", "===="}) {
    EXPECT_FALSE(Base64Decode(bad).has_value()) << bad;
  }
}

}  // namespace
}  // namespace urna::dynamodb
