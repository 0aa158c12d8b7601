// Mastodon handles as configured, in their canonical form.
#pragma once

#include <string>
#include <string_view>

#include "core/result.h"

namespace muni {

// Mastodon and Mastodon-API servers. Accepts "@user@host", "user@host",
// "https://host/@user", "https://host/users/user" and the web interface's
// "https://host/deck/@user", the URLs also without "https://". Canonical form:
// "user@host" (user lower-cased, host normalized to ASCII/Punycode) for https
// on the default port; otherwise the profile URL "http://host:port/@user"
// (kept so tests and self-hosted instances on other ports work).
Result<std::string> canonical_mastodon_handle(std::string_view raw);

}  // namespace muni
