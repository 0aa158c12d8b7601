#include "connectors/threads/threads_links.h"

namespace muni {

PlatformLinks threads_links() {
  PlatformLinks links;
  return links;
}

}  // namespace muni
