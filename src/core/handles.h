// Canonical account handles, per platform.
//
// A municipality's account can be written several ways in a config file
// ("@stadt@bawü.social", "stadt@xn--baw-joa.social", "https://bawü.social/@stadt").
// The canonical form is what muniscope stores, deduplicates on and shows; the
// connector for the platform derives its requests from it. Pure functions,
// shared by config validation and the connectors.
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

// Bluesky. Accepts a handle ("stadt.example.de", "@stadt.bsky.social"), a DID
// ("did:plc:...", "did:web:..."), a profile URL "https://bsky.app/profile/X"
// (also without the scheme, or a post URL below it) or an AT-URI "at://X/...".
// Other web addresses are refused. Handles are lower-cased; DIDs are kept as
// written.
Result<std::string> canonical_bluesky_handle(std::string_view raw);

// Dispatches on platform; platforms without specific rules get the trimmed
// text (an empty handle is an error).
Result<std::string> canonical_handle(std::string_view platform, std::string_view raw);

}  // namespace muni
