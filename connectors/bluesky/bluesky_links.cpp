#include "connectors/bluesky/bluesky_links.h"

namespace muni {

PlatformLinks bluesky_links() {
  PlatformLinks links;
  return links;
}

}  // namespace muni
