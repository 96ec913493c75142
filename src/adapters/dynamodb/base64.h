// Base64 (RFC 4648, with padding): DynamoDB's JSON protocol carries binary attributes ("B") in
// it. OpenSSL's EVP_EncodeBlock/EVP_DecodeBlock do the work; these wrap them for strings and
// undo EVP_DecodeBlock's zero bytes for padding. Pure functions: any thread.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace urna::dynamodb {

std::string Base64Encode(std::string_view bytes);
// nullopt unless `text` is base64 (length a multiple of 4, padding only at the end).
std::optional<std::string> Base64Decode(std::string_view text);

}  // namespace urna::dynamodb
