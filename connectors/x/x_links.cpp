#include "connectors/x/x_links.h"

namespace muni {

PlatformLinks x_links() {
  PlatformLinks links;
  return links;
}

}  // namespace muni
