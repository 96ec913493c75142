#include "adapters/dynamodb/dynamo_wire.h"

#include <curl/curl.h>

#include <algorithm>
#include <array>
#include <boost/json.hpp>
#include <memory>

namespace urna::dynamodb {
namespace {

// DynamoDB's answers that mean "too much, slow down": retried like 5xx.
constexpr std::array<std::string_view, 5> kThrottling = {
    "ProvisionedThroughputExceededException", "ThrottlingException", "RequestLimitExceeded",
    "LimitExceededException", "TransactionInProgressException"};

std::string Part(CURLU* u, CURLUPart part) {
  char* s = nullptr;
  if (curl_url_get(u, part, &s, 0) != CURLUE_OK || s == nullptr) return "";
  std::string out(s);
  curl_free(s);
  return out;
}

}  // namespace

Result<Endpoint> ParseEndpoint(std::string_view url) {
  auto bad = [&](std::string_view why) {
    return Status(Code::kInvalidArgument, "DynamoDB endpoint " + std::string(url) + ": " +
                                              std::string(why) +
                                              " (expected http(s)://host[:port])");
  };
  std::unique_ptr<CURLU, decltype(&curl_url_cleanup)> u(curl_url(), curl_url_cleanup);
  if (!u) return Status(Code::kInternal, "out of memory");
  if (curl_url_set(u.get(), CURLUPART_URL, std::string(url).c_str(), 0) != CURLUE_OK) {
    return bad("not a URL");
  }
  std::string scheme = Part(u.get(), CURLUPART_SCHEME);
  if (scheme != "http" && scheme != "https") return bad("scheme must be http or https");
  std::string path = Part(u.get(), CURLUPART_PATH);
  if (!path.empty() && path != "/") return bad("no path allowed");
  if (!Part(u.get(), CURLUPART_QUERY).empty() || !Part(u.get(), CURLUPART_USER).empty()) {
    return bad("no query or user allowed");
  }
  std::string host = Part(u.get(), CURLUPART_HOST);
  if (host.empty()) return bad("no host");
  std::string port = Part(u.get(), CURLUPART_PORT);  // only when the URL names one
  Endpoint e;
  e.host = port.empty() ? host : host + ":" + port;
  e.url = scheme + "://" + e.host + "/";
  return e;
}

HeaderList SignedHeaders(const DynamoConfig& config, const Endpoint& endpoint,
                         std::string_view operation, std::string_view body,
                         std::chrono::system_clock::time_point now) {
  RequestToSign r;
  r.method = "POST";
  r.path = "/";
  r.headers = {{"Content-Type", "application/x-amz-json-1.0"},
               {"Host", endpoint.host},
               {"X-Amz-Target", "DynamoDB_20120810." + std::string(operation)}};
  r.payload = body;
  HeaderList out = r.headers;
  SigningScope scope{AmzDate(now), config.region, "dynamodb"};
  for (auto& h : Sign(std::move(r), config.credentials, scope)) out.push_back(std::move(h));
  return out;
}

std::string ErrorType(std::string_view body) {
  boost::system::error_code ec;
  boost::json::value v = boost::json::parse(body, ec);
  if (ec || !v.is_object()) return "";
  const auto* type = v.as_object().if_contains("__type");
  if (type == nullptr || !type->is_string()) return "";
  std::string_view t = type->as_string();
  auto hash = t.rfind('#');
  return std::string(hash == std::string_view::npos ? t : t.substr(hash + 1));
}

Outcome Classify(std::string_view operation, long http_status, std::string_view body,
                 std::string_view transport_error) {
  std::string what = "DynamoDB " + std::string(operation) + ": ";
  if (http_status == 0) {
    return {Verdict::kRetry, Status(Code::kUnavailable, what + std::string(transport_error))};
  }
  if (http_status == 200) return {Verdict::kDone, Status::Ok()};

  std::string type = ErrorType(body);
  std::string message;
  boost::system::error_code ec;
  boost::json::value v = boost::json::parse(body, ec);
  if (!ec && v.is_object()) {
    for (const char* key : {"message", "Message"}) {
      if (const auto* m = v.as_object().if_contains(key); m && m->is_string()) {
        message = std::string(m->as_string());
      }
    }
  }
  std::string detail = what + (type.empty() ? "HTTP " + std::to_string(http_status) : type) +
                       (message.empty() ? "" : ": " + message);
  if (http_status >= 500 ||
      std::find(kThrottling.begin(), kThrottling.end(), type) != kThrottling.end()) {
    return {Verdict::kRetry, Status(Code::kUnavailable, detail)};
  }
  if (type == "ConditionalCheckFailedException" || type == "ResourceInUseException") {
    return {Verdict::kFail, Status(Code::kConflict, detail)};
  }
  if (type == "ResourceNotFoundException") {
    return {Verdict::kFail, Status(Code::kNotFound, detail + " (run `urna init`)")};
  }
  // ValidationException, SerializationException, bad credentials, any other 4xx: a bug or a
  // misconfiguration on this side, never the caller's request (core/status.h: kInternal).
  return {Verdict::kFail, Status(Code::kInternal, detail)};
}

std::chrono::milliseconds Backoff(const DynamoConfig& config, int retry, std::mt19937_64& rng) {
  int64_t cap = config.max_backoff.count();
  int64_t ceiling = config.base_backoff.count();
  for (int i = 1; i < retry && ceiling < cap; ++i) ceiling *= 2;
  ceiling = std::max<int64_t>(0, std::min(ceiling, cap));
  std::uniform_int_distribution<int64_t> d(0, ceiling);
  return std::chrono::milliseconds(d(rng));
}

}  // namespace urna::dynamodb
