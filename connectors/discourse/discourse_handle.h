// Discourse forums as configured, in their canonical form.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "core/result.h"

namespace muni {

// A Discourse account is a forum (site mode), or one category of it.
// Accepted: "forum.stadt.example", "https://forum.stadt.example/",
// "https://forum.stadt.example/latest" (and /categories, /top, /new, with or
// without ".json"), a forum in a subfolder ("https://stadt.example/forum/"),
// and a category address "https://forum.stadt.example/c/verkehr/12" (also
// "/c/parent/child/12", "/c/verkehr/12/l/latest", "/c/verkehr/12.json").
// A topic's address (/t/...) names no forum and is refused. Canonical form:
// scheme, the normalized host (lower case, Punycode, default port left
// out), the subfolder if any, and a trailing slash for the forum (as
// discovery proposes it: discourse_links.cpp); for a category
// "/c/<slug path>/<id>" without one: "https://forum.stadt.example/" and
// "https://forum.stadt.example/c/verkehr/12". Category routes:
// meta.discourse.org "Discourse URL structure"; /c/{slug}/{id}.json is the
// API's "List topics" of a category (discourse_api_docs openapi).
Result<std::string> canonical_discourse_handle(std::string_view raw);

namespace discourse {

struct Forum {
  std::string base;           // "https://forum.stadt.example" (with any subfolder)
  std::string category_path;  // "verkehr/12" ("" for the whole forum)
};
std::optional<Forum> forum_of(std::string_view canonical_handle);

}  // namespace discourse

}  // namespace muni
