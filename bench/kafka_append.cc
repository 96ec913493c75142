// kafka_append: appends votes to the Kafka vote log through KafkaVoteLog (the producer of
// `urna ingest`), waits for every delivery report and prints one JSON line of what happened:
// {"ok":N,"failed":N,"refused":N,"seconds":S,"votes_per_s":R,"cpu_seconds":C}.
// The e2e test tests/e2e/e2e_kafka_kcat.py writes its votes with it; as a benchmark it
// measures the producer's rate and CPU per vote (against the mock cluster: not a production
// broker, say so next to any figure).
//
// Usage: kafka_append --brokers HOST:PORT[,...] [--topic T] [--votes N] [--voters M]
//                     [--election E] [--seal] [--max-in-flight K] [--kafka-config FILE]
#include <sys/resource.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>

#include "adapters/kafka/kafka_vote_log.h"

namespace {

double CpuSeconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

int Usage() {
  std::fprintf(stderr,
               "usage: kafka_append --brokers B [--topic T] [--votes N] [--voters M] "
               "[--election E] [--seal] [--max-in-flight K] [--kafka-config FILE]\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  std::string brokers, topic = "urna.votes", election = "e1", props;
  long votes = 1000, voters = 0, max_in_flight = 50000;
  bool seal = false;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--seal") {
      seal = true;
      continue;
    }
    if (i + 1 >= argc) return Usage();
    std::string v = argv[++i];
    if (a == "--brokers") {
      brokers = v;
    } else if (a == "--topic") {
      topic = v;
    } else if (a == "--votes") {
      votes = std::atol(v.c_str());
    } else if (a == "--voters") {
      voters = std::atol(v.c_str());
    } else if (a == "--election") {
      election = v;
    } else if (a == "--max-in-flight") {
      max_in_flight = std::atol(v.c_str());
    } else if (a == "--kafka-config") {
      props = v;
    } else {
      return Usage();
    }
  }
  if (voters <= 0) voters = votes;
  if (votes < 0 || max_in_flight <= 0) return Usage();
  auto config = urna::kafka::KafkaConfig::Make(brokers, topic, props);
  if (!config.ok()) {
    std::fprintf(stderr, "kafka_append: %s\n", config.status().message().c_str());
    return 2;
  }
  urna::kafka::KafkaLogOptions options;
  options.max_in_flight = static_cast<size_t>(max_in_flight);
  options.client_id = "kafka-append";
  auto log = urna::kafka::KafkaVoteLog::Open(*config, options);
  if (!log.ok()) {
    std::fprintf(stderr, "kafka_append: %s\n", log.status().message().c_str());
    return 1;
  }
  std::atomic<long> ok{0}, failed{0}, done{0};
  const double cpu0 = CpuSeconds();
  const auto t0 = std::chrono::steady_clock::now();
  for (long i = 0; i < votes; ++i) {
    urna::VoteEvent v{"vote-" + std::to_string(i),           election,          i % 2 ? "b" : "a",
                      "voter-" + std::to_string(i % voters), 1700000000000 + i, "kafka-append"};
    // Backpressure: a refused append (in-flight bound) is retried once the log has room.
    for (;;) {
      bool refused = false;
      (*log)->Append(v, [&](urna::Status s) {
        if (!s.ok() && s.message().find("in flight") != std::string::npos) {
          refused = true;  // answered inline, before Append returned
          return;
        }
        (s.ok() ? ok : failed) += 1;
        done += 1;
      });
      if (!refused) break;
      std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
  }
  if (seal) {
    (*log)->AppendSeal({election, 1700000000000 + votes}, [&](urna::Status s) {
      (s.ok() ? ok : failed) += 1;
      done += 1;
    });
  }
  (*log)->Drain();
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const double cpu = CpuSeconds() - cpu0;
  auto st = (*log)->stats();
  std::printf(
      "{\"ok\":%ld,\"failed\":%ld,\"refused\":%llu,\"seconds\":%.3f,\"votes_per_s\":%.0f,"
      "\"cpu_seconds\":%.3f,\"partitions\":%u}\n",
      ok.load(), failed.load(), static_cast<unsigned long long>(st.refused), seconds,
      seconds > 0 ? static_cast<double>(votes) / seconds : 0.0, cpu, (*log)->partitions());
  return failed.load() == 0 && done.load() == votes + (seal ? 1 : 0) ? 0 : 1;
}
