#include "connectors/mediawiki/mediawiki_links.h"

#include "core/strings.h"

namespace muni {

namespace {

// A municipality's wiki (a Stadtwiki, a Bürgerwiki) runs on its own host:
// a link counts when the host or the link's text says "wiki" and the path
// is MediaWiki's (/wiki/<Title>, /w/..., /index.php?title=). A page of the
// site itself that is a MediaWiki names its API in its head:
// <link rel="EditURI" type="application/rsd+xml" href=".../api.php?action=rsd">
// (MediaWiki's OutputPage; WordPress's EditURI points at xmlrpc.php
// instead). The handle is the wiki's script path, the folder of api.php
// (connectors/mediawiki/mediawiki_handle.h): exact from the EditURI link;
// from an article link by MediaWiki's short-URL convention (articles under
// /wiki/, scripts under /w/: Manual:Short URL, mediawiki.org), which a wiki
// may not follow; its first poll then fails with the reason, and review
// corrects the handle.
std::string directory_of(std::string_view path) {
  return std::string(path.substr(0, path.rfind('/') + 1));
}

std::optional<LinkMatch> recognise(const LinkContext& l) {
  LinkMatch m;
  for (const std::string& rel : l.rels) {
    if (rel != "edituri" || !l.same_site) continue;
    auto parts = parse_url(l.url);
    if (!parts) continue;
    const std::string path = parts->path.substr(0, parts->path.find('?'));
    if (!ends_with(path, "/api.php")) continue;
    m.handle = parts->origin() + directory_of(path);
    m.evidence = "the site's own MediaWiki API (<link rel=\"EditURI\">)";
    return m;
  }
  if (l.claimed || l.head || l.feed || l.same_site || l.segments.empty()) return std::nullopt;
  const std::string text = to_lower_ascii(l.text);
  if (l.host.find("wiki") == std::string::npos && text.find("wiki") == std::string::npos) {
    return std::nullopt;
  }
  const std::string first = to_lower_ascii(l.segments[0]);
  if (first == "wiki" || (first == "w" && l.segments.size() >= 2)) {
    m.handle = l.origin + "/w/";
    return m;
  }
  if (l.segments.back() == "index.php" && l.query.find("title=") != std::string::npos) {
    auto parts = parse_url(l.url);
    if (!parts) return std::nullopt;
    m.handle = parts->origin() + directory_of(parts->path.substr(0, parts->path.find('?')));
    return m;
  }
  return std::nullopt;
}

}  // namespace

PlatformLinks mediawiki_links() {
  PlatformLinks l;
  l.recognise = recognise;
  // Wikipedia and its sister projects are MediaWikis too, but an article
  // about the town is not the municipality's wiki.
  l.hosts = {"wikipedia.org", "*.wikipedia.org",  "*.wikimedia.org",
             "wikidata.org",  "*.wikivoyage.org", "*.wiktionary.org"};
  l.patterns = {
      {"**",
       LinkKind::kPage,
       "an encyclopedia article or Wikimedia page, not the municipality's own wiki",
       {}},
  };
  // "https://stadtwiki-x.example/w/" -> "stadtwiki-x"; a user's handle
  // ("Name@https://...") -> the user name.
  l.account_name = [](std::string_view handle) {
    const size_t at = handle.find('@');
    if (at != std::string_view::npos) return std::string(handle.substr(0, at));
    auto parts = parse_url(handle);
    return parts ? parts->host.substr(0, parts->host.find('.')) : std::string();
  };
  l.wikidata_note =
      "none: Wikidata has no property for a municipality's own wiki (official website P856 "
      "holds the main site)";
  return l;
}

}  // namespace muni
