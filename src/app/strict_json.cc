#include "app/strict_json.h"

#include <boost/json/basic_parser_impl.hpp>
#include <boost/json/value_stack.hpp>

#include <algorithm>
#include <string>
#include <unordered_set>
#include <vector>

namespace urna::app {
namespace json = boost::json;

namespace {

// A basic_parser handler that builds the value with Boost.JSON's own value_stack (as
// boost::json::parser does) and also keeps the keys seen in each open object, stopping at the
// first repeated one. Written by hand only for that key check, which the library lacks.
struct DuplicateKeyHandler {
  static constexpr std::size_t max_object_size = json::object::max_size();
  static constexpr std::size_t max_array_size = json::array::max_size();
  static constexpr std::size_t max_key_size = json::string::max_size();
  static constexpr std::size_t max_string_size = json::string::max_size();

  json::value_stack st;
  std::vector<std::unordered_set<std::string>> open_objects;  // innermost last
  std::string key;             // the key being read (it may arrive in parts)
  bool has_duplicate = false;  // parsing stopped on a repeated key...
  std::string duplicate;       // ...this one

  bool on_document_begin(json::error_code&) { return true; }
  bool on_document_end(json::error_code&) { return true; }
  bool on_object_begin(json::error_code&) {
    open_objects.emplace_back();
    return true;
  }
  bool on_object_end(std::size_t n, json::error_code&) {
    open_objects.pop_back();
    st.push_object(n);
    return true;
  }
  bool on_array_begin(json::error_code&) { return true; }
  bool on_array_end(std::size_t n, json::error_code&) {
    st.push_array(n);
    return true;
  }
  bool on_key_part(json::string_view s, std::size_t, json::error_code&) {
    key.append(s.data(), s.size());
    st.push_chars(s);
    return true;
  }
  bool on_key(json::string_view s, std::size_t, json::error_code& ec) {
    key.append(s.data(), s.size());
    if (!open_objects.back().insert(key).second) {
      has_duplicate = true;
      duplicate = std::move(key);
      ec = std::make_error_code(std::errc::invalid_argument);
      return false;
    }
    key.clear();
    st.push_key(s);
    return true;
  }
  bool on_string_part(json::string_view s, std::size_t, json::error_code&) {
    st.push_chars(s);
    return true;
  }
  bool on_string(json::string_view s, std::size_t, json::error_code&) {
    st.push_string(s);
    return true;
  }
  bool on_number_part(json::string_view, json::error_code&) { return true; }
  bool on_int64(std::int64_t i, json::string_view, json::error_code&) {
    st.push_int64(i);
    return true;
  }
  bool on_uint64(std::uint64_t u, json::string_view, json::error_code&) {
    st.push_uint64(u);
    return true;
  }
  bool on_double(double d, json::string_view, json::error_code&) {
    st.push_double(d);
    return true;
  }
  bool on_bool(bool b, json::error_code&) {
    st.push_bool(b);
    return true;
  }
  bool on_null(json::error_code&) {
    st.push_null();
    return true;
  }
  bool on_comment_part(json::string_view, json::error_code&) { return true; }
  bool on_comment(json::string_view, json::error_code&) { return true; }
};

// At most 100 bytes of a key for an error message, cut on a UTF-8 character boundary.
std::string Shorten(const std::string& key) {
  if (key.size() <= 100) return key;
  size_t n = 100;
  while (n > 0 && (static_cast<unsigned char>(key[n]) & 0xC0) == 0x80) --n;
  return key.substr(0, n) + "...";
}

}  // namespace

Status RejectUnknownFields(const json::object& o, std::span<const std::string_view> allowed,
                           std::string_view where) {
  for (const auto& kv : o) {
    std::string_view key(kv.key().data(), kv.key().size());
    if (std::find(allowed.begin(), allowed.end(), key) == allowed.end()) {
      return Status(Code::kInvalidArgument,
                    std::string(where) + "unknown field \"" + Shorten(std::string(key)) + "\"");
    }
  }
  return Status::Ok();
}

Status RejectUnknownFields(const json::object& o, std::initializer_list<std::string_view> allowed,
                           std::string_view where) {
  return RejectUnknownFields(o, std::span<const std::string_view>(allowed.begin(), allowed.size()),
                             where);
}

Status RejectBody(std::string_view body) {
  if (body.find_first_not_of(" \t\r\n") == std::string_view::npos) return Status::Ok();
  auto v = ParseStrictJson(body);
  if (v.ok() && v->is_object()) {
    return RejectUnknownFields(v->as_object(), std::initializer_list<std::string_view>{});
  }
  return Status(Code::kInvalidArgument, "this call takes no body");
}

Result<json::value> ParseStrictJson(std::string_view text) {
  json::basic_parser<DuplicateKeyHandler> p(json::parse_options{});
  p.handler().st.reset();
  json::error_code ec;
  size_t n = p.write_some(false, text.data(), text.size(), ec);
  if (p.handler().has_duplicate) {
    return Status(Code::kInvalidArgument,
                  "duplicate key \"" + Shorten(p.handler().duplicate) + "\"");
  }
  if (!ec && n < text.size()) ec = json::error::extra_data;
  if (ec) return Status(Code::kInvalidArgument, "malformed JSON: " + ec.message());
  return p.handler().st.release();
}

}  // namespace urna::app
