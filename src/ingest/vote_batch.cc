// IngestService::CastBatch: a trusted gateway's batch of votes (docs/api.md "Trusted gateway
// batches"), admitted under one ticket and appended as one durable group.
#include <openssl/evp.h>
#include <openssl/sha.h>

#include <cstdio>
#include <cstdlib>
#include <unordered_map>

#include "core/hex.h"
#include "core/uuid7.h"
#include "ingest/ingest_service.h"

namespace urna {

std::string IngestService::RefKey(std::string_view gateway_id, std::string_view election_id,
                                  std::string_view ref) {
  std::string key;
  key.reserve(gateway_id.size() + election_id.size() + ref.size() + 2);
  key.append(gateway_id).append(1, '\0').append(election_id).append(1, '\0').append(ref);
  return key;
}

namespace {
// A process that cannot fingerprint refs must not run on: a ref's fingerprint tells a retry from
// a reuse for another vote, and there is no vote to answer for without it.
[[noreturn]] void DigestFailed(const char* what) {
  std::fprintf(stderr, "urna: SHA-256 for gateway ref fingerprints failed: %s\n", what);
  std::abort();
}

// SHA-256 fetched once, at first use, and one digest context per thread: OpenSSL 3's one-shot
// SHA256() looks the implementation up and allocates a context on every call (once per vote).
const EVP_MD* Sha256Md() {
  static const EVP_MD* md = [] {
    EVP_MD* fetched = EVP_MD_fetch(nullptr, "SHA256", nullptr);
    if (fetched == nullptr) DigestFailed("EVP_MD_fetch(SHA256) found no implementation");
    return fetched;
  }();
  return md;
}
struct DigestCtx {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  DigestCtx() {
    if (ctx == nullptr) DigestFailed("EVP_MD_CTX_new returned null");
  }
  ~DigestCtx() { EVP_MD_CTX_free(ctx); }
};
}  // namespace

std::string IngestService::RefFingerprint(std::string_view voter_id, std::string_view option_id) {
  thread_local DigestCtx d;
  unsigned char md[SHA256_DIGEST_LENGTH];
  unsigned int len = 0;
  const char nul = '\0';
  // SHA-256(voter '\0' option)
  if (EVP_DigestInit_ex(d.ctx, Sha256Md(), nullptr) != 1) DigestFailed("EVP_DigestInit_ex");
  if (EVP_DigestUpdate(d.ctx, voter_id.data(), voter_id.size()) != 1 ||
      EVP_DigestUpdate(d.ctx, &nul, 1) != 1 ||
      EVP_DigestUpdate(d.ctx, option_id.data(), option_id.size()) != 1) {
    DigestFailed("EVP_DigestUpdate");
  }
  if (EVP_DigestFinal_ex(d.ctx, md, &len) != 1 || len != sizeof md) {
    DigestFailed("EVP_DigestFinal_ex");
  }
  return HexEncode(std::string_view(reinterpret_cast<const char*>(md), sizeof md));
}

Status IngestService::RefConflict(std::string_view ref) {
  return Status(Code::kConflict, "ref " + std::string(ref) + " was already used for another vote");
}

Result<std::vector<Result<std::string>>> IngestService::FindBatchRefs(
    std::string_view election_id, std::string_view gateway_id,
    const std::vector<BatchVote>& votes) {
  std::vector<Result<std::string>> out(votes.size(), std::string());
  if (refs_ == nullptr || votes.empty()) return out;
  std::vector<std::string> keys;
  keys.reserve(votes.size());
  for (const auto& v : votes) keys.push_back(RefKey(gateway_id, election_id, v.ref));
  auto found = refs_->Find(keys);
  if (!found.ok()) return found.status();
  for (size_t i = 0; i < votes.size(); ++i) {
    const GatewayRef& r = (*found)[i];
    if (r.vote_id.empty()) continue;
    if (!r.fingerprint.empty() &&
        r.fingerprint != RefFingerprint(votes[i].voter_id, votes[i].option_id)) {
      out[i] = RefConflict(votes[i].ref);
    } else {
      out[i] = r.vote_id;
    }
  }
  return out;
}

void IngestService::CastBatch(std::string_view election_id, std::string_view gateway_id,
                              std::vector<BatchVote> votes, BatchDone done) {
  auto admitted = admission_.Enter(election_id);  // held until the whole group is queued
  if (!admitted.ok()) return done(admitted.status());
  auto election = catalog_.Get(election_id);
  if (!election.ok()) return done(election.status());
  if (!(*election)->AcceptsVotes()) return done(CheckVoteAdmissible(**election, ""));
  const int64_t now = clock_.NowMs();

  std::vector<Result<std::string>> early(votes.size(), std::string());
  std::vector<size_t> slot(votes.size(), SIZE_MAX);
  std::vector<KeyedVote> group;
  group.reserve(votes.size());
  // ref (a view of refs[i]: never resized) -> its slot in group, whose fingerprint it compares
  std::unordered_map<std::string_view, size_t> by_ref;
  by_ref.reserve(votes.size());
  std::vector<std::string> refs(votes.size());  // for the conflict message
  for (size_t i = 0; i < votes.size(); ++i) {
    BatchVote& v = votes[i];
    if (auto s = CheckVoteAdmissible(**election, v.option_id); !s.ok()) {
      early[i] = s;
      continue;
    }
    refs[i] = std::move(v.ref);
    std::string fp = RefFingerprint(v.voter_id, v.option_id);
    auto [it, fresh] = by_ref.try_emplace(refs[i], group.size());
    if (!fresh) {  // the same ref earlier in this batch: the same vote, or a conflict
      if (group[it->second].fingerprint != fp) {
        early[i] = RefConflict(refs[i]);
      } else {
        slot[i] = it->second;
      }
      continue;
    }
    slot[i] = group.size();
    group.push_back({VoteEvent{NewUuid7(now), std::string(election_id), std::move(v.option_id),
                               std::move(v.voter_id), now, node_id_},
                     RefKey(gateway_id, election_id, refs[i]), std::move(fp)});
  }
  if (group.empty()) return done(std::move(early));
  log_.AppendGroup(std::move(group),
                   [early = std::move(early), slot = std::move(slot), refs = std::move(refs),
                    done = std::move(done)](std::vector<Result<std::string>> appended) mutable {
                     for (size_t i = 0; i < early.size(); ++i) {
                       if (slot[i] == SIZE_MAX) continue;
                       auto& r = appended[slot[i]];
                       // The log found the ref stored with another vote (a racing batch).
                       early[i] = !r.ok() && r.status().code() == Code::kConflict
                                      ? Result<std::string>(RefConflict(refs[i]))
                                      : r;
                     }
                     done(std::move(early));
                   });
  // `admitted` leaves here: every vote of the batch is queued on the log.
}

}  // namespace urna
