#include "connectors/mediawiki/mediawiki_links.h"

namespace muni {

PlatformLinks mediawiki_links() {
  PlatformLinks links;
  return links;
}

}  // namespace muni
