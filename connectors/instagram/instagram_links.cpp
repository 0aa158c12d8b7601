#include "connectors/instagram/instagram_links.h"

namespace muni {

// Instagram profiles are instagram.com/<username>; /p/, /reel/ and /tv/ are
// posts. User names: letters, digits, '.' and '_', at most 30 characters
// (the pattern Wikidata's P2003 allows: [0-9a-z_.]{1,30}).
PlatformLinks instagram_links() {
  PlatformLinks l;
  l.hosts = {"instagram.com", "instagr.am"};
  l.patterns = {
      {"", LinkKind::kHome, "", {}},
      {"p|reel|reels|tv/**", LinkKind::kPost, "", {}},
      {"explore|accounts|about|legal|direct|developer/**", LinkKind::kPage, "", {}},
      {"stories/{}/**", LinkKind::kAccount, "", {}},
      {"{}/**", LinkKind::kAccount, "", {}},
  };
  l.shape = HandleShape{std::string("._"), 1, 30, true};
  // https://www.wikidata.org/wiki/Property_talk:P2003: "this item's
  // username on Instagram", formatter https://www.instagram.com/$1/.
  l.wikidata_property = "P2003";
  l.wikidata_label = "Instagram username";
  l.wikidata_source = "https://www.wikidata.org/wiki/Property:P2003";
  return l;
}

}  // namespace muni
