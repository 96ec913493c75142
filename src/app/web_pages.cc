#include "app/web_pages.h"

#include <openssl/sha.h>

#include <array>
#include <cctype>

#include "app/web_assets.h"
#include "core/hex.h"

namespace urna::app {
namespace {

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool IEquals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

// The q-value of RFC 9110 §12.4.2 ("0", "0.5", "1.000") in thousandths, -1 when malformed.
int ParseQ(std::string_view q) {
  if (q.empty() || q.size() > 5 || (q[0] != '0' && q[0] != '1')) return -1;
  int value = (q[0] - '0') * 1000;
  if (q.size() == 1) return value;
  if (q[1] != '.') return -1;
  int scale = 100;
  for (char c : q.substr(2)) {
    if (c < '0' || c > '9') return -1;
    value += (c - '0') * scale;
    scale /= 10;
  }
  return value > 1000 ? -1 : value;
}

// One code point of UTF-8 at s[i] (advancing i), or -1 for an invalid sequence (overlong forms,
// surrogates and values past U+10FFFF included).
int32_t NextCodePoint(std::string_view s, size_t& i) {
  auto b = static_cast<unsigned char>(s[i++]);
  if (b < 0x80) return b;
  int extra = b >= 0xF0 ? 3 : b >= 0xE0 ? 2 : b >= 0xC0 ? 1 : -1;
  if (extra < 0 || b > 0xF4) return -1;
  int32_t cp = b & (0x3F >> extra);
  for (int k = 0; k < extra; ++k) {
    if (i >= s.size()) return -1;
    auto c = static_cast<unsigned char>(s[i++]);
    if ((c & 0xC0) != 0x80) return -1;
    cp = (cp << 6) | (c & 0x3F);
  }
  static constexpr int32_t kMin[] = {0, 0x80, 0x800, 0x10000};
  if (cp < kMin[extra] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return -1;
  return cp;
}

// Latin-1's letters U+00C0..U+00FF folded to ASCII ("" for × and ÷), which covers Portuguese,
// Spanish, French and German names. Written by hand: the slug only makes the id readable (the
// hash suffix makes it unique), which does not warrant ICU or libunistring as a dependency.
constexpr std::array<const char*, 64> kLatin1Fold = {
    "a", "a", "a", "a", "a", "a", "ae", "c", "e", "e", "e", "e", "i", "i", "i",  "i",
    "d", "n", "o", "o", "o", "o", "o",  "",  "o", "u", "u", "u", "u", "y", "th", "ss",
    "a", "a", "a", "a", "a", "a", "ae", "c", "e", "e", "e", "e", "i", "i", "i",  "i",
    "d", "n", "o", "o", "o", "o", "o",  "",  "o", "u", "u", "u", "u", "y", "th", "y"};

}  // namespace

std::string_view PageLanguage(std::string_view accept_language) {
  std::string_view best = kPageLanguages[0];
  int best_q = 0;
  while (!accept_language.empty()) {
    size_t comma = accept_language.find(',');
    std::string_view item = accept_language.substr(0, comma);
    accept_language =
        comma == std::string_view::npos ? std::string_view() : accept_language.substr(comma + 1);
    size_t semi = item.find(';');
    std::string_view range = Trim(item.substr(0, semi));
    int q = 1000;
    while (semi != std::string_view::npos) {
      item.remove_prefix(semi + 1);
      semi = item.find(';');
      std::string_view param = Trim(item.substr(0, semi));
      if (param.size() >= 2 && (param[0] == 'q' || param[0] == 'Q') && param[1] == '=') {
        q = ParseQ(param.substr(2));
      }
    }
    std::string_view primary = range.substr(0, range.find('-'));
    std::string_view language;
    if (IEquals(primary, "pt")) {
      language = "pt-BR";
    } else if (IEquals(primary, "en") || range == "*") {
      language = "en";
    }
    if (!language.empty() && q > best_q) {
      best = language;
      best_q = q;
    }
  }
  return best;
}

net::HttpResponse PageResponse(std::string_view file, std::string_view accept_language,
                               unsigned status) {
  auto r = WebAssetResponse(file);
  if (r.status != 200) return r;
  r.status = status;
  std::string_view language = PageLanguage(accept_language);
  // Every page of web/ starts `<html lang="en">`: the served copy names the chosen language.
  static constexpr std::string_view kTag = "<html lang=\"en\"";
  if (size_t at = r.body.find(kTag); at != std::string::npos) {
    r.body.replace(at, kTag.size(), "<html lang=\"" + std::string(language) + "\"");
  }
  r.headers.emplace_back("Content-Language", std::string(language));
  r.headers.emplace_back("Vary", "Accept-Language");
  return r;
}

net::HttpResponse ElectionPageResponse(Catalog& catalog, std::string_view id, std::string_view file,
                                       std::string_view accept_language) {
  bool known = catalog.Get(id).ok();
  return PageResponse(known ? file : "notfound.html", accept_language, known ? 200 : 404);
}

Result<std::string> DemoVoterId(std::string_view name) {
  name = Trim(name);
  if (name.empty() || name.size() > 100) {
    return Status(Code::kInvalidArgument, "name must be 1-100 bytes (UTF-8) besides spaces");
  }
  std::string slug;
  bool dash = false;  // a '-' is owed before the next letter or digit
  for (size_t i = 0; i < name.size();) {
    int32_t cp = NextCodePoint(name, i);
    if (cp < 0) return Status(Code::kInvalidArgument, "name must be UTF-8 text");
    if (cp < 0x20 || (cp >= 0x7F && cp < 0xA0)) {
      return Status(Code::kInvalidArgument, "name must not contain control characters");
    }
    std::string_view piece;
    char ascii;
    if (cp < 0x80 && std::isalnum(cp)) {
      ascii = static_cast<char>(std::tolower(cp));
      piece = std::string_view(&ascii, 1);
    } else if (cp >= 0xC0 && cp <= 0xFF) {
      piece = kLatin1Fold[cp - 0xC0];
    }
    if (piece.empty()) {
      dash = !slug.empty();
      continue;
    }
    if (slug.size() + piece.size() + (dash ? 1 : 0) > 40) continue;
    if (dash) slug += '-';
    dash = false;
    slug += piece;
  }
  if (slug.empty()) slug = "voter";
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(name.data()), name.size(), digest);
  return slug + "-" + HexEncode(std::span<const unsigned char>(digest, 4));
}

}  // namespace urna::app
