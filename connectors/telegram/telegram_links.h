// How discovery and `import wikidata` recognise telegram accounts: the
// platform's PlatformLinks (src/core/platform.h), registered by
// connectors/builtin.cpp.
#pragma once

#include "core/platform.h"

namespace muni {

PlatformLinks telegram_links();

}  // namespace muni
