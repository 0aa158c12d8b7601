// MediaWiki: a city wiki (site mode) or a municipality's user account on a
// wiki (user mode), through the Action API (api.php).
#pragma once

#include <memory>

#include "engine/connector.h"

namespace muni {

// The platform's descriptor: category wiki, handles, work (core/platform.h).
PlatformDescriptor mediawiki_platform();
std::unique_ptr<Connector> make_mediawiki_connector();

}  // namespace muni
