// The JSON of a vote's receipt (GET /v1/elections/{id}/votes/{vote_id}, docs/api.md), apart from
// the route so a unit test can check it. Pure function over its arguments; any thread (the
// catalog is thread-safe).
#pragma once

#include <boost/json/object.hpp>

#include "core/status.h"
#include "ports/catalog.h"
#include "ports/ledger.h"

namespace urna::app {

// `r` rendered as the API sends it. A duplicate names the limit the voter reached, the election's
// votes_per_voter read from `catalog`: "already_voted" with 1, "vote_limit_reached" with N or
// unlimited. When the catalog cannot say (Get fails) the answer is kUnavailable (503), never a
// guessed limit.
Result<boost::json::object> ReceiptJson(const Receipt& r, Catalog& catalog);

}  // namespace urna::app
