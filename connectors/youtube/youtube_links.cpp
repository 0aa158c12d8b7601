#include "connectors/youtube/youtube_links.h"

#include "core/strings.h"

namespace muni {

// YouTube channels: youtube.com/channel/UC…, /@handle, /user/Name (legacy)
// and /c/Name (custom URLs, which the API cannot resolve: the canonicalizer
// refuses them with a hint). watch, embed, shorts, live and youtu.be are
// videos; youtube.com/redirect?q=... is YouTube's outbound-link redirect.
// Channel ids are case-sensitive: captures keep their case.
PlatformLinks youtube_links() {
  PlatformLinks l;
  l.hosts = {"youtube.com", "youtu.be", "youtube-nocookie.com", "music.youtube.com"};
  l.patterns = {
      {"youtu.be:**", LinkKind::kVideo, "", {}},
      {"youtube-nocookie.com:**", LinkKind::kVideo, "", {}},
      {"", LinkKind::kHome, "", {}},
      {"watch|embed|shorts|live|v/**", LinkKind::kVideo, "", {}},
      {"redirect/**", LinkKind::kRedirect, "", {}},
      {"playlist|results|feed|share|t|about|howyoutubeworks|account|premium/**",
       LinkKind::kPage,
       "",
       {}},
      {"channel/{}/**", LinkKind::kAccount, "https://www.youtube.com/channel/{}", {}},
      {"user/{}/**", LinkKind::kAccount, "https://www.youtube.com/user/{}", {}},
      {"c/{}/**", LinkKind::kAccount, "https://www.youtube.com/c/{}", {}},
      {"@{}/**", LinkKind::kAccount, "https://www.youtube.com/@{}", {}},
      {"**", LinkKind::kPage, "not a channel address (/channel/UC…, /@handle or /user/Name)", {}},
  };
  l.shape = HandleShape{std::nullopt, 1, 256, false};
  l.account_name = [](std::string_view handle) {
    return std::string(starts_with(handle, "user:") ? handle.substr(5) : handle);
  };
  // https://www.wikidata.org/wiki/Property:P2397 "YouTube channel ID"
  // (Property_talk:P1651: "For channels, use P2397").
  l.wikidata_property = "P2397";
  l.wikidata_label = "YouTube channel ID";
  l.wikidata_source = "https://www.wikidata.org/wiki/Property:P2397";
  return l;
}

}  // namespace muni
