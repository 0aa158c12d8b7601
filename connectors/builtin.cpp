#include "connectors/builtin.h"

#include "connectors/bluesky/bluesky_connector.h"
#include "connectors/mastodon/mastodon_connector.h"

namespace muni {

ConnectorRegistry builtin_connectors() {
  ConnectorRegistry registry;
  registry.add(make_mastodon_connector());
  registry.add(make_bluesky_connector());
  return registry;
}

}  // namespace muni
