#include "connectors/instagram/instagram_links.h"

namespace muni {

PlatformLinks instagram_links() {
  PlatformLinks links;
  return links;
}

}  // namespace muni
