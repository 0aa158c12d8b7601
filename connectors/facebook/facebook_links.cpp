#include "connectors/facebook/facebook_links.h"

namespace muni {

PlatformLinks facebook_links() {
  PlatformLinks links;
  return links;
}

}  // namespace muni
