// Bluesky handles as configured, in their canonical form.
#pragma once

#include <string>
#include <string_view>

#include "core/result.h"

namespace muni {

// Accepts a handle ("stadt.example.de", "@stadt.bsky.social"), a DID
// ("did:plc:...", "did:web:..."), a profile URL "https://bsky.app/profile/X"
// (also without the scheme, or a post URL below it) or an AT-URI "at://X/...".
// Other web addresses are refused. Handles are lower-cased; DIDs are kept as
// written.
Result<std::string> canonical_bluesky_handle(std::string_view raw);

}  // namespace muni
