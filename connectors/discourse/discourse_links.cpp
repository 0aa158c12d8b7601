#include "connectors/discourse/discourse_links.h"

namespace muni {

PlatformLinks discourse_links() {
  PlatformLinks links;
  return links;
}

}  // namespace muni
