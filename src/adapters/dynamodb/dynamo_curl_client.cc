// The libcurl DynamoClient (dynamo_client.h): one worker thread drives a curl multi handle.
// Callers queue their requests and block until all of theirs are answered; the worker keeps up
// to max_in_flight of them on the wire (connections stay open between requests: keep-alive),
// signs each attempt afresh (dynamo_wire.h), and puts a retried attempt back in line after its
// full-jitter backoff. Why a thread: curl multi is single-threaded, and one loop shared by every
// caller is what bounds the connections and requests in flight for the whole process.
#include <curl/curl.h>

#include <algorithm>
#include <deque>
#include <mutex>
#include <queue>
#include <random>
#include <thread>
#include <unordered_set>

#include "adapters/dynamodb/dynamo_client.h"
#include "adapters/dynamodb/dynamo_wire.h"
#include "sync/mutex.h"

namespace urna::dynamodb {
namespace {

using Clock = std::chrono::steady_clock;

// The requests of one Call/CallAll, answered in place; guarded by the client's mutex.
struct Batch {
  explicit Batch(size_t n) : results(n, Status(Code::kInternal, "not run")), left(n) {}
  std::vector<Result<std::string>> results;
  size_t left;
  CondVar done;
};

// One request on its way: its attempts, and while on the wire its curl handle's state.
struct Job {
  const DynamoRequest* request = nullptr;
  Batch* batch = nullptr;
  size_t index = 0;
  int attempt = 0;  // attempts started
  Clock::time_point not_before;
  Status last;  // the error of the last failed attempt
  // Per attempt, owned by the worker thread while the handle is in the multi.
  CURL* easy = nullptr;
  curl_slist* headers = nullptr;
  std::string response;
  size_t max_response = 0;  // DynamoConfig::max_response_bytes
  bool too_large = false;
  char error[CURL_ERROR_SIZE] = {0};
};

size_t Append(char* data, size_t size, size_t n, void* out) {
  Job* job = static_cast<Job*>(out);
  if (job->response.size() + size * n > job->max_response) {
    job->too_large = true;
    return 0;  // curl ends the transfer with CURLE_WRITE_ERROR
  }
  job->response.append(data, size * n);
  return size * n;
}

struct LaterFirst {
  bool operator()(const Job* a, const Job* b) const { return a->not_before > b->not_before; }
};

class CurlDynamoClient : public DynamoClient {
 public:
  CurlDynamoClient(DynamoConfig config, Endpoint endpoint)
      : config_(std::move(config)), endpoint_(std::move(endpoint)), rng_(std::random_device{}()) {
    multi_ = curl_multi_init();
    // The connection cache keeps one open connection per request in flight for reuse.
    curl_multi_setopt(multi_, CURLMOPT_MAXCONNECTS, static_cast<long>(config_.max_in_flight));
    curl_multi_setopt(multi_, CURLMOPT_MAX_TOTAL_CONNECTIONS,
                      static_cast<long>(config_.max_in_flight));
    worker_ = std::thread([this] { Loop(); });
  }

  ~CurlDynamoClient() override {
    {
      MutexLock lock(mu_);
      stopping_ = true;
    }
    curl_multi_wakeup(multi_);
    worker_.join();
    for (CURL* e : idle_) curl_easy_cleanup(e);
    curl_multi_cleanup(multi_);
  }

  Result<std::string> Call(const DynamoRequest& request) override {
    return std::move(Run(&request, 1)[0]);
  }

  std::vector<Result<std::string>> CallAll(const std::vector<DynamoRequest>& requests) override {
    return Run(requests.data(), requests.size());
  }

 private:
  // Queues requests[0..n) and waits until each is answered (caller's thread).
  std::vector<Result<std::string>> Run(const DynamoRequest* requests, size_t n) {
    if (n == 0) return {};
    Batch batch(n);
    std::vector<Job> jobs(n);
    {
      MutexLock lock(mu_);
      if (stopping_) {
        return std::vector<Result<std::string>>(
            n, Status(Code::kUnavailable, "DynamoDB client is shutting down"));
      }
      for (size_t i = 0; i < n; ++i) {
        jobs[i].request = &requests[i];
        jobs[i].batch = &batch;
        jobs[i].index = i;
        ready_.push_back(&jobs[i]);
      }
    }
    curl_multi_wakeup(multi_);
    MutexLock lock(mu_);
    while (batch.left > 0) batch.done.Wait(mu_);
    return std::move(batch.results);
  }

  // The worker thread's loop.
  void Loop() {
    std::vector<Job*> starting;
    while (true) {
      {
        MutexLock lock(mu_);
        if (stopping_) break;
        auto now = Clock::now();
        while (!delayed_.empty() && delayed_.top()->not_before <= now) {
          ready_.push_front(delayed_.top());  // a retry goes before requests not yet tried
          delayed_.pop();
        }
        while (in_flight_ < config_.max_in_flight && !ready_.empty()) {
          starting.push_back(ready_.front());
          ready_.pop_front();
          ++in_flight_;
        }
      }
      for (Job* job : starting) Start(job);
      starting.clear();

      int running = 0;
      curl_multi_perform(multi_, &running);
      int left = 0;
      while (CURLMsg* m = curl_multi_info_read(multi_, &left)) {
        if (m->msg != CURLMSG_DONE) continue;
        Job* job = nullptr;
        curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, &job);
        Finish(job, m->data.result);
      }
      curl_multi_poll(multi_, nullptr, 0, PollTimeoutMs(), nullptr);
    }
    Abandon();
  }

  // How long the worker may sleep: until the next retry is due, at most 1 s.
  int PollTimeoutMs() {
    MutexLock lock(mu_);
    if (!ready_.empty() && in_flight_ < config_.max_in_flight) return 0;
    if (delayed_.empty()) return 1000;
    auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(delayed_.top()->not_before -
                                                                      Clock::now())
                    .count();
    return static_cast<int>(std::clamp<int64_t>(wait, 0, 1000));
  }

  // Puts one attempt of `job` on the wire (worker thread).
  void Start(Job* job) {
    ++job->attempt;
    if (idle_.empty()) {
      job->easy = curl_easy_init();
    } else {
      job->easy = idle_.back();
      idle_.pop_back();
    }
    CURL* c = job->easy;
    const DynamoRequest& r = *job->request;
    for (const auto& [k, v] :
         SignedHeaders(config_, endpoint_, r.operation, r.body, std::chrono::system_clock::now())) {
      job->headers = curl_slist_append(job->headers, (k + ": " + v).c_str());
    }
    job->headers = curl_slist_append(job->headers, "Expect:");
    job->response.clear();
    job->too_large = false;
    job->max_response = config_.max_response_bytes;
    job->error[0] = 0;
    curl_easy_setopt(c, CURLOPT_URL, endpoint_.url.c_str());
    curl_easy_setopt(c, CURLOPT_POST, 1L);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, r.body.data());
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(r.body.size()));
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, job->headers);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, Append);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, job);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, job->error);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, static_cast<long>(config_.request_timeout.count()));
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_TCP_KEEPALIVE, 1L);  // notice a peer gone during long idle
    curl_easy_setopt(c, CURLOPT_PRIVATE, job);
    curl_multi_add_handle(multi_, c);
    on_wire_.insert(job);
  }

  // Takes the handle of `job` back from the multi (worker thread).
  void Release(Job* job) {
    on_wire_.erase(job);
    curl_multi_remove_handle(multi_, job->easy);
    curl_easy_setopt(job->easy, CURLOPT_HTTPHEADER, nullptr);
    curl_easy_setopt(job->easy, CURLOPT_ERRORBUFFER, nullptr);
    idle_.push_back(job->easy);
    job->easy = nullptr;
    curl_slist_free_all(job->headers);
    job->headers = nullptr;
  }

  // An attempt ended: answer the caller, or schedule the next attempt (worker thread).
  void Finish(Job* job, CURLcode rc) {
    long http = 0;
    std::string transport_error;
    if (rc == CURLE_OK) {
      curl_easy_getinfo(job->easy, CURLINFO_RESPONSE_CODE, &http);
    } else {
      transport_error = job->error[0] ? job->error : curl_easy_strerror(rc);
    }
    Release(job);
    Outcome o = Classify(job->request->operation, http, job->response, transport_error);
    if (job->too_large) {
      o = {Verdict::kFail,
           Status(Code::kInternal, "DynamoDB " + job->request->operation +
                                       ": response larger than " +
                                       std::to_string(config_.max_response_bytes) + " bytes")};
    }
    MutexLock lock(mu_);
    --in_flight_;
    if (o.verdict == Verdict::kRetry && job->attempt < config_.max_attempts) {
      job->last = o.status;
      job->not_before = Clock::now() + Backoff(config_, job->attempt, rng_);
      delayed_.push(job);
      return;
    }
    if (o.verdict == Verdict::kDone) {
      Answer(job, std::move(job->response));
    } else if (o.verdict == Verdict::kFail) {
      Answer(job, o.status);
    } else {
      Answer(job, Status(Code::kUnavailable, o.status.message() + " (gave up after " +
                                                 std::to_string(job->attempt) + " attempts)"));
    }
  }

  void Answer(Job* job, Result<std::string> result) REQUIRES(mu_) {
    job->batch->results[job->index] = std::move(result);
    if (--job->batch->left == 0) job->batch->done.NotifyAll();
  }

  // At shutdown: every request not answered yet fails (worker thread, last).
  void Abandon() {
    std::vector<Job*> on_wire(on_wire_.begin(), on_wire_.end());
    for (Job* j : on_wire) Release(j);
    MutexLock lock(mu_);
    Status gone(Code::kUnavailable, "DynamoDB client is shutting down");
    for (Job* j : on_wire) Answer(j, gone);
    for (Job* j : ready_) Answer(j, gone);
    ready_.clear();
    while (!delayed_.empty()) {
      Answer(delayed_.top(), gone);
      delayed_.pop();
    }
  }

  const DynamoConfig config_;
  const Endpoint endpoint_;
  CURLM* multi_ = nullptr;
  std::vector<CURL*> idle_;           // worker thread only: handles to reuse
  std::unordered_set<Job*> on_wire_;  // worker thread only: jobs whose handle is in multi_
  Mutex mu_;
  bool stopping_ GUARDED_BY(mu_) = false;
  std::mt19937_64 rng_ GUARDED_BY(mu_);
  std::deque<Job*> ready_ GUARDED_BY(mu_);
  std::priority_queue<Job*, std::vector<Job*>, LaterFirst> delayed_ GUARDED_BY(mu_);
  int in_flight_ GUARDED_BY(mu_) = 0;
  std::thread worker_;
};

}  // namespace

Result<std::unique_ptr<DynamoClient>> MakeCurlClient(DynamoConfig config) {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
  auto endpoint = ParseEndpoint(config.endpoint);
  if (!endpoint.ok()) return endpoint.status();
  if (config.max_in_flight < 1 || config.max_attempts < 1) {
    return Status(Code::kInvalidArgument,
                  "DynamoDB client: max_in_flight and max_attempts must be >= 1");
  }
  return std::unique_ptr<DynamoClient>(
      std::make_unique<CurlDynamoClient>(std::move(config), std::move(*endpoint)));
}

}  // namespace urna::dynamodb
