// YouTube channels as configured, in their canonical form.
#pragma once

#include <string>
#include <string_view>

#include "core/result.h"

namespace muni {

// Accepts a channel id ("UC" and 22 more characters of [A-Za-z0-9_-]), a
// handle ("@stadtmusterstadt"), a legacy user name ("user:StadtMuster"), and
// the URLs youtube.com/channel/UC..., youtube.com/@handle, youtube.com/user/
// Name (with or without scheme and "www."/"m."). Canonical: the channel id
// as written, "@handle" lower-cased (handles are case-insensitive), or
// "user:Name". youtube.com/c/Name custom URLs cannot be resolved through the
// API and are refused with a hint to use the channel id or handle.
Result<std::string> canonical_youtube_handle(std::string_view raw);

// True for a syntactically valid channel id.
bool is_youtube_channel_id(std::string_view id);

}  // namespace muni
