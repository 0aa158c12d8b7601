// How discovery and `import wikidata` recognise threads accounts: the
// platform's PlatformLinks (src/core/platform.h), registered by
// connectors/builtin.cpp.
#pragma once

#include "core/platform.h"

namespace muni {

PlatformLinks threads_links();

}  // namespace muni
