// WordPress sites as configured, in their canonical form.
#pragma once

#include <string>
#include <string_view>

#include "core/result.h"

namespace muni {

// A WordPress account is its site: the address where the site lives
// (WordPress's "home"), http or https. Accepts "www.stadt.example",
// "https://www.stadt.example/", "https://stadt.example/blog/" and addresses
// pasted from the REST API or a post ("https://stadt.example/wp-json/wp/v2/
// posts", "https://stadt.example/?p=12"): the query, the fragment and
// everything from "/wp-json" or "/feed" on are dropped. Canonical form:
// scheme, the normalized host (lower case, Punycode, default port left
// out) and the path without any trailing slash: "https://www.stadt.example"
// and "https://stadt.example/blog". The scheme is kept as written ("https"
// when none is), because a site may answer on one of them only.
Result<std::string> canonical_wordpress_site(std::string_view raw);

}  // namespace muni
