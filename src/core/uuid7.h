// UUIDv7 (RFC 9562) vote ids: 48-bit Unix ms, then a 12-bit counter that keeps ids from one
// thread strictly increasing within a millisecond, then 62 random bits.
// Thread-safe: each thread has its own generator state.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace urna {

// A new id as 36 lowercase hex chars with dashes.
std::string NewUuid7(int64_t now_ms);

// True when `s` is a well-formed UUID string of version 7.
bool IsUuid7(std::string_view s);

// The Unix ms timestamp carried by a UUIDv7 (0 if malformed).
int64_t Uuid7Millis(std::string_view s);

}  // namespace urna
