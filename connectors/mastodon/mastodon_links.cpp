#include "connectors/mastodon/mastodon_links.h"

#include <algorithm>
#include <array>

#include "core/strings.h"

namespace muni {

namespace {

// Hosts whose "/@name" addresses are not fediverse accounts (hosts of
// registered platforms are excluded by discovery already: LinkContext::claimed).
bool non_fediverse_host(std::string_view host) {
  static const std::array<std::string_view, 5> kHosts = {
      "medium.com", "tiktok.com", "soundcloud.com", "github.com", "linktr.ee"};
  return std::find(kHosts.begin(), kHosts.end(), host) != kHosts.end();
}

// A fediverse server can have any name, so no host list: https://host/@user
// on any host is read as a Mastodon address, and https://host/users/user
// only when rel="me" says it is the site's own (Mastodon's profile-link
// verification, docs.joinmastodon.org "Verifying your profile").
std::optional<LinkMatch> recognise(const LinkContext& l) {
  if (l.claimed || l.feed || l.segments.empty() || non_fediverse_host(l.host)) {
    return std::nullopt;
  }
  const std::string& first = l.segments[0];
  const bool at_form = first.size() > 1 && first[0] == '@' && l.segments.size() == 1;
  const bool users_form = l.rel_me && l.segments.size() == 2 && first == "users";
  if (!at_form && !users_form) return std::nullopt;
  const std::string user = at_form ? first.substr(1) : l.segments[1];
  LinkMatch m;
  if (user.find('@') != std::string::npos) {
    m.handle = "@" + user;  // https://host/@user@other.host: a remote account shown on this host
    return m;
  }
  auto parts = parse_url(l.url);
  if (parts && parts->scheme == "https" && parts->port == 0) {
    m.handle = "@" + user + "@" + parts->host;
  } else {
    m.handle = l.url;
  }
  return m;
}

}  // namespace

PlatformLinks mastodon_links() {
  PlatformLinks l;
  l.recognise = recognise;
  // "@stadt@host" / "stadt@host" -> "stadt".
  l.account_name = [](std::string_view handle) {
    if (starts_with(handle, "@")) handle.remove_prefix(1);
    return std::string(handle.substr(0, handle.find('@')));
  };
  // https://www.wikidata.org/wiki/Property:P4033 "Mastodon address", values
  // "user@server" (fediscope's README and the socialhub.activitypub.rocks
  // thread "A Wikidata predicate for ActivityPub addresses" both cite it).
  l.wikidata_property = "P4033";
  l.wikidata_label = "Mastodon address";
  l.wikidata_source = "https://www.wikidata.org/wiki/Property:P4033";
  return l;
}

}  // namespace muni
