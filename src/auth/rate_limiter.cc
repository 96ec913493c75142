#include "auth/rate_limiter.h"

#include <sys/mman.h>

#include <algorithm>
#include <charconv>
#include <new>
#include <random>

namespace urna {
namespace {

// The splitmix64 finalizer: a cheap bijective mix of a 64-bit key, so slots spread evenly
// whatever the keys look like (addresses are sequential). Written out because no Debian
// library offers a seeded 64-bit integer mix; with a per-process random seed an outsider
// cannot aim many keys at one probe window.
uint64_t Mix(uint64_t x) {
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ULL;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebULL;
  x ^= x >> 31;
  return x;
}

size_t RoundUpPow2(size_t n) {
  size_t p = 16;
  while (p < n) p <<= 1;
  return p;
}

}  // namespace

Result<RateLimit> ParseRateLimit(std::string_view rate, int64_t burst) {
  auto bad = [&] {
    return Status(Code::kInvalidArgument,
                  "rate must look like 1/10s, 200/s, 30/m or 500/1h: " + std::string(rate));
  };
  if (burst < 1) return Status(Code::kInvalidArgument, "burst must be at least 1");
  size_t slash = rate.find('/');
  if (slash == std::string_view::npos) return bad();
  int64_t count = 0;
  auto [c_end, c_ec] = std::from_chars(rate.data(), rate.data() + slash, count);
  if (c_ec != std::errc() || c_end != rate.data() + slash || count < 1) return bad();
  std::string_view period = rate.substr(slash + 1);
  int64_t n = 1;
  auto [p_end, p_ec] = std::from_chars(period.data(), period.data() + period.size(), n);
  if (p_ec == std::errc()) {
    if (n < 1) return bad();
    period.remove_prefix(p_end - period.data());
  }
  int64_t unit_ns = period == "ms"  ? 1'000'000
                    : period == "s" ? 1'000'000'000
                    : period == "m" ? 60'000'000'000
                    : period == "h" ? 3'600'000'000'000
                                    : 0;
  if (unit_ns == 0 || n > 1'000'000) return bad();
  int64_t interval = n * unit_ns / count;
  if (interval < 1) return bad();
  return RateLimit{burst, interval};
}

std::string FormatRateLimit(const RateLimit& l) {
  constexpr int64_t kSecond = 1'000'000'000;
  // "N/UNIT" when UNIT / N is the interval as ParseRateLimit computes it.
  auto per = [&l](int64_t unit_ns, const char* name) -> std::string {
    int64_t count = unit_ns / l.interval_ns;
    if (count < 1 || unit_ns / count != l.interval_ns) return "";
    return std::to_string(count) + "/" + name;
  };
  if (l.interval_ns < kSecond) {
    if (auto r = per(kSecond, "s"); !r.empty()) return r;  // "200/s"
  }
  static constexpr std::pair<int64_t, const char*> kUnits[] = {
      {3'600'000'000'000, "h"}, {60'000'000'000, "m"}, {kSecond, "s"}, {1'000'000, "ms"}};
  for (const auto& [unit_ns, name] : kUnits) {
    if (l.interval_ns % unit_ns == 0) {  // "1/10s"
      int64_t n = l.interval_ns / unit_ns;
      return "1/" + (n == 1 ? std::string() : std::to_string(n)) + name;
    }
  }
  for (const auto& [unit_ns, name] : kUnits) {
    if (auto r = per(unit_ns, name); !r.empty()) return r;  // "7/m"
  }
  return "1/" + std::to_string(std::max<int64_t>(1, l.interval_ns / 1'000'000)) + "ms";  // nearest
}

std::string DescribeRateLimit(const RateLimit& l) {
  return "burst " + std::to_string(l.burst) + ", then 1 per " +
         std::to_string(l.interval_ns / 1'000'000) + " ms";
}

RateLimiter::RateLimiter(RateLimit limit, size_t capacity)
    : limit_(limit),
      seed_(std::random_device{}() * 0x9e3779b97f4a7c15ULL ^ std::random_device{}()) {
  size_t total = RoundUpPow2(capacity);
  shards_ = std::clamp<size_t>(total / 1024, 1, 64);
  per_shard_ = total / shards_;
  locks_ = std::make_unique<Shard[]>(shards_);
  void* p = mmap(nullptr, total * sizeof(Slot), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
                 -1, 0);
  if (p == MAP_FAILED) throw std::bad_alloc();  // start-up only
  slots_ = static_cast<Slot*>(p);
}

RateLimiter::~RateLimiter() { munmap(slots_, capacity() * sizeof(Slot)); }

int64_t RateLimiter::Acquire(uint64_t key, int64_t now_ns, int64_t cost) {
  const uint64_t h = Mix(key ^ seed_);
  if (key == 0) key = 0x9e3779b97f4a7c15ULL;  // 0 marks an empty slot
  const size_t shard = h & (shards_ - 1);
  const size_t start = (h >> 32) & (per_shard_ - 1);
  const size_t window = std::min(kWindow, per_shard_);
  Slot* base = slots_ + shard * per_shard_;
  const int64_t tolerance = (limit_.burst - 1) * limit_.interval_ns;

  MutexLock lock(locks_[shard].mu);
  Slot* found = nullptr;
  Slot* spare = nullptr;  // an empty or expired slot, else the live one nearest to expiry
  for (size_t i = 0; i < window; ++i) {
    Slot* s = base + ((start + i) & (per_shard_ - 1));
    if (s->key == key) {
      found = s;
      break;
    }
    bool free = s->key == 0 || s->tat <= now_ns;
    bool spare_free = spare != nullptr && (spare->key == 0 || spare->tat <= now_ns);
    if (spare == nullptr || (!spare_free && (free || s->tat < spare->tat))) spare = s;
  }
  int64_t tat = found != nullptr ? std::max(found->tat, now_ns) : now_ns;
  if (tat - now_ns > tolerance) return tat - now_ns - tolerance;
  if (found == nullptr) {
    if (spare->key != 0 && spare->tat > now_ns) evictions_.fetch_add(1, std::memory_order_relaxed);
    found = spare;
    found->key = key;
  }
  found->tat = tat + std::max<int64_t>(cost, 1) * limit_.interval_ns;
  return 0;
}

}  // namespace urna
