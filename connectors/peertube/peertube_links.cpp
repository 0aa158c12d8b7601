#include "connectors/peertube/peertube_links.h"

namespace muni {

PlatformLinks peertube_links() {
  PlatformLinks links;
  return links;
}

}  // namespace muni
