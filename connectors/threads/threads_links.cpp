#include "connectors/threads/threads_links.h"

namespace muni {

// Threads profiles are threads.net/@<name> (now also threads.com); the
// user name is the Instagram one (Wikidata's P2003 lists
// https://www.threads.net/@$1 as a second formatter). /@<name>/post/<id> is
// a post.
PlatformLinks threads_links() {
  PlatformLinks l;
  l.hosts = {"threads.net", "threads.com"};
  l.patterns = {
      {"", LinkKind::kHome, "", {}},
      {"intent/**", LinkKind::kShare, "", {}},
      {"@{}", LinkKind::kAccount, "", {}},
      {"@*/**", LinkKind::kPost, "a post, not the account", {}},
      {"**", LinkKind::kPage, "not a Threads profile", {}},
  };
  l.shape = HandleShape{std::string("._"), 1, 30, true};
  // https://www.wikidata.org/wiki/Property:P11892 "Threads username". Not
  // read from the property page itself here; two independent public
  // Wikidata clients name it so (inventaire's property list:
  // "// Threads username 'wdt:P11892'"; a Swedish party monitor's
  // P11892 -> "Threads").
  l.wikidata_property = "P11892";
  l.wikidata_label = "Threads username";
  l.wikidata_source = "https://www.wikidata.org/wiki/Property:P11892";
  return l;
}

}  // namespace muni
