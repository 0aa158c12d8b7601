#include "connectors/builtin.h"

#include <mutex>

#include "connectors/bluesky/bluesky_connector.h"
#include "connectors/mastodon/mastodon_connector.h"
#include "connectors/rss/rss_connector.h"
#include "connectors/youtube/youtube_connector.h"

namespace muni {

namespace {

struct Entry {
  PlatformDescriptor (*descriptor)();
  std::unique_ptr<Connector> (*make)();  // nullptr: planned, no connector yet
};

// A platform of the KGSt categories without a connector yet: accounts on it
// are stored and count as configured presence (state "unsupported").
// `name_de`: the name in German reports where it differs (nullptr: the same).
PlatformDescriptor planned(const char* id, const char* name, Category category, int since_year,
                           const char* name_de = nullptr) {
  PlatformDescriptor d;
  d.id = id;
  d.display_name = name;
  if (name_de != nullptr) d.display_name_de = name_de;
  d.category = category;
  d.earliest_item_ms = jan1_ms(since_year);
  return d;
}

// One line per platform. Adding a connector replaces its platform's planned
// line by the connector's descriptor and factory (docs/connectors.md).
// Planned platforms' earliest years: the year before each public launch
// (Facebook 2004, Instagram 2010, X as Twitter 2006, Threads 2023, PeerTube
// 1.0 2018, WordPress 2003, MediaWiki/Wikipedia 2001, Discourse 2013, Lemmy
// 2019, Telegram channels 2015).
const std::vector<Entry>& entries() {
  static const std::vector<Entry> kEntries = {
      {[] { return planned("facebook", "Facebook", Category::kSocialNetwork, 2003); }, nullptr},
      {[] { return planned("instagram", "Instagram", Category::kSocialNetwork, 2009); }, nullptr},
      {mastodon_platform, make_mastodon_connector},
      {bluesky_platform, make_bluesky_connector},
      {[] { return planned("x", "X (Twitter)", Category::kMicroblog, 2005); }, nullptr},
      {[] { return planned("threads", "Threads", Category::kMicroblog, 2022); }, nullptr},
      {youtube_platform, make_youtube_connector},
      {[] { return planned("peertube", "PeerTube", Category::kContentCommunity, 2017); }, nullptr},
      {rss_platform, make_rss_connector},
      {[] { return planned("wordpress", "WordPress", Category::kBlog, 2002); }, nullptr},
      {[] { return planned("mediawiki", "MediaWiki", Category::kWiki, 2000); }, nullptr},
      {[] { return planned("discourse", "Discourse", Category::kForum, 2012); }, nullptr},
      {[] { return planned("lemmy", "Lemmy", Category::kForum, 2018); }, nullptr},
      {[] {
         return planned("telegram", "Telegram channel", Category::kMessenger, 2014,
                        "Telegram-Kanal");
       },
       nullptr},
  };
  return kEntries;
}

}  // namespace

void register_builtin_platforms() {
  static std::once_flag once;
  std::call_once(once, [] {
    for (const Entry& e : entries()) platform_registry().add(e.descriptor());
  });
}

ConnectorRegistry builtin_connectors() {
  register_builtin_platforms();
  ConnectorRegistry registry;
  for (const Entry& e : entries()) {
    if (e.make != nullptr) registry.add(e.make());
  }
  return registry;
}

}  // namespace muni
