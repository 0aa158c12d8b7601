#include "connectors/wordpress/wordpress_links.h"

namespace muni {

PlatformLinks wordpress_links() {
  PlatformLinks links;
  return links;
}

}  // namespace muni
