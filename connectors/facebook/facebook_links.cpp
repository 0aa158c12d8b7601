#include "connectors/facebook/facebook_links.h"

namespace muni {

// Facebook page and profile addresses as pages link them. Sources: the
// shapes Facebook's own share plugin and page URLs take
// (facebook.com/sharer/sharer.php?u=..., facebook.com/<name>,
// facebook.com/profile.php?id=<number>, facebook.com/pages/<Name>/<number>);
// l.facebook.com/l.php?u=... is Facebook's outbound-link redirect. User names
// are letters, digits and dots, at least 5 characters (Facebook Help Centre,
// "What are the guidelines around creating a custom username?").
PlatformLinks facebook_links() {
  PlatformLinks l;
  l.hosts = {"facebook.com", "fb.com", "fb.me", "l.facebook.com", "lm.facebook.com"};
  const HandleShape numeric{std::string(""), 5, 20, false};
  l.patterns = {
      {"l.facebook.com:**", LinkKind::kRedirect, "", {}},
      {"lm.facebook.com:**", LinkKind::kRedirect, "", {}},
      {"", LinkKind::kHome, "", {}},
      {"sharer.php|sharer|share.php|share|dialog|plugins/**", LinkKind::kShare, "", {}},
      {"profile.php?id={}", LinkKind::kAccount, "", numeric},
      {"profile.php/**", LinkKind::kPage, "profile.php without a numeric id", {}},
      {"pages/*/{}/**", LinkKind::kAccount, "", numeric},  // /pages/Name/123456
      {"*/posts|videos|photos/*/**", LinkKind::kPost, "", {}},
      {"watch|reel|photo.php|photo|permalink.php|story.php/**", LinkKind::kPost, "", {}},
      {"home.php|login|login.php|policy.php|policies|privacy|help|events|hashtag|tr|groups|"
       "gaming|marketplace|legal|about|pages|public|people|search|settings/**",
       LinkKind::kPage,
       "",
       {}},
      {"{}/**", LinkKind::kAccount, "", {}},
  };
  l.shape = HandleShape{std::string(".-"), 5, 50, true};

  // https://www.wikidata.org/wiki/Property:P2013 "Facebook username"
  // (corroborated by the Property_talk:P2003 "See also" and several
  // public Wikidata clients mapping P2013 to Facebook).
  l.wikidata_property = "P2013";
  l.wikidata_label = "Facebook username";
  l.wikidata_source = "https://www.wikidata.org/wiki/Property:P2013";
  return l;
}

}  // namespace muni
