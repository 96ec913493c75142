// kafka_read: reads every partition of the vote log's topic from its beginning to its end
// through KafkaLogReader (the processor's reader, without the group: as a replay does) and
// prints one JSON line: {"entries":N,"seconds":S,"entries_per_s":R,"cpu_seconds":C}.
// A benchmark of the read side's Kafka cost per vote (decode included), next to kafka_append's;
// against the mock cluster it is not a production broker's figure.
//
// Usage: kafka_read --brokers HOST:PORT[,...] [--topic T] [--batch N] [--kafka-config FILE]
#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "adapters/kafka/kafka_log_reader.h"

namespace {

double CpuSeconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

}  // namespace

int main(int argc, char** argv) {
  std::string brokers, topic = "urna.votes", props;
  size_t batch = 4096;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string a = argv[i], v = argv[i + 1];
    if (a == "--brokers") {
      brokers = v;
    } else if (a == "--topic") {
      topic = v;
    } else if (a == "--batch") {
      batch = static_cast<size_t>(std::atol(v.c_str()));
    } else if (a == "--kafka-config") {
      props = v;
    } else {
      std::fprintf(stderr, "usage: kafka_read --brokers B [--topic T] [--batch N]\n");
      return 2;
    }
  }
  auto config = urna::kafka::KafkaConfig::Make(brokers, topic, props);
  if (!config.ok()) {
    std::fprintf(stderr, "kafka_read: %s\n", config.status().message().c_str());
    return 2;
  }
  auto reader = urna::kafka::KafkaLogReader::Open(*config, {});
  if (!reader.ok()) {
    std::fprintf(stderr, "kafka_read: %s\n", reader.status().message().c_str());
    return 1;
  }
  // Every partition assigned (and fetching) first, as a processor's are, then read in turn.
  for (uint32_t p = 0; p < (*reader)->partitions(); ++p) {
    (void)(*reader)->Read(p, 0, 1, std::chrono::milliseconds(0));
  }
  const double cpu0 = CpuSeconds();
  const auto t0 = std::chrono::steady_clock::now();
  uint64_t entries = 0;
  for (uint32_t p = 0; p < (*reader)->partitions(); ++p) {
    auto end = (*reader)->EndOffset(p);
    if (!end.ok()) {
      std::fprintf(stderr, "kafka_read: %s\n", end.status().message().c_str());
      return 1;
    }
    uint64_t from = 0;
    while (from < *end) {
      auto got = (*reader)->Read(p, from, batch, std::chrono::milliseconds(1000));
      if (!got.ok()) {
        std::fprintf(stderr, "kafka_read: %s\n", got.status().message().c_str());
        return 1;
      }
      if (got->empty()) continue;
      from = got->back().offset + 1;
      entries += got->size();
    }
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf("{\"entries\":%llu,\"seconds\":%.3f,\"entries_per_s\":%.0f,\"cpu_seconds\":%.3f}\n",
              static_cast<unsigned long long>(entries), seconds,
              seconds > 0 ? static_cast<double>(entries) / seconds : 0.0, CpuSeconds() - cpu0);
  return 0;
}
