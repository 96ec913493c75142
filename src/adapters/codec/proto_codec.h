// Conversions between core value types and their protobuf wire form (proto/urna/v1).
// Shared by every adapter that stores or ships events. Pure functions; any thread.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "core/election.h"
#include "core/status.h"
#include "core/vote.h"
#include "ports/ledger.h"

namespace urna::codec {

// A LogRecord holding the vote.
std::string EncodeVoteRecord(const VoteEvent& vote);
Result<VoteEvent> DecodeVoteRecord(std::string_view bytes);

// A LogRecord holding a seal marker.
std::string EncodeSealRecord(const SealMarker& seal);

// Any log record: exactly one of the two is set.
struct LogRecordValue {
  std::optional<VoteEvent> vote;
  std::optional<SealMarker> seal;
};
Result<LogRecordValue> DecodeLogRecord(std::string_view bytes);

std::string EncodeReceipt(const Receipt& r);
Result<Receipt> DecodeReceipt(std::string_view bytes);

std::string EncodeElection(const Election& e);
Result<Election> DecodeElection(std::string_view bytes);

}  // namespace urna::codec
