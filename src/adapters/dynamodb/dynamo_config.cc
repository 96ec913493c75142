// DynamoConfig::FromEnvironment: the AWS variables, and urna's tunables of the client.
#include <charconv>
#include <cstdlib>

#include "adapters/dynamodb/dynamo_client.h"
#include "adapters/dynamodb/dynamo_wire.h"

namespace urna::dynamodb {
namespace {

std::string Get(const EnvLookup& env, const char* name) {
  const char* v = env(name);
  return v ? std::string(v) : std::string();
}

// Reads an optional integer variable in [lo, hi] into `out`; kInvalidArgument naming it.
Status ReadInt(const EnvLookup& env, const char* name, int64_t lo, int64_t hi, int64_t& out) {
  std::string v = Get(env, name);
  if (v.empty()) return Status::Ok();
  int64_t n = 0;
  auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
  if (ec != std::errc() || end != v.data() + v.size() || n < lo || n > hi) {
    return Status(Code::kInvalidArgument, std::string(name) + "=" + v +
                                              ": expected an integer in " + std::to_string(lo) +
                                              ".." + std::to_string(hi));
  }
  out = n;
  return Status::Ok();
}

}  // namespace

Result<DynamoConfig> DynamoConfig::FromEnvironment() {
  return FromEnvironment([](const char* name) -> const char* { return std::getenv(name); });
}

Result<DynamoConfig> DynamoConfig::FromEnvironment(const EnvLookup& env) {
  DynamoConfig c;
  std::string region = Get(env, "AWS_REGION");
  if (region.empty()) region = Get(env, "AWS_DEFAULT_REGION");
  c.endpoint = Get(env, "AWS_ENDPOINT_URL_DYNAMODB");
  if (c.endpoint.empty()) c.endpoint = Get(env, "AWS_ENDPOINT_URL");
  if (c.endpoint.empty()) {
    // AWS itself: the region picks the endpoint, so it must be said (no silent default).
    if (region.empty()) {
      return Status(Code::kInvalidArgument,
                    "AWS_REGION (or AWS_DEFAULT_REGION) is not set, nor AWS_ENDPOINT_URL_DYNAMODB");
    }
    c.endpoint = "https://dynamodb." + region + ".amazonaws.com";
  }
  if (!region.empty()) c.region = region;
  if (auto e = ParseEndpoint(c.endpoint); !e.ok()) return e.status();
  c.credentials.access_key_id = Get(env, "AWS_ACCESS_KEY_ID");
  c.credentials.secret_access_key = Get(env, "AWS_SECRET_ACCESS_KEY");
  c.credentials.session_token = Get(env, "AWS_SESSION_TOKEN");
  if (c.credentials.access_key_id.empty()) {
    return Status(Code::kInvalidArgument, "AWS_ACCESS_KEY_ID is not set");
  }
  if (c.credentials.secret_access_key.empty()) {
    return Status(Code::kInvalidArgument, "AWS_SECRET_ACCESS_KEY is not set");
  }
  int64_t in_flight = c.max_in_flight, attempts = c.max_attempts,
          timeout = c.request_timeout.count();
  if (auto s = ReadInt(env, "URNA_DYNAMODB_MAX_IN_FLIGHT", 1, 1024, in_flight); !s.ok()) return s;
  if (auto s = ReadInt(env, "URNA_DYNAMODB_MAX_ATTEMPTS", 1, 100, attempts); !s.ok()) return s;
  if (auto s = ReadInt(env, "URNA_DYNAMODB_TIMEOUT_MS", 100, 600000, timeout); !s.ok()) return s;
  c.max_in_flight = static_cast<int>(in_flight);
  c.max_attempts = static_cast<int>(attempts);
  c.request_timeout = std::chrono::milliseconds(timeout);
  return c;
}

}  // namespace urna::dynamodb
