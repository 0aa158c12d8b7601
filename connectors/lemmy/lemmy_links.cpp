#include "connectors/lemmy/lemmy_links.h"

#include "core/strings.h"

namespace muni {

namespace {

// Lemmy runs on any host, and /c/ and /u/ are short paths other software
// uses as well (PeerTube's /c/, Discourse's /u/). A link counts only with a
// hint that the server is a Lemmy: its host or the link's text says
// "lemmy" or "feddit" (lemmy.world, feddit.org, feddit.de). Communities are
// /c/<name> (or /c/<name>@<home host> for a remote one), people /u/<name>,
// posts /post/<id> (join-lemmy.org docs, "Getting started").
bool hinted(const LinkContext& l) {
  const std::string text = to_lower_ascii(l.text);
  for (const char* word : {"lemmy", "feddit"}) {
    if (l.host.find(word) != std::string::npos || text.find(word) != std::string::npos) {
      return true;
    }
  }
  return false;
}

std::optional<LinkMatch> recognise(const LinkContext& l) {
  if (l.claimed || l.feed || l.head || l.same_site || l.segments.empty() || !hinted(l)) {
    return std::nullopt;
  }
  const std::string first = to_lower_ascii(l.segments[0]);
  LinkMatch m;
  if (first == "post" || first == "comment") {
    m.kind = LinkKind::kPost;
    m.reason = "a Lemmy post, not the community (link to the community instead)";
    return m;
  }
  if ((first != "c" && first != "u") || l.segments.size() < 2) return std::nullopt;
  if (l.segments.size() > 2) {
    m.kind = LinkKind::kPage;
    m.reason = "a page of a Lemmy community, not the community itself";
    return m;
  }
  auto parts = parse_url(l.url);
  if (!parts) return std::nullopt;
  std::string name = to_lower_ascii(l.segments[1]);
  if (name.find('@') == std::string::npos) name += "@" + parts->host;
  // Lemmy's own notation: !community@host, @person@host.
  m.handle = (first == "c" ? "!" : "@") + name;
  return m;
}

}  // namespace

PlatformLinks lemmy_links() {
  PlatformLinks l;
  l.recognise = recognise;
  // "!musterstadt@feddit.org" -> "musterstadt".
  l.account_name = [](std::string_view handle) {
    if (!handle.empty() && (handle[0] == '!' || handle[0] == '@')) handle.remove_prefix(1);
    return std::string(handle.substr(0, handle.find('@')));
  };
  // Wikidata's P11947 "Lemmy community ID" (named so by the
  // wikidata-webfinger project's README, which treats its values like
  // Mastodon addresses, community@host). Not read from the property page
  // itself: a value already written "!community@host" is kept as it is.
  l.wikidata_property = "P11947";
  l.wikidata_label = "Lemmy community ID";
  l.wikidata_source = "https://www.wikidata.org/wiki/Property:P11947";
  l.wikidata_handle = [](std::string_view value) {
    value = trim(value);
    if (!value.empty() && (value[0] == '!' || value[0] == '@')) return std::string(value);
    return "!" + std::string(value);
  };
  return l;
}

}  // namespace muni
