#include "audit/pseudonym_buckets.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <cstring>
#include <random>
#include <set>
#include <string>
#include <vector>

namespace urna {
namespace {

ExportRow RandomRow(std::mt19937_64& rng, uint32_t i) {
  ExportRow r{};
  for (auto& b : r.pseudonym) b = static_cast<unsigned char>(rng());
  std::string id = std::to_string(i);
  std::memcpy(r.vote_id, id.data(), id.size());
  r.vote_id_size = static_cast<uint8_t>(id.size());
  r.option = i % 3;
  r.cast_at_ms = i;
  return r;
}

// Rows come out in pseudonym order, each exactly once, whether they stayed in memory or were
// spilled to temporary files (several times over).
TEST(PseudonymBucketsTest, SortsAcrossSpills) {
  for (size_t spill : {size_t{1'000'000}, size_t{777}, size_t{1}}) {
    std::mt19937_64 rng(42);
    PseudonymBuckets buckets(spill);
    const uint32_t n = 20'000;
    for (uint32_t i = 0; i < n; ++i) ASSERT_TRUE(buckets.Add(RandomRow(rng, i)).ok());
    std::set<int64_t> seen;
    ExportRow prev{};
    bool first = true;
    ASSERT_TRUE(buckets
                    .ForEachSorted([&](const ExportRow& r) {
                      if (!first) {
                        EXPECT_LT(std::memcmp(prev.pseudonym, r.pseudonym, sizeof r.pseudonym), 0)
                            << "spill " << spill;
                      }
                      EXPECT_EQ(r.option, static_cast<uint32_t>(r.cast_at_ms % 3));
                      seen.insert(r.cast_at_ms);
                      prev = r;
                      first = false;
                    })
                    .ok());
    EXPECT_EQ(seen.size(), n) << "spill " << spill;
  }
}

// Buckets larger than their first chunk of rows (PseudonymBuckets::kSmallChunkRows), spilled in the
// middle of a chunk or kept in memory: every row comes out once, in order, and a second walk (the
// HTTP export walks twice) hands out the same rows again, plus those added in between.
TEST(PseudonymBucketsTest, BucketsSpanSeveralChunks) {
  const uint32_t n = PseudonymBuckets::kBuckets * PseudonymBuckets::kSmallChunkRows * 3;
  for (size_t spill : {size_t{10'000'000}, size_t{50'001}}) {
    std::mt19937_64 rng(7);
    PseudonymBuckets buckets(spill);
    for (uint32_t i = 0; i < n; ++i) ASSERT_TRUE(buckets.Add(RandomRow(rng, i)).ok());
    for (uint32_t extra : {0u, 1000u}) {
      for (uint32_t i = 0; i < extra; ++i) ASSERT_TRUE(buckets.Add(RandomRow(rng, n + i)).ok());
      std::vector<bool> seen(n + extra);
      uint64_t rows = 0, out_of_order = 0, repeated = 0;
      ExportRow prev{};
      ASSERT_TRUE(buckets
                      .ForEachSorted([&](const ExportRow& r) {
                        if (rows++ > 0 &&
                            std::memcmp(prev.pseudonym, r.pseudonym, sizeof r.pseudonym) >= 0) {
                          ++out_of_order;
                        }
                        if (seen[r.cast_at_ms]) ++repeated;
                        seen[r.cast_at_ms] = true;
                        prev = r;
                      })
                      .ok());
      EXPECT_EQ(out_of_order, 0u) << "spill " << spill;
      EXPECT_EQ(repeated, 0u) << "spill " << spill;
      EXPECT_EQ(rows, n + extra) << "spill " << spill;
    }
  }
}

// A spill file with room for one small chunk and half a row more (a disk that fills while a
// spill writes), unbuffered so each fwrite reaches it.
constexpr size_t kRoomBytes =
    PseudonymBuckets::kSmallChunkRows * sizeof(ExportRow) + sizeof(ExportRow) / 2;
char room[kRoomBytes];
std::FILE* OpenAlmostFullSpill() {
  std::FILE* f = fmemopen(room, sizeof room, "w");
  if (f) std::setvbuf(f, nullptr, _IONBF, 0);
  return f;
}

// A spill whose write fails part way through a bucket (its first chunk written, its second not)
// reports the error, and the buckets are then destroyed cleanly: no chunk is freed twice.
TEST(PseudonymBucketsTest, SpillWriteFailingPartWayIsAnErrorNotADoubleFree) {
  const size_t rows = PseudonymBuckets::kSmallChunkRows + 10;  // bucket 0: a full chunk + 10
  Status last = Status::Ok();
  {
    PseudonymBuckets buckets(rows, &OpenAlmostFullSpill);
    std::mt19937_64 rng(3);
    for (uint32_t i = 0; i < rows; ++i) {
      ExportRow r = RandomRow(rng, i);
      r.pseudonym[0] = 0;  // all in the first bucket
      last = buckets.Add(r);
      if (i + 1 < rows) ASSERT_TRUE(last.ok()) << i;
    }
  }  // destroyed here: a chunk owned twice would be freed twice
  EXPECT_FALSE(last.ok());
  EXPECT_NE(last.message().find("cannot write a temporary file"), std::string::npos)
      << last.message();
}

}  // namespace
}  // namespace urna
