#include "cmd/distributed_commands.h"

#include <iostream>

namespace urna::cmd {
namespace {

// Prints the configuration error the way every role does and returns exit code 2.
int ConfigError(const char* role, const Status& s) {
  std::cerr << "urna " << role << ": " << s.message() << "\n";
  return 2;
}

}  // namespace

DistributedCommands::DistributedCommands(CLI::App& cli) {
  auto env = app::ProcessEnvironment();

  init_ = cli.add_subcommand("init",
                             "Distributed mode: create the Kafka topic and the DynamoDB tables "
                             "unless they exist (idempotent); prints what it made");
  init_options_.dist = app::DistributedOptions::FromEnvironment(env);
  AddCommon(init_, init_options_.dist);
  init_->add_option("--partitions", init_options_.partitions, "Partitions of a new topic")
      ->capture_default_str()
      ->check(CLI::Range(1, 10000));
  init_->add_option("--replication", init_options_.replication, "Replication factor of a new topic")
      ->capture_default_str()
      ->check(CLI::Range(1, 16));

  ingest_ = cli.add_subcommand(
      "ingest",
      "Distributed mode: serve the HTTP API (elections, votes into Kafka, receipts, results from "
      "DynamoDB); any number of ingest nodes behind a load balancer");
  ingest_options_.dist = app::DistributedOptions::FromEnvironment(env);
  ingest_options_.listen = EnvOr("URNA_LISTEN", ingest_options_.listen);
  ingest_options_.node_id = EnvOr("URNA_NODE_ID", "");
  AddCommon(ingest_, ingest_options_.dist);
  ingest_
      ->add_option("--listen", ingest_options_.listen,
                   "HOST:PORT to listen on, port 0 = any (env URNA_LISTEN)")
      ->capture_default_str();
  ingest_->add_option("--node-id", ingest_options_.node_id,
                      "Name of this node in vote events and in the node lease table, unique per "
                      "running ingest process (env URNA_NODE_ID; default HOSTNAME-PID)");
  auto& k = ingest_options_.kafka;
  AddDuration(ingest_, "--kafka-delivery-timeout-ms", k.delivery_timeout,
              "Longest a vote waits for Kafka's acknowledgement before it is answered 503")
      ->check(CLI::Range(100, 600000));
  ingest_
      ->add_option("--kafka-max-in-flight", k.max_in_flight,
                   "Votes awaiting Kafka's acknowledgement at most; more are answered 503 at "
                   "once (bounded memory)")
      ->capture_default_str()
      ->check(CLI::Range(size_t{1}, size_t{10'000'000}));
  auto& f = ingest_options_.fence;
  AddDuration(ingest_, "--lease-ttl-ms", f.lease_ttl,
              "Node lease: another node may count this one gone once its lease has not been "
              "renewed for this long");
  AddDuration(ingest_, "--lease-renew-ms", f.renew_interval, "Node lease renewal interval");
  AddDuration(ingest_, "--lease-deadline-ms", f.renew_deadline,
              "This node takes votes only this long after its last lease renewal (less than "
              "--lease-ttl-ms)");
  AddDuration(ingest_, "--close-timeout-ms", f.close_timeout,
              "Longest a close waits for the other ingest nodes before answering 503 (close "
              "again to finish it)")
      ->check(CLI::Range(100, 3'600'000));
  AddDuration(ingest_, "--gateway-refresh-ms", ingest_options_.gateway_refresh,
              "How often the trusted gateways are re-read (a revocation made through another "
              "ingest node takes effect here within this time)")
      ->check(CLI::Range(100, 600000));
  front_.Add(ingest_, ingest_options_);

  process_ = cli.add_subcommand(
      "process",
      "Distributed mode: the stream processor; processors share the topic's partitions through "
      "a Kafka consumer group and keep the ledger and checkpoints in DynamoDB");
  process_options_.dist = app::DistributedOptions::FromEnvironment(env);
  process_options_.node_id = EnvOr("URNA_NODE_ID", "");
  AddCommon(process_, process_options_.dist);
  process_->add_option("--node-id", process_options_.node_id,
                       "Name of this processor in logs and in the consumer group (env "
                       "URNA_NODE_ID; default HOSTNAME-PID)");
  auto& p = process_options_.processor;
  process_->add_option("--workers", p.workers, "Processor threads (partition p on thread p % N)")
      ->capture_default_str()
      ->check(CLI::Range(1, 64));
  process_->add_option("--max-batch", p.max_batch, "Log entries per partition batch at most")
      ->capture_default_str()
      ->check(CLI::Range(size_t{1}, size_t{1'000'000}));
  process_options_.metrics_listen = EnvOr("URNA_METRICS_LISTEN", "");
  process_->add_option("--metrics-listen", process_options_.metrics_listen,
                       "HOST:PORT of this processor's HTTP server for GET /metrics and /healthz, "
                       "port 0 = any (env URNA_METRICS_LISTEN; unset: none)");
  AddRedis(process_, process_options_.dist,
           "Redis to publish the tallies to, for `urna results`: "
           "redis://[[user]:password@]host[:port][/db] (env URNA_REDIS_URL; unset: no "
           "result server can follow this processor)");
  AddResults(cli);
}

void DistributedCommands::AddResults(CLI::App& cli) {
  results_ = cli.add_subcommand(
      "results",
      "Distributed mode: a result server; live results (snapshot, SSE, WebSocket) and the web "
      "pages from Redis and the DynamoDB elections table; any number, several on one port "
      "with --reuse-port; takes no votes and needs no secret");
  auto& o = results_options_;
  o.dist = app::DistributedOptions::FromEnvironment(app::ProcessEnvironment());
  o.listen = EnvOr("URNA_LISTEN", o.listen);
  o.node_id = EnvOr("URNA_NODE_ID", "");
  o.http.reuse_port = EnvOr("URNA_REUSE_PORT", "0") == "1";
  // A result server takes no votes: nothing to yield its read side to but other processes
  // (docs/performance/distributed-read.md). --stream-nice still sets it.
  o.http.stream_nice = 0;
  // Its viewers are who connect in storms; it takes no votes that a paused accept loop would
  // delay (docs/operations.md, "Connections"). --max-first-requests still sets it.
  o.http.max_first_requests = 512;
  results_
      ->add_option("--listen", o.listen, "HOST:PORT to listen on, port 0 = any (env URNA_LISTEN)")
      ->capture_default_str();
  AddRedis(results_, o.dist,
           "Redis the processors publish to: redis://[[user]:password@]host[:port][/db] "
           "(env URNA_REDIS_URL; required)");
  results_
      ->add_option("--table-prefix", o.dist.table_prefix,
                   "Prefix of the DynamoDB table names (env URNA_TABLE_PREFIX)")
      ->capture_default_str();
  results_->add_flag("--reuse-port", o.http.reuse_port,
                     "Share the --listen port with the other result servers started with it on "
                     "this host (SO_REUSEPORT: the kernel spreads new connections over them; env "
                     "URNA_REUSE_PORT=1)");
  results_->add_option("--node-id", o.node_id,
                       "Name of this result server in /healthz and logs (env URNA_NODE_ID; "
                       "default HOSTNAME-PID)");
  AddDuration(results_, "--load-wait-ms", o.load_wait,
              "Longest a request for an election not yet read from Redis waits for it before "
              "503 (and one for an election the catalog has not read yet, before 404)")
      ->check(CLI::Range(0, 60000));
  results_
      ->add_option("--max-load-waiters", o.max_load_waiters,
                   "Requests waiting for an election's first read from Redis at most; more are "
                   "answered 503 at once")
      ->capture_default_str()
      ->check(CLI::Range(size_t{1}, size_t{10'000'000}));
  results_
      ->add_option("--max-unknown-waiters", o.max_unknown_waiters,
                   "Of those, requests for an election this server's catalog does not know yet, "
                   "waiting for its next refresh (one created elsewhere a moment ago); more are "
                   "answered at once (404 unless known by then); 0: none waits")
      ->capture_default_str()
      ->check(CLI::Range(size_t{0}, size_t{10'000'000}));
  AddCorsFlag(results_, o.cors);
  AddDuration(results_, "--redis-refresh-ms", o.redis_refresh,
              "Every election served is re-read from Redis this often, besides the change "
              "notifications (the safety net for a lost notification)")
      ->check(CLI::Range(100, 3'600'000));
  AddDuration(results_, "--stale-after-ms", o.stale_after,
              "Results are marked stale while a processor reports a lag above this (ms), or a "
              "log partition has no live processor (env URNA_STALE_AFTER_MS)")
      ->envname("URNA_STALE_AFTER_MS")
      ->check(CLI::Range(int64_t{1}, int64_t{86'400'000}));
  AddHttpFlags(results_, o);
}

void DistributedCommands::AddRedis(CLI::App* app, app::DistributedOptions& dist, const char* help) {
  app->add_option("--redis", dist.redis_url, help);
}

void DistributedCommands::AddCommon(CLI::App* app, app::DistributedOptions& dist) {
  app->add_option("--kafka", dist.kafka_brokers,
                  "Kafka bootstrap servers, HOST:PORT,... (env URNA_KAFKA_BROKERS)");
  app->add_option("--kafka-config", dist.kafka_config,
                  "librdkafka properties file, key=value lines as kcat -F, e.g. "
                  "security.protocol=SASL_SSL (env URNA_KAFKA_CONFIG)");
  app->add_option("--topic", dist.topic, "Kafka topic of the votes (env URNA_TOPIC)")
      ->capture_default_str();
  app->add_option("--table-prefix", dist.table_prefix,
                  "Prefix of the DynamoDB table names (env URNA_TABLE_PREFIX)")
      ->capture_default_str();
}

bool DistributedCommands::parsed() const {
  return init_->parsed() || ingest_->parsed() || process_->parsed() || results_->parsed();
}

int DistributedCommands::Run() {
  if (init_->parsed()) {
    if (auto s = init_options_.dist.Validate(); !s.ok()) return ConfigError("init", s);
    return app::RunInit(init_options_);
  }
  if (ingest_->parsed()) {
    auto& o = ingest_options_;
    if (auto s = o.dist.Validate(); !s.ok()) return ConfigError("ingest", s);
    if (o.node_id.empty()) o.node_id = app::DefaultNodeId();
    if (auto s = app::ValidateNodeId(o.node_id); !s.ok()) return ConfigError("ingest", s);
    auto secrets = app::RequiredSecrets(app::ProcessEnvironment());
    if (!secrets.ok()) return ConfigError("ingest", secrets.status());
    if (auto s = o.fence.Validate(); !s.ok()) return ConfigError("ingest", s);
    front_.Finish(o);  // throws std::invalid_argument on a bad rate or ttl (main: exit 2)
    return app::RunIngestServer(o, *secrets);
  }
  if (results_->parsed()) {
    auto& o = results_options_;
    if (o.node_id.empty()) o.node_id = app::DefaultNodeId();
    if (auto s = app::ValidateNodeId(o.node_id); !s.ok()) return ConfigError("results", s);
    return app::RunResultServer(o);  // checks --redis and --table-prefix itself
  }
  auto& o = process_options_;
  if (auto s = o.dist.Validate(); !s.ok()) return ConfigError("process", s);
  if (o.node_id.empty()) o.node_id = app::DefaultNodeId();
  if (auto s = app::ValidateNodeId(o.node_id); !s.ok()) return ConfigError("process", s);
  return app::RunProcessor(o);
}

}  // namespace urna::cmd
