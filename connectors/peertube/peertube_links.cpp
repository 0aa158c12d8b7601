#include "connectors/peertube/peertube_links.h"

#include "core/strings.h"

namespace muni {

namespace {

// PeerTube runs on any host, and its paths (/a/<account>, /c/<channel>)
// are short words other software uses too (Lemmy's /c/ and /u/, Discourse's
// /c/). So a link counts only with a hint that the server is a PeerTube:
// its host or the link's text says "tube", "peertube" or "video" (servers
// are commonly named tube.example, video.example, peertube.example).
// /video-channels/<name> and /videos/watch/ are PeerTube's own and need no
// hint. URL forms: PeerTube's client routes (/a/, /c/, /w/, and the older
// /accounts/, /video-channels/, /videos/watch/).
bool hinted(const LinkContext& l) {
  const std::string text = to_lower_ascii(l.text);
  for (const char* word : {"tube", "video"}) {
    if (l.host.find(word) != std::string::npos || text.find(word) != std::string::npos) {
      return true;
    }
  }
  return false;
}

std::optional<LinkMatch> recognise(const LinkContext& l) {
  if (l.claimed || l.feed || l.head || l.same_site || l.segments.empty()) return std::nullopt;
  const std::string first = to_lower_ascii(l.segments[0]);
  const bool own_path = first == "video-channels" || first == "videos";
  if (!own_path && !hinted(l)) return std::nullopt;
  LinkMatch m;
  if (first == "w" || first == "videos") {
    if (l.segments.size() < 2) return std::nullopt;
    m.kind = LinkKind::kVideo;
    m.reason = "a PeerTube video, not the channel (link to the channel instead)";
    return m;
  }
  if (l.segments.size() < 2) return std::nullopt;
  std::string kind;
  if (first == "c" || first == "video-channels") kind = "c";
  if (first == "a" || first == "accounts") kind = "a";
  if (kind.empty()) return std::nullopt;
  const std::string& name = l.segments[1];
  if (name.empty() || name.find_first_of("/?#") != std::string::npos) return std::nullopt;
  // The channel's or account's address, which the canonicalizer turns into
  // "channel:name@host" or "name@host".
  m.handle = l.origin + "/" + kind + "/" + name;
  return m;
}

}  // namespace

PlatformLinks peertube_links() {
  PlatformLinks l;
  l.recognise = recognise;
  // "channel:stadt_x@tube.example", "stadt_x@tube.example" or
  // "http://host:port/c/stadt_x" (connectors/peertube/peertube_handle.h)
  // -> "stadt_x".
  l.account_name = [](std::string_view handle) {
    const size_t cut = handle.find_last_of("/:");
    std::string_view name = cut == std::string_view::npos ? handle : handle.substr(cut + 1);
    return std::string(name.substr(0, name.find('@')));
  };
  l.wikidata_note =
      "none found: no Wikidata property for a PeerTube channel or account was found (Mastodon "
      "address P4033 is for Mastodon servers; a fediverse-wide address property was only "
      "proposed, socialhub.activitypub.rocks/t/4792)";
  return l;
}

}  // namespace muni
