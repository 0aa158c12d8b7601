// How discovery and `import wikidata` recognise x accounts: the
// platform's PlatformLinks (src/core/platform.h), registered by
// connectors/builtin.cpp.
#pragma once

#include "core/platform.h"

namespace muni {

PlatformLinks x_links();

}  // namespace muni
