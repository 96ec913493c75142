#include "app/etag_match.h"

namespace urna::app {
namespace {

bool IsSpace(char c) { return c == ' ' || c == '\t'; }

// The opaque tag of `tag` (quotes included), without a weak prefix; empty if it is no tag.
std::string_view Opaque(std::string_view tag) {
  if (tag.starts_with("W/")) tag.remove_prefix(2);
  if (tag.size() < 2 || tag.front() != '"' || tag.back() != '"') return {};
  return tag;
}

}  // namespace

bool IfNoneMatchHits(std::string_view header, std::string_view etag) {
  std::string_view want = Opaque(etag);
  if (want.empty()) return false;
  size_t i = 0;
  auto skip = [&] {
    while (i < header.size() && (IsSpace(header[i]) || header[i] == ',')) ++i;
  };
  skip();
  if (header.substr(i) == "*" || (header.substr(i).starts_with('*') &&
                                  header.find_first_not_of(" \t", i + 1) == header.npos)) {
    return true;
  }
  while (i < header.size()) {
    size_t start = i;
    if (header.substr(i).starts_with("W/")) i += 2;
    if (i >= header.size() || header[i] != '"') return false;  // malformed: stop here
    size_t close = header.find('"', i + 1);                    // a tag holds no '"'
    if (close == std::string_view::npos) return false;
    if (Opaque(header.substr(start, close + 1 - start)) == want) return true;
    i = close + 1;
    while (i < header.size() && IsSpace(header[i])) ++i;
    if (i < header.size() && header[i] != ',') return false;
    skip();
  }
  return false;
}

}  // namespace urna::app
