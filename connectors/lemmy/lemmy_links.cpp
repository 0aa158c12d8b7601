#include "connectors/lemmy/lemmy_links.h"

namespace muni {

PlatformLinks lemmy_links() {
  PlatformLinks links;
  return links;
}

}  // namespace muni
