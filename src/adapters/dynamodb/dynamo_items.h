// Internal to the processor state's adapters (dynamo_processor_state.cc, dynamo_ledger.cc,
// dynamo_checkpoint_read_model.cc); include from .cc files only (it pulls in Boost.JSON).
// DynamoDB items of the ledger, receipts and checkpoints tables, in the wire format
// ({"S": "..."}, {"N": "..."}, {"M": {...}}), built from and read into urna's values.
// Schemas: README.md ("Ledger, receipts, checkpoints"). Pure functions; any thread.
#pragma once

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "core/status.h"
#include "core/tally.h"
#include "ports/ledger.h"
#include "ports/processor_state.h"

namespace urna::dynamodb::items {

namespace json = boost::json;

json::object S(std::string_view v);
json::object N(int64_t v);
json::object N(uint64_t v);
// An attribute of an item (nullopt when absent or of another type).
std::optional<std::string> GetS(const json::object& item, std::string_view name);
std::optional<int64_t> GetN(const json::object& item, std::string_view name);

// A response body as a JSON object (kInternal naming `what` otherwise).
Result<json::object> ParseObject(std::string_view body, std::string_view what);
// A GetItem response's "Item" (nullopt when there is none).
Result<std::optional<json::object>> ItemOf(std::string_view get_item_response);

// A counted vote's ledger item (its receipt): key (pk, voter = LedgerSortKey(voter, ordinal)),
// the vote, and its place in the log (partition, offset) so a replay can tell its own rows from
// prior votes.
json::object LedgerItem(const ProcessedVote& vote, uint32_t shards);
// A duplicate or rejected vote's receipt item, keyed by vote_id; also written for a voter's
// later counted vote (ordinal > 1, attribute `n`), whose ledger row is not under the voter alone.
json::object ReceiptItem(const ProcessedVote& vote);
Result<Receipt> ReceiptFromLedgerItem(const json::object& item);
Result<Receipt> ReceiptFromReceiptItem(const json::object& item);
// The log position a ledger item records.
struct LogPosition {
  uint32_t partition = 0;
  uint64_t offset = 0;
};
std::optional<LogPosition> PositionOf(const json::object& ledger_item);

// One election's state in one partition, as a batch left it: its absolute counts (when the batch
// changed them, with `changed` = that batch's next offset, the read model's seq) and its seal
// (when the batch passed it). A field a batch did not change is left out (nullopt).
struct ElectionCell {
  std::optional<OptionCounts> counts;
  uint64_t changed = 0;
  std::optional<int64_t> sealed;  // closed_at_ms
  bool operator==(const ElectionCell&) const = default;
};

// A partition's checkpoint: its next offset and the batch that moved it there ([from_offset,
// next_offset)) with the cells of the elections that batch changed (its redo record: the tally
// items are brought up to it after the checkpoint is stored). Its size follows one batch, never
// the number of elections the partition has counted.
struct Checkpoint {
  uint64_t next_offset = 0;
  uint64_t from_offset = 0;
  // When the batch was committed (the processor's wall clock, Unix ms; attribute `at`): the time
  // its counts changed, which its tally items keep as `changed_at` (the results' updated_at).
  // 0: a checkpoint written before this was stored.
  int64_t at_ms = 0;
  std::map<std::string, ElectionCell, std::less<>> batch;
  bool operator==(const Checkpoint&) const = default;
};
json::object CheckpointItem(std::string_view topic, uint32_t partition, const Checkpoint& c);
Result<Checkpoint> CheckpointFromItem(const json::object& item);
// The key attributes of a partition's checkpoint item.
json::object CheckpointKey(std::string_view topic, uint32_t partition);

// A tally item of the tallies table (key: TallyHashKey(topic, partition), election): the cell as
// of `offset`, the next offset of the checkpoint whose batch last wrote it.
struct TallyItem {
  std::string election;
  ElectionCell cell;  // counts/sealed absent when never set
  uint64_t offset = 0;
  // The at_ms of the checkpoint that last set the counts; 0: unknown (none stored, or stored
  // for another `changed` than the item's: an older writer changed the counts since).
  int64_t changed_at_ms = 0;
};
// The UpdateItem that brings (partition, election)'s tally item to `cell` as of checkpoint offset
// `offset`: sets only the fields the cell has, on the condition that the item is absent or
// older (`offset < :n`; a failed condition means the item already holds this or a later state).
// With counts, `at_ms` (the checkpoint's, when not 0) is set as the item's `changed_at`, and
// `changed_at_for` = the cell's `changed` (which counts that time is for).
json::object TallyUpdate(const std::string& table, std::string_view topic, uint32_t partition,
                         std::string_view election, const ElectionCell& cell, uint64_t offset,
                         int64_t at_ms = 0);
Result<TallyItem> TallyFromItem(const json::object& item);

}  // namespace urna::dynamodb::items
