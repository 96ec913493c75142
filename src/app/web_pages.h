// The server side of the web pages (web/, embedded by cmake/embed_web.cmake): the language a page
// is served in, page and asset responses, and the demo sign-in's voter ids. Pure functions, any
// thread; used by Api's page routes (web_routes.cc) and by any role that serves the pages. A file
// as it is: WebAssetResponse (app/web_assets.h).
#pragma once

#include <string>
#include <string_view>

#include "core/status.h"
#include "net/http_types.h"
#include "ports/catalog.h"

namespace urna::app {

// The languages the pages speak (web/lang-<tag>.js), the first being the default.
inline constexpr std::string_view kPageLanguages[] = {"en", "pt-BR"};

// The language of `accept_language` (an Accept-Language header, RFC 9110 §12.5.4) that the pages
// have, by the header's q-values (ties in header order): any `pt` range picks pt-BR, any `en`
// range en, `*` the default. "en" when nothing matches or the header is empty or malformed.
std::string_view PageLanguage(std::string_view accept_language);

// An HTML page of web/ (`file`, e.g. "vote.html") with its <html lang> set to the request's
// language; `Vary: Accept-Language`. The page's script may still switch language on the spot.
net::HttpResponse PageResponse(std::string_view file, std::string_view accept_language,
                               unsigned status = 200);

// The page `file` of election `id` (vote.html, present.html), or the not-found page with 404
// when `catalog` has no such election. Reads the catalog's memory only (Catalog::Get).
net::HttpResponse ElectionPageResponse(Catalog& catalog, std::string_view id, std::string_view file,
                                       std::string_view accept_language);

// The voter id of a demo sign-in by name (any script: spaces, accents, non-Latin letters): an
// ASCII slug of the name (Latin letters folded to a-z, anything else a '-', at most 40 characters,
// "voter" when nothing is left) + '-' + the first 8 hex digits of SHA-256 of the trimmed name, so
// "José da Silva" is "jose-da-silva-<8 hex>" and "Jose da Silva" another voter. The name must be
// 1-100 bytes of UTF-8 after trimming spaces, without control characters; kInvalidArgument else.
Result<std::string> DemoVoterId(std::string_view name);

}  // namespace urna::app
