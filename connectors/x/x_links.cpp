#include "connectors/x/x_links.h"

namespace muni {

// X (Twitter) profiles are x.com/<name> or twitter.com/<name>; intent/tweet
// and share?url= are the share buttons X documents for websites ("Tweet
// button", developer.x.com); <name>/status/<id> is a post. User names:
// letters, digits and '_', at most 15 characters (X Help Center, "Help with
// username registration").
PlatformLinks x_links() {
  PlatformLinks l;
  l.hosts = {"twitter.com", "x.com"};
  l.patterns = {
      {"", LinkKind::kHome, "", {}},
      {"intent|share|widgets.js/**", LinkKind::kShare, "", {}},
      {"home|hashtag|search|i|explore|login|privacy|tos|settings|notifications|messages/**",
       LinkKind::kPage,
       "",
       {}},
      {"*/status|statuses/**", LinkKind::kPost, "", {}},
      {"@{}/**", LinkKind::kAccount, "", {}},
      {"{}/**", LinkKind::kAccount, "", {}},
  };
  l.shape = HandleShape{std::string("_"), 1, 15, true};
  // https://www.wikidata.org/wiki/Property:P2002 "X username" (formerly
  // "Twitter username"); mapped to X by public Wikidata clients as well.
  l.wikidata_property = "P2002";
  l.wikidata_label = "X username";
  l.wikidata_source = "https://www.wikidata.org/wiki/Property:P2002";
  return l;
}

}  // namespace muni
