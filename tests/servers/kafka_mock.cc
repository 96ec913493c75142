// kafka_mock: librdkafka's mock Kafka cluster (rdkafka_mock.h) as a process of its own, for the
// distributed-mode tests and scripts/cluster. The tests start it, read one line from its stdout
// (the bootstrap servers, "127.0.0.1:PORT,..." on free loopback ports), then talk to it over
// stdin, one command a line; every command is answered by one line, "ok" or "error: ...":
//
//   down <broker>                      disconnect the broker and refuse new connections
//   up <broker>                        accept connections again
//   leader <topic> <partition> <broker>  move a partition's leader (-1: leaderless)
//   topic <name> <partitions>          create a topic (the mock has no CreateTopics API);
//                                      leaders round-robin: partition p on broker p % N + 1
//   quit                               stop (so do stdin EOF, SIGTERM and SIGINT)
//
// Brokers are numbered 1..N. `down` does not move leaders (the mock keeps them where they are):
// the partitions a down broker leads are unavailable until `up` or `leader`.
//
// Usage: kafka_mock [--brokers N] [--topic NAME:PARTITIONS]...
// Topics get replication factor min(3, N). Diagnostics go to stderr; exit 0 on a clean stop,
// 2 on bad arguments, 1 when the cluster cannot start.
//
// A program rather than a library call inside the tests: the mock runs on librdkafka's threads
// in this process, so a test can kill, pause or restart the clients under test without taking
// the brokers with them, and one cluster serves several urna processes.
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <poll.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <sstream>
#include <string>
#include <vector>

namespace {

struct Options {
  int brokers = 3;
  std::vector<std::pair<std::string, int>> topics;  // name, partitions
};

bool ParseInt(const std::string& s, int min, int max, int* out) {
  char* end = nullptr;
  errno = 0;
  long v = std::strtol(s.c_str(), &end, 10);
  if (s.empty() || *end != '\0' || errno != 0 || v < min || v > max) return false;
  *out = static_cast<int>(v);
  return true;
}

bool ParseTopic(const std::string& arg, std::pair<std::string, int>* out) {
  size_t colon = arg.rfind(':');
  if (colon == std::string::npos || colon == 0) return false;
  out->first = arg.substr(0, colon);
  return ParseInt(arg.substr(colon + 1), 1, 10000, &out->second);
}

bool ParseArgs(int argc, char** argv, Options* o) {
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (i + 1 >= argc) return false;
    std::string v = argv[++i];
    if (a == "--brokers") {
      if (!ParseInt(v, 1, 64, &o->brokers)) return false;
    } else if (a == "--topic") {
      std::pair<std::string, int> t;
      if (!ParseTopic(v, &t)) return false;
      o->topics.push_back(t);
    } else {
      return false;
    }
  }
  return true;
}

// The mock needs an rd_kafka_t for its bookkeeping; a producer that sends nothing.
rd_kafka_t* NewHandle() {
  char err[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  // log_level 4: no notice that this handle has no bootstrap.servers (it connects nowhere).
  if (rd_kafka_conf_set(conf, "client.id", "kafka_mock", err, sizeof err) != RD_KAFKA_CONF_OK ||
      rd_kafka_conf_set(conf, "log_level", "4", err, sizeof err) != RD_KAFKA_CONF_OK) {
    std::fprintf(stderr, "kafka_mock: %s\n", err);
    rd_kafka_conf_destroy(conf);
    return nullptr;
  }
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
  if (!rk) std::fprintf(stderr, "kafka_mock: rd_kafka_new: %s\n", err);
  return rk;  // on success rd_kafka_new owns conf
}

// Creates a topic and spreads its partitions' leaders over the brokers round-robin (the mock
// would give them all one leader), so one broker down takes about 1/N of the partitions.
rd_kafka_resp_err_t CreateTopic(rd_kafka_mock_cluster_t* mc, int brokers, const std::string& name,
                                int partitions) {
  rd_kafka_resp_err_t err =
      rd_kafka_mock_topic_create(mc, name.c_str(), partitions, brokers < 3 ? brokers : 3);
  for (int p = 0; !err && p < partitions; ++p) {
    err = rd_kafka_mock_partition_set_leader(mc, name.c_str(), p, p % brokers + 1);
  }
  return err;
}

std::string Answer(rd_kafka_resp_err_t err) {
  return err ? std::string("error: ") + rd_kafka_err2str(err) : "ok";
}

// Runs one control command; returns its answer line. Sets *quit on "quit".
std::string Execute(rd_kafka_mock_cluster_t* mc, int brokers, const std::string& line, bool* quit) {
  std::istringstream in(line);
  std::vector<std::string> w;
  for (std::string s; in >> s;) w.push_back(s);
  if (w.empty()) return "error: empty command";
  int broker = 0, partition = 0, count = 0;
  if (w[0] == "quit" && w.size() == 1) {
    *quit = true;
    return "ok";
  }
  if ((w[0] == "down" || w[0] == "up") && w.size() == 2) {
    if (!ParseInt(w[1], 1, brokers, &broker)) return "error: no such broker: " + w[1];
    return Answer(w[0] == "down" ? rd_kafka_mock_broker_set_down(mc, broker)
                                 : rd_kafka_mock_broker_set_up(mc, broker));
  }
  if (w[0] == "leader" && w.size() == 4) {
    if (!ParseInt(w[2], 0, 9999, &partition)) return "error: bad partition: " + w[2];
    if (w[3] != "-1" && !ParseInt(w[3], 1, brokers, &broker)) {
      return "error: no such broker: " + w[3];
    }
    if (w[3] == "-1") broker = -1;
    return Answer(rd_kafka_mock_partition_set_leader(mc, w[1].c_str(), partition, broker));
  }
  if (w[0] == "topic" && w.size() == 3) {
    if (!ParseInt(w[2], 1, 10000, &count)) return "error: bad partition count: " + w[2];
    return Answer(CreateTopic(mc, brokers, w[1], count));
  }
  return "error: unknown command: " + line;
}

// Reads commands from stdin until quit, EOF or a signal (read from a signalfd, so the signal
// is seen here whichever of librdkafka's threads it was sent to).
void Serve(rd_kafka_mock_cluster_t* mc, int brokers, int sigfd) {
  std::string pending;
  char buf[4096];
  for (bool quit = false; !quit;) {
    pollfd fds[2] = {{STDIN_FILENO, POLLIN, 0}, {sigfd, POLLIN, 0}};
    if (poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      std::perror("kafka_mock: poll");
      return;
    }
    if (fds[1].revents) return;
    if (!fds[0].revents) continue;
    ssize_t n = read(STDIN_FILENO, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;  // EOF: whoever started us is gone
    pending.append(buf, static_cast<size_t>(n));
    for (size_t nl; !quit && (nl = pending.find('\n')) != std::string::npos;) {
      std::string line = pending.substr(0, nl);
      pending.erase(0, nl + 1);
      std::printf("%s\n", Execute(mc, brokers, line, &quit).c_str());
      std::fflush(stdout);
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  Options opt;
  if (!ParseArgs(argc, argv, &opt)) {
    std::fprintf(stderr, "usage: kafka_mock [--brokers N] [--topic NAME:PARTITIONS]...\n");
    return 2;
  }
  // Block the stop signals before librdkafka starts its threads (they inherit the mask), then
  // take them from a signalfd in the command loop.
  sigset_t stop;
  sigemptyset(&stop);
  sigaddset(&stop, SIGTERM);
  sigaddset(&stop, SIGINT);
  sigaddset(&stop, SIGPIPE);  // a closed stdout is seen as a write error, not a kill
  pthread_sigmask(SIG_BLOCK, &stop, nullptr);
  sigdelset(&stop, SIGPIPE);
  int sigfd = signalfd(-1, &stop, SFD_CLOEXEC);
  if (sigfd < 0) {
    std::perror("kafka_mock: signalfd");
    return 1;
  }

  rd_kafka_t* rk = NewHandle();
  if (!rk) return 1;
  rd_kafka_mock_cluster_t* mc = rd_kafka_mock_cluster_new(rk, opt.brokers);
  if (!mc) {
    std::fprintf(stderr, "kafka_mock: rd_kafka_mock_cluster_new failed\n");
    rd_kafka_destroy(rk);
    return 1;
  }
  int status = 0;
  for (const auto& [name, partitions] : opt.topics) {
    rd_kafka_resp_err_t err = CreateTopic(mc, opt.brokers, name, partitions);
    if (err) {
      std::fprintf(stderr, "kafka_mock: topic %s: %s\n", name.c_str(), rd_kafka_err2str(err));
      status = 1;
    }
  }
  if (status == 0) {
    // The listeners are bound when rd_kafka_mock_cluster_new returns: this line means ready.
    std::printf("%s\n", rd_kafka_mock_cluster_bootstraps(mc));
    std::fflush(stdout);
    Serve(mc, opt.brokers, sigfd);
  }
  rd_kafka_mock_cluster_destroy(mc);
  rd_kafka_destroy(rk);
  close(sigfd);
  return status;
}
