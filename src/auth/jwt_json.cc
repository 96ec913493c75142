#include "auth/jwt_json.h"

#include <boost/json/basic_parser_impl.hpp>

#include <cmath>
#include <cstring>

namespace urna::jwt {
namespace {

namespace json = boost::json;

// The SAX handler: tracks the nesting depth and, at the top level, which of the asked-for
// members the current value belongs to. Depth 1 = inside the top-level object.
class Handler {
 public:
  static constexpr std::size_t max_object_size = 1024;
  static constexpr std::size_t max_array_size = 1024;
  static constexpr std::size_t max_key_size = 4096;
  static constexpr std::size_t max_string_size = 4096;

  Handler(std::span<const std::string_view> names, std::span<JsonField> fields,
          std::string_view wanted)
      : names_(names), fields_(fields), wanted_(wanted) {}

  bool duplicate() const { return duplicate_; }

  bool on_document_begin(json::error_code&) { return true; }
  bool on_document_end(json::error_code&) { return true; }

  bool on_object_begin(json::error_code& ec) {
    if (depth_ == 0) {
      depth_ = 1;
      return true;
    }
    if (depth_ == 1) SetKind(JsonKind::kOther);
    ++depth_;
    return true;
  }
  bool on_object_end(std::size_t, json::error_code&) {
    --depth_;
    return true;
  }
  bool on_array_begin(json::error_code& ec) {
    if (depth_ == 0) return NotAnObject(ec);
    if (depth_ == 1) {
      SetKind(JsonKind::kArray);
      in_field_array_ = current_ >= 0;
    }
    ++depth_;
    return true;
  }
  bool on_array_end(std::size_t, json::error_code&) {
    if (--depth_ == 1) in_field_array_ = false;
    return true;
  }

  bool on_key_part(json::string_view s, std::size_t, json::error_code&) {
    if (depth_ == 1) AppendKey(s);
    return true;
  }
  bool on_key(json::string_view s, std::size_t, json::error_code& ec) {
    if (depth_ != 1) return true;
    AppendKey(s);
    current_ = -1;
    if (key_len_ <= sizeof(key_)) {
      std::string_view key(key_, key_len_);
      for (size_t i = 0; i < names_.size(); ++i) {
        if (names_[i] == key) current_ = static_cast<int>(i);
      }
    }
    key_len_ = 0;
    if (current_ >= 0 && fields_[current_].kind != JsonKind::kAbsent) {
      duplicate_ = true;
      ec = json::error::extra_data;  // stops the parse; the caller reads duplicate()
      return false;
    }
    return true;
  }

  bool on_string_part(json::string_view s, std::size_t, json::error_code&) {
    if (Wanted()) text_.append(s.data(), s.size());
    return true;
  }
  bool on_string(json::string_view s, std::size_t, json::error_code& ec) {
    if (depth_ == 0) return NotAnObject(ec);
    if (!Wanted()) return true;
    text_.append(s.data(), s.size());
    if (depth_ == 1) {
      SetKind(JsonKind::kString);
      fields_[current_].text = std::move(text_);
    } else if (!wanted_.empty() && text_ == wanted_) {
      fields_[current_].has_wanted = true;
    }
    text_.clear();
    return true;
  }

  bool on_number_part(json::string_view, json::error_code&) { return true; }
  bool on_int64(int64_t v, json::string_view, json::error_code& ec) {
    return Number(static_cast<double>(v), ec);
  }
  bool on_uint64(uint64_t v, json::string_view, json::error_code& ec) {
    return Number(static_cast<double>(v), ec);
  }
  bool on_double(double v, json::string_view, json::error_code& ec) { return Number(v, ec); }
  bool on_bool(bool, json::error_code& ec) { return Scalar(ec); }
  bool on_null(json::error_code& ec) { return Scalar(ec); }
  bool on_comment_part(json::string_view, json::error_code&) { return true; }
  bool on_comment(json::string_view, json::error_code&) { return true; }

 private:
  // A string is kept when it is an asked-for member's value, or an element directly inside
  // an asked-for member's array (for `wanted`).
  bool Wanted() const { return current_ >= 0 && (depth_ == 1 || (depth_ == 2 && in_field_array_)); }
  void SetKind(JsonKind k) {
    if (current_ >= 0) fields_[current_].kind = k;
  }
  void AppendKey(json::string_view s) {
    if (key_len_ + s.size() <= sizeof(key_)) std::memcpy(key_ + key_len_, s.data(), s.size());
    key_len_ += s.size();  // longer than any asked-for name: matches none
  }
  bool Number(double v, json::error_code& ec) {
    if (depth_ == 0) return NotAnObject(ec);
    if (depth_ == 1 && current_ >= 0) {
      // Boost.JSON reads an exponent past double's range as infinity: not a usable number.
      SetKind(std::isfinite(v) ? JsonKind::kNumber : JsonKind::kOther);
      fields_[current_].number = v;
    }
    return true;
  }
  bool Scalar(json::error_code& ec) {
    if (depth_ == 0) return NotAnObject(ec);
    if (depth_ == 1) SetKind(JsonKind::kOther);
    return true;
  }
  static bool NotAnObject(json::error_code& ec) {
    ec = json::error::syntax;
    return false;
  }

  std::span<const std::string_view> names_;
  std::span<JsonField> fields_;
  std::string_view wanted_;
  int depth_ = 0;
  int current_ = -1;  // index in names_ of the top-level member being read, or -1
  bool in_field_array_ = false;
  bool duplicate_ = false;
  char key_[8];
  size_t key_len_ = 0;
  std::string text_;
};

}  // namespace

JsonRead ReadTopLevelFields(std::string_view text, std::span<const std::string_view> names,
                            std::span<JsonField> fields, std::string_view wanted) {
  for (auto& f : fields) f = JsonField{};
  json::parse_options opt;  // strict RFC 8259: no comments, no trailing commas, valid UTF-8
  json::basic_parser<Handler> parser(opt, names, fields, wanted);
  json::error_code ec;
  std::size_t n = parser.write_some(false, text.data(), text.size(), ec);
  if (parser.handler().duplicate()) return JsonRead::kDuplicate;
  if (ec || n != text.size() || !parser.done()) return JsonRead::kMalformed;
  return JsonRead::kOk;
}

}  // namespace urna::jwt
