// Command-line helpers shared by the subcommands of src/cmd/main.cc: durations and sizes in
// flags, the voter token flags, the rate limit flags, and the HTTP front flags that `urna serve`
// and `urna ingest` share (the same API, the same limits). Every default shown in --help is read
// from the options struct the flag sets, never written here a second time. Start-up only.
#pragma once

#include <CLI/CLI.hpp>

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "app/cors.h"
#include "auth/request_limits.h"
#include "auth/voter_tokens.h"
#include "net/thread_priority.h"

namespace urna::cmd {

// Upper bound of --max-connections and --max-viewers: beyond any descriptor limit Linux allows
// (fs.nr_open is at most 2^30), so a larger value can only be a mistake.
constexpr size_t kMaxConnectionsBound = size_t{1} << 30;

std::string EnvOr(const char* name, std::string fallback);

// "90", "90s", "15m", "1h", "2d" -> seconds; "0" too when `zero_ok`. Throws
// std::invalid_argument (start-up only).
std::chrono::seconds ParseTtl(const std::string& s, bool zero_ok = false);

// `seconds` in the largest of h, m, s that divides it: ParseTtl reads it back.
std::string FormatTtl(std::chrono::seconds seconds);

// A flag given in whole `Unit`s (seconds, milliseconds) for a std::chrono field; --help shows the
// field's own default.
template <typename Unit>
CLI::Option* AddDuration(CLI::App* app, const std::string& name, Unit& field,
                         const std::string& help) {
  return app
      ->add_option_function<int64_t>(
          name, [&field](int64_t v) { field = Unit(v); }, help)
      ->default_str(std::to_string(field.count()));
}

// A flag given in MiB for a field in bytes; --help shows the field's own default.
CLI::Option* AddMebibytes(CLI::App* app, const std::string& name, uint64_t& bytes,
                          const std::string& help);

// --cors-origins (env URNA_CORS_ORIGINS): the cross-origin reads of the public read endpoints
// (app/cors.h). A bad value is a usage error.
CLI::Option* AddCorsFlag(CLI::App* app, app::CorsPolicy& cors);

// The token settings `urna serve`, `urna ingest` and `urna token` share.
struct TokenFlags {
  std::string max_ttl = EnvOr("URNA_MAX_TOKEN_TTL", FormatTtl(TokenPolicy{}.max_lifetime));
  std::string audience = EnvOr("URNA_TOKEN_AUDIENCE", "");
  std::string issuer = EnvOr("URNA_TOKEN_ISSUER", "");

  void Add(CLI::App* app);
  TokenPolicy Policy() const { return {ParseTtl(max_ttl, true), audience, issuer}; }
};

// The rate limit flags: RATE is N/PERIOD ("1/10s", "200/s"), BURST a count. The defaults are
// RequestLimitOptions' (src/auth/request_limits.h).
struct RateFlags {
  const RequestLimitOptions defaults{};
  std::string voter_rate = FormatRateLimit(defaults.voter),
              address_rate = FormatRateLimit(defaults.address),
              admin_rate = FormatRateLimit(defaults.admin),
              gateway_rate = FormatRateLimit(defaults.gateway);
  int64_t voter_burst = defaults.voter.burst, address_burst = defaults.address.burst,
          admin_burst = defaults.admin.burst, gateway_burst = defaults.gateway.burst;
  std::string trusted = EnvOr("URNA_TRUSTED_PROXIES", "");
  std::vector<std::string> trusted_proxies;
  size_t entries = defaults.table_entries;
  bool off = !defaults.enabled;

  void Add(CLI::App* app);
  RequestLimitOptions Options() const;  // throws std::invalid_argument
};

// Throws CLI::ValidationError when the stream pacing flags do not fit in one tick: a
// --stream-spread-ms given of --tick-ms or more (a broadcast would still be spreading when the
// next one starts) or a --stream-budget-ms above --tick-ms (CPU time per tick cannot exceed
// it). Returns the spread to use: the one given, else the default cut to 2/5 of the tick.
std::chrono::milliseconds CheckStreamPacing(std::chrono::milliseconds spread, bool spread_given,
                                            std::chrono::milliseconds budget,
                                            std::chrono::milliseconds tick);

// The network and live-stream flags of every HTTP role (`urna serve`, `urna ingest`,
// `urna results`): threads, connection caps and timeouts, the results tick, the read-side
// threads. `O` has `http` (net::HttpServerOptions) and `hub` (results::HubOptions).
template <typename O>
void AddHttpFlags(CLI::App* s, O& o) {
  s->add_option("--http-threads", o.http.threads, "Network threads")
      ->capture_default_str()
      ->check(CLI::Range(1, 64));
  AddDuration(s, "--tick-ms", o.hub.tick, "Live results push tick (ms)")
      ->check(CLI::Range(10, 10000));
  // Connection limits (docs/operations.md, "Connections").
  s->add_option("--max-connections", o.http.max_connections,
                "Open client connections at most, viewers included; 0 = the descriptor limit "
                "minus a reserve for storage (env URNA_MAX_CONNECTIONS)")
      ->envname("URNA_MAX_CONNECTIONS")
      ->capture_default_str()
      ->check(CLI::Range(size_t{0}, kMaxConnectionsBound));  // "-5" parses as 2^64 - 5
  s->add_option("--max-viewers", o.http.max_push_streams,
                "Live result streams (SSE + WebSocket) at most; 0 = 3/4 of --max-connections")
      ->capture_default_str()
      ->check(CLI::Range(size_t{0}, kMaxConnectionsBound));
  s->add_option("--max-first-requests", o.http.max_first_requests,
                "Connections still in their first request at most; beyond, new connections wait "
                "in the kernel's listen queue until one is answered; 0 = no cap (the default "
                "of serve and ingest: a slow-loris flood would pause their accepts, votes "
                "included, for up to --first-request-timeout at a time)")
      ->capture_default_str()
      ->check(CLI::Range(size_t{0}, kMaxConnectionsBound));
  AddDuration(s, "--first-request-timeout", o.http.first_request_timeout,
              "While accepting is paused at --max-first-requests, seconds a connection may "
              "spend in its first request (silent or partly sent) before it is closed")
      ->check(CLI::Range(1, 3600));
  AddDuration(s, "--idle-timeout", o.http.idle_timeout,
              "Seconds a keep-alive connection may wait for its next request")
      ->check(CLI::Range(1, 3600));
  AddDuration(s, "--busy-idle-timeout", o.http.busy_idle_timeout,
              "The same, above " + std::to_string(static_cast<int>(o.http.busy_fraction * 100)) +
                  "% of --max-connections")
      ->check(CLI::Range(1, 3600));
  // Live result streams (docs/operations.md, "Live result streams").
  s->add_option("--stream-threads", o.http.stream_threads,
                "Read-side threads that write live result streams, apart from the network "
                "threads that take votes; 0 = on the network threads (env URNA_STREAM_THREADS)")
      ->envname("URNA_STREAM_THREADS")
      ->capture_default_str()
      ->check(CLI::Range(0, 64));
  s->add_option("--stream-nice", o.http.stream_nice,
                "Niceness added to the read-side threads, so votes are served first when the "
                "CPU is full; 0 = same priority")
      ->capture_default_str()
      ->check(CLI::Range(0, 19));
  s->add_option_function<std::string>(
       "--stream-sched",
       [&o](const std::string& v) {
         auto sched = net::ParseStreamSched(v);  // IsMember below refuses the rest first
         if (!sched) throw CLI::ValidationError("--stream-sched", "must be normal or idle");
         o.http.stream_sched = *sched;
       },
       "Scheduling of the read-side threads: normal (niced by --stream-nice) or idle "
       "(SCHED_IDLE: below every niceness within the process's scheduling group, preempted by "
       "any thread of that group that wakes)")
      ->default_str(std::string(net::StreamSchedName(o.http.stream_sched)))
      ->check(CLI::IsMember({"normal", "idle"}));
  // Pacing of a broadcast on the read side (docs/operations.md, "Live result streams").
  s->add_option("--stream-slice", o.http.stream_slice,
                "Live result streams a read-side thread writes per task before other work "
                "there runs; 0 = a whole broadcast at once")
      ->capture_default_str()
      ->check(CLI::Range(size_t{0}, size_t{1000000}));
  CLI::Option* spread =
      AddDuration(s, "--stream-spread-ms", o.http.stream_spread,
                  "A tick's broadcast is written in slices spaced over about this many ms, less "
                  "than --tick-ms (default: 2/5 of --tick-ms when that is less); 0 = back to back")
          ->check(CLI::Range(0, 10000));
  AddDuration(s, "--stream-budget-ms", o.http.stream_budget,
              "CPU ms a read-side thread may spend writing per results tick; past it the rest "
              "waits for the next tick and viewers skip to the newest snapshot; 0 = no budget")
      ->check(CLI::Range(0, 10000));
  AddDuration(s, "--stream-write-timeout", o.http.stream_write_timeout,
              "Seconds a live result stream (SSE or WebSocket) may take to write one message "
              "before it is closed")
      ->check(CLI::Range(1, 3600));
  // The pacing is per tick: checked against --tick-ms once every flag is read (a usage error,
  // exit 2, like a value out of range).
  s->final_callback([&o, spread] {
    o.http.stream_spread = CheckStreamPacing(
        std::chrono::duration_cast<std::chrono::milliseconds>(o.http.stream_spread),
        spread->count() > 0,
        std::chrono::duration_cast<std::chrono::milliseconds>(o.http.stream_budget),
        std::chrono::duration_cast<std::chrono::milliseconds>(o.hub.tick));
  });
}

// The HTTP front of `urna serve` and `urna ingest`: the flags of AddHttpFlags, then exports,
// proof of work, voter tokens and rate limits.
// `O` is ServeOptions or IngestOptions (the same field names). Call Finish() after parsing.
template <typename O>
struct FrontFlags {
  TokenFlags tokens;
  RateFlags rates;

  void Add(CLI::App* s, O& o) {
    AddHttpFlags(s, o);
    s->add_option("--export-buffer-rows", o.export_buffer_rows,
                  "Rows a ledger export (or recount) holds in memory before spilling to temporary "
                  "files: 88 bytes a row, plus up to 128 MiB of partly filled chunks")
        ->capture_default_str()
        ->check(CLI::Range(1000, 1000000000));
    s->add_option("--pow-ttl", o.pow.ttl_s,
                  "Seconds a proof-of-work challenge may be solved and used (bot_protection pow)")
        ->capture_default_str()
        ->check(CLI::Range(10, 86400));
    s->add_option("--pow-replay-capacity", o.pow.capacity,
                  "Used, unexpired proof-of-work challenges remembered (~60 B each); when full, "
                  "votes needing one get 503 until some expire")
        ->capture_default_str()
        ->check(CLI::Range(size_t{1}, size_t{1} << 30));
    s->add_option("--batch-max-votes", o.batch.max_votes,
                  "Votes a trusted gateway may send in one votes:batch request (more: 413)")
        ->capture_default_str()
        ->check(CLI::Range(size_t{1}, size_t{100000}));
    s->add_option("--batch-max-body", o.batch.max_body_bytes,
                  "Bytes of a votes:batch request body at most (more: 413)")
        ->capture_default_str()
        ->check(CLI::Range(size_t{1024}, size_t{64} << 20));
    tokens.Add(s);
    rates.Add(s);
    AddCorsFlag(s, o.cors);
  }

  // Sets what the string flags carry; throws std::invalid_argument on a bad value.
  void Finish(O& o) const {
    o.token_policy = tokens.Policy();
    o.limits = rates.Options();
  }
};

}  // namespace urna::cmd
