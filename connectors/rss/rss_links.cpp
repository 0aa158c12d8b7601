#include "connectors/rss/rss_links.h"

namespace muni {

// A feed is found by its page's <link rel="alternate"
// type="application/rss+xml|atom+xml" href="..."> (RSS Advisory Board,
// "RSS Autodiscovery"); only the municipality's own site's feeds count: a
// feed of another site says nothing about this one.
PlatformLinks rss_links() {
  PlatformLinks l;
  l.recognise = [](const LinkContext& link) -> std::optional<LinkMatch> {
    if (!link.feed || !link.same_site) return std::nullopt;
    LinkMatch m;
    m.handle = link.url;
    m.evidence = "the site's own feed (<link rel=\"alternate\">)";
    return m;
  };
  l.account_name = [](std::string_view) { return std::string(); };  // a URL names nobody
  l.wikidata_note =
      "none: Wikidata has no property for a web feed of an item; official website (P856) is "
      "imported as the municipality's website, and its feed is found by discovery";
  return l;
}

}  // namespace muni
