// The libcurl DynamoClient (dynamo_client.h). Each attempt is a signed POST (dynamo_wire.h);
// retries wait a full-jitter backoff. Easy handles are pooled so their connections stay open
// (keep-alive) between calls.
#include <curl/curl.h>

#include <mutex>
#include <random>
#include <thread>

#include "adapters/dynamodb/dynamo_client.h"
#include "adapters/dynamodb/dynamo_wire.h"
#include "sync/mutex.h"

namespace urna::dynamodb {
namespace {

size_t Append(char* data, size_t size, size_t n, void* out) {
  static_cast<std::string*>(out)->append(data, size * n);
  return size * n;
}

struct EasyDeleter {
  void operator()(CURL* c) const { curl_easy_cleanup(c); }
};
using Easy = std::unique_ptr<CURL, EasyDeleter>;

class CurlDynamoClient : public DynamoClient {
 public:
  CurlDynamoClient(DynamoConfig config, Endpoint endpoint)
      : config_(std::move(config)), endpoint_(std::move(endpoint)), rng_(std::random_device{}()) {}

  Result<std::string> Call(const DynamoRequest& request) override {
    Easy easy = Take();
    if (!easy) return Status(Code::kInternal, "curl_easy_init failed");
    Status last;
    for (int attempt = 1; attempt <= config_.max_attempts; ++attempt) {
      if (attempt > 1) std::this_thread::sleep_for(NextBackoff(attempt - 1));
      std::string body;
      long http = 0;
      std::string transport_error;
      Perform(easy.get(), request, body, http, transport_error);
      Outcome o = Classify(request.operation, http, body, transport_error);
      if (o.verdict == Verdict::kDone) {
        Give(std::move(easy));
        return body;
      }
      if (o.verdict == Verdict::kFail) {
        Give(std::move(easy));
        return o.status;
      }
      last = o.status;
    }
    Give(std::move(easy));
    return Status(Code::kUnavailable, last.message() + " (gave up after " +
                                          std::to_string(config_.max_attempts) + " attempts)");
  }

  std::vector<Result<std::string>> CallAll(const std::vector<DynamoRequest>& requests) override {
    std::vector<Result<std::string>> out;
    out.reserve(requests.size());
    for (const auto& r : requests) out.push_back(Call(r));
    return out;
  }

 private:
  void Perform(CURL* c, const DynamoRequest& request, std::string& body, long& http,
               std::string& transport_error) {
    curl_slist* headers = nullptr;
    for (const auto& [k, v] : SignedHeaders(config_, endpoint_, request.operation, request.body,
                                            std::chrono::system_clock::now())) {
      headers = curl_slist_append(headers, (k + ": " + v).c_str());
    }
    headers = curl_slist_append(headers, "Expect:");
    char error[CURL_ERROR_SIZE] = {0};
    curl_easy_setopt(c, CURLOPT_URL, endpoint_.url.c_str());
    curl_easy_setopt(c, CURLOPT_POST, 1L);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, request.body.data());
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(request.body.size()));
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, Append);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &body);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, error);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, static_cast<long>(config_.request_timeout.count()));
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    CURLcode rc = curl_easy_perform(c);
    if (rc == CURLE_OK) {
      curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &http);
    } else {
      transport_error = error[0] ? error : curl_easy_strerror(rc);
    }
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, nullptr);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, nullptr);
    curl_slist_free_all(headers);
  }

  std::chrono::milliseconds NextBackoff(int retry) {
    MutexLock lock(mu_);
    return Backoff(config_, retry, rng_);
  }

  Easy Take() {
    {
      MutexLock lock(mu_);
      if (!pool_.empty()) {
        Easy e = std::move(pool_.back());
        pool_.pop_back();
        return e;
      }
    }
    return Easy(curl_easy_init());
  }

  void Give(Easy e) {
    MutexLock lock(mu_);
    if (pool_.size() < static_cast<size_t>(config_.max_in_flight)) pool_.push_back(std::move(e));
  }

  const DynamoConfig config_;
  const Endpoint endpoint_;
  Mutex mu_;
  std::mt19937_64 rng_ GUARDED_BY(mu_);
  std::vector<Easy> pool_ GUARDED_BY(mu_);
};

}  // namespace

Result<std::unique_ptr<DynamoClient>> MakeCurlClient(DynamoConfig config) {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
  auto endpoint = ParseEndpoint(config.endpoint);
  if (!endpoint.ok()) return endpoint.status();
  return std::unique_ptr<DynamoClient>(
      std::make_unique<CurlDynamoClient>(std::move(config), std::move(*endpoint)));
}

}  // namespace urna::dynamodb
