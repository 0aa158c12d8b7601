#include "connectors/wordpress/wordpress_links.h"

#include "core/strings.h"

namespace muni {

namespace {

bool digits(std::string_view s) {
  return !s.empty() && s.find_first_not_of("0123456789") == std::string_view::npos;
}

// Two ways to know a WordPress blog from a page:
//  - the site's own pages carry <link rel="https://api.w.org/"
//    href="https://site/wp-json/"> in their head (WordPress REST API
//    Handbook, "Discovery"): the site itself is a WordPress blog, its address
//    the href before /wp-json;
//  - a link to <name>.wordpress.com, a blog hosted by WordPress.com; its
//    /<yyyy>/<mm>/<dd>/<slug>/ paths are posts.
std::optional<LinkMatch> recognise(const LinkContext& l) {
  LinkMatch m;
  bool api = false;
  for (const std::string& rel : l.rels) api |= rel == "https://api.w.org/";
  if (api) {
    if (!l.same_site) return std::nullopt;
    auto parts = parse_url(l.url);
    if (!parts) return std::nullopt;
    std::string path = parts->path.substr(0, parts->path.find('?'));
    const size_t wp_json = path.find("/wp-json");
    path = wp_json == std::string::npos ? "/" : path.substr(0, wp_json + 1);
    m.handle = parts->origin() + path;
    m.evidence = "the site's own WordPress API (<link rel=\"https://api.w.org/\">)";
    return m;
  }
  if (l.head || l.feed || !ends_with(l.host, ".wordpress.com")) return std::nullopt;
  const std::string sub =
      l.host.substr(0, l.host.size() - std::string_view(".wordpress.com").size());
  if (sub.empty() || sub.find('.') != std::string::npos || sub == "public-api" ||
      sub == "developer" || sub == "en" || sub == "de" || sub == "s0" || sub == "s1" ||
      sub == "s2") {
    return std::nullopt;
  }
  if (!l.segments.empty() && (digits(l.segments[0]) || l.segments[0] == "p")) {
    m.kind = LinkKind::kPost;
    m.reason = "a blog post, not the blog (link to the blog instead)";
    return m;
  }
  m.handle = "https://" + l.host + "/";
  return m;
}

}  // namespace

PlatformLinks wordpress_links() {
  PlatformLinks l;
  l.recognise = recognise;
  l.hosts = {"wordpress.com"};
  l.patterns = {
      {"", LinkKind::kHome, "", {}},
      {"press-this.php/**", LinkKind::kShare, "", {}},
      {"**", LinkKind::kPage, "a WordPress.com page, not a blog", {}},
  };
  // "https://stadt-x.wordpress.com/" -> "stadt-x"; a site's own address
  // names nobody (its evidence stands alone).
  l.account_name = [](std::string_view handle) {
    auto parts = parse_url(handle);
    if (!parts || !ends_with(parts->host, ".wordpress.com")) return std::string();
    return parts->host.substr(0, parts->host.find('.'));
  };
  l.wikidata_note =
      "none: Wikidata has no property for a WordPress blog; official blog URL (P1581) does not "
      "say which software a blog runs, so it is not imported as WordPress";
  return l;
}

}  // namespace muni
