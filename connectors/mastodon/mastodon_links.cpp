#include "connectors/mastodon/mastodon_links.h"

namespace muni {

PlatformLinks mastodon_links() {
  PlatformLinks links;
  return links;
}

}  // namespace muni
