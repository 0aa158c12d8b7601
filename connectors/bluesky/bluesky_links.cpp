#include "connectors/bluesky/bluesky_links.h"

namespace muni {

// Bluesky profiles are bsky.app/profile/<handle or DID>; posts are
// /profile/<handle>/post/<rkey>; bsky.app/intent/compose is the share
// button Bluesky documents ("Action Intent Links", docs.bsky.app).
PlatformLinks bluesky_links() {
  PlatformLinks l;
  l.hosts = {"bsky.app"};
  l.patterns = {
      {"", LinkKind::kHome, "", {}},
      {"intent/**", LinkKind::kShare, "", {}},
      {"profile/*/post/*/**", LinkKind::kPost, "", {}},
      {"profile/{}/**", LinkKind::kAccount, "", {}},
      {"**", LinkKind::kPage, "a Bluesky page that is not a profile", {}},
  };
  l.shape = HandleShape{std::nullopt, 1, 256, false};  // the canonicalizer judges
  // "stadt-x.bsky.social" -> "stadt-x"; domain handles keep their first label.
  l.account_name = [](std::string_view handle) {
    return std::string(handle.substr(0, handle.find('.')));
  };
  // https://www.wikidata.org/wiki/Property:P12361 "Bluesky handle" (so
  // named in public Wikidata clients, e.g. an rdflib property list:
  // Bluesky_handle = P12361 # https://www.wikidata.org/wiki/Property:P12361).
  l.wikidata_property = "P12361";
  l.wikidata_label = "Bluesky handle";
  l.wikidata_source = "https://www.wikidata.org/wiki/Property:P12361";
  return l;
}

}  // namespace muni
