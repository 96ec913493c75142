#include "cmd/flags.h"

#include <algorithm>
#include <cstdlib>
#include <stdexcept>

namespace urna::cmd {

std::string EnvOr(const char* name, std::string fallback) {
  const char* v = std::getenv(name);
  return v && *v ? v : fallback;
}

std::chrono::seconds ParseTtl(const std::string& s, bool zero_ok) {
  if (zero_ok && s == "0") return std::chrono::seconds(0);
  size_t used = 0;
  long n = std::stol(s, &used);
  std::string unit = s.substr(used);
  long mult = unit.empty() || unit == "s" ? 1
              : unit == "m"               ? 60
              : unit == "h"               ? 3600
              : unit == "d"               ? 86400
                                          : 0;
  if (mult == 0 || n <= 0) {
    throw std::invalid_argument(std::string("ttl must look like 90s, 15m, 1h or 2d") +
                                (zero_ok ? " (0 = unbounded): " : ": ") + s);
  }
  return std::chrono::seconds(n * mult);
}

std::string FormatTtl(std::chrono::seconds seconds) {
  long s = static_cast<long>(seconds.count());
  if (s == 0) return "0";
  if (s % 3600 == 0) return std::to_string(s / 3600) + "h";
  if (s % 60 == 0) return std::to_string(s / 60) + "m";
  return std::to_string(s) + "s";
}

CLI::Option* AddMebibytes(CLI::App* app, const std::string& name, uint64_t& bytes,
                          const std::string& help) {
  return app
      ->add_option_function<uint64_t>(
          name, [&bytes](uint64_t mib) { bytes = mib << 20; }, help)
      ->default_str(std::to_string(bytes >> 20));
}

void TokenFlags::Add(CLI::App* app) {
  app->add_option("--max-token-ttl", max_ttl,
                  "Longest accepted voter token lifetime (exp - now), 0 = unbounded "
                  "(env URNA_MAX_TOKEN_TTL)")
      ->capture_default_str();
  app->add_option("--token-audience", audience,
                  "Require this aud in voter tokens (env URNA_TOKEN_AUDIENCE)");
  app->add_option("--token-issuer", issuer,
                  "Require this iss in voter tokens (env URNA_TOKEN_ISSUER)");
}

void RateFlags::Add(CLI::App* app) {
  auto pair = [app](const char* kind, std::string& rate, int64_t& burst, const char* what) {
    app->add_option(std::string("--") + kind + "-rate", rate,
                    std::string("Sustained rate ") + what + ": N/PERIOD, e.g. 1/10s, 200/s")
        ->capture_default_str();
    app->add_option(std::string("--") + kind + "-burst", burst,
                    std::string("Requests allowed at once ") + what)
        ->capture_default_str()
        ->check(CLI::Range(int64_t{1}, int64_t{1'000'000'000}));
  };
  pair("voter", voter_rate, voter_burst, "per voter (vote requests)");
  pair("address", address_rate, address_burst, "per client address (writes, receipts)");
  pair("admin", admin_rate, admin_burst, "per admin token");
  pair("gateway", gateway_rate, gateway_burst, "per trusted gateway (votes of its batches)");
  app->add_option("--trusted-proxy", trusted_proxies,
                  "CIDR of a proxy whose X-Forwarded-For is believed; repeatable "
                  "(env URNA_TRUSTED_PROXIES, comma-separated)");
  app->add_option("--rate-limit-entries", entries,
                  "Slots of the voter and of the address rate-limit table (16 bytes each)")
      ->capture_default_str()
      ->check(CLI::Range(size_t{16}, size_t{1} << 30));
  app->add_flag("--no-rate-limits", off,
                "Turn every rate limit off (benchmarks, or behind an edge that limits)");
}

RequestLimitOptions RateFlags::Options() const {
  auto rate = [](const std::string& r, int64_t burst) {
    auto l = ParseRateLimit(r, burst);
    if (!l.ok()) throw std::invalid_argument(l.status().message());
    return *l;
  };
  RequestLimitOptions o = defaults;
  o.enabled = !off;
  o.voter = rate(voter_rate, voter_burst);
  o.address = rate(address_rate, address_burst);
  o.admin = rate(admin_rate, admin_burst);
  o.gateway = rate(gateway_rate, gateway_burst);
  o.table_entries = entries;
  o.trusted_proxies = trusted_proxies;
  for (size_t start = 0; start < trusted.size();) {
    size_t comma = std::min(trusted.find(',', start), trusted.size());
    if (comma > start) o.trusted_proxies.push_back(trusted.substr(start, comma - start));
    start = comma + 1;
  }
  if (auto p = TrustedProxies::Parse(o.trusted_proxies); !p.ok()) {
    throw std::invalid_argument(p.status().message());
  }
  return o;
}

CLI::Option* AddCorsFlag(CLI::App* app, app::CorsPolicy& cors) {
  auto* opt = app->add_option_function<std::string>(
      "--cors-origins",
      [&cors](const std::string& v) {
        auto parsed = app::CorsPolicy::Parse(v);
        if (!parsed.ok()) throw CLI::ValidationError(parsed.status().message());
        cors = std::move(*parsed);
      },
      "Origins whose pages may read results, elections and the live streams cross-origin: a "
      "comma list of scheme://host[:port], or * for any; default none (no CORS headers). Also "
      "the WebSocket Origin check (env URNA_CORS_ORIGINS)");
  opt->envname("URNA_CORS_ORIGINS");
  return opt;
}

std::chrono::milliseconds CheckStreamPacing(std::chrono::milliseconds spread, bool spread_given,
                                            std::chrono::milliseconds budget,
                                            std::chrono::milliseconds tick) {
  const std::string t = std::to_string(tick.count());
  if (budget > tick) {
    throw CLI::ValidationError("--stream-budget-ms", std::to_string(budget.count()) +
                                                         " must be at most --tick-ms (" + t +
                                                         "): it is CPU time per tick");
  }
  if (!spread_given) return std::min(spread, tick * 2 / 5);  // the default fits any tick
  if (spread.count() > 0 && spread >= tick) {
    throw CLI::ValidationError("--stream-spread-ms",
                               std::to_string(spread.count()) + " must be less than --tick-ms (" +
                                   t + "): a tick's broadcast is spread within the tick");
  }
  return spread;
}

}  // namespace urna::cmd
