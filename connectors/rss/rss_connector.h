// RSS/Atom feeds of municipal news pages and blogs: one conditional GET per
// poll; history accumulates from the first poll on.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "core/result.h"
#include "engine/connector.h"

namespace muni {

// The feed's URL is the handle: http(s) only, scheme and host normalized,
// the fragment dropped; "https://" may be left out.
Result<std::string> canonical_feed_url(std::string_view raw);

PlatformDescriptor rss_platform();
std::unique_ptr<Connector> make_rss_connector();

}  // namespace muni
