#include "connectors/rss/rss_links.h"

namespace muni {

PlatformLinks rss_links() {
  PlatformLinks links;
  return links;
}

}  // namespace muni
