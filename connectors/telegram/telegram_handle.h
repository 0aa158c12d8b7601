// Telegram public channels: the canonical handle.
#pragma once

#include <string>
#include <string_view>

#include "core/result.h"

namespace muni {

// A public channel's username as muniscope stores it: "@" and the name in
// lower case (Telegram usernames are case-insensitive), as discovery
// proposes it. Accepts "@name",
// "name", and t.me / telegram.me addresses ("https://t.me/name",
// "t.me/s/name", "https://t.me/name/123"). Usernames are 5-32 characters of
// a-z, 0-9 and '_' (telegram.org/faq, "What can I use as my username?").
// Invite links (t.me/+..., t.me/joinchat/...) name private channels, which
// have no public preview: refused with a message that says so.
Result<std::string> canonical_telegram_handle(std::string_view raw);

// The bare channel name of a handle ("stadt_x", also "@stadt_x").
std::string telegram_channel_name(std::string_view handle);

}  // namespace muni
