#include "connectors/youtube/youtube_links.h"

namespace muni {

PlatformLinks youtube_links() {
  PlatformLinks links;
  return links;
}

}  // namespace muni
