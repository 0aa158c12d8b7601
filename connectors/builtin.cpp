#include "connectors/builtin.h"

#include <mutex>

#include "connectors/bluesky/bluesky_connector.h"
#include "connectors/bluesky/bluesky_links.h"
#include "connectors/discourse/discourse_connector.h"
#include "connectors/discourse/discourse_links.h"
#include "connectors/facebook/facebook_links.h"
#include "connectors/instagram/instagram_links.h"
#include "connectors/lemmy/lemmy_connector.h"
#include "connectors/lemmy/lemmy_links.h"
#include "connectors/mastodon/mastodon_connector.h"
#include "connectors/mastodon/mastodon_links.h"
#include "connectors/mediawiki/mediawiki_connector.h"
#include "connectors/mediawiki/mediawiki_links.h"
#include "connectors/peertube/peertube_connector.h"
#include "connectors/peertube/peertube_links.h"
#include "connectors/rss/rss_connector.h"
#include "connectors/rss/rss_links.h"
#include "connectors/telegram/telegram_connector.h"
#include "connectors/telegram/telegram_links.h"
#include "connectors/threads/threads_links.h"
#include "connectors/wordpress/wordpress_connector.h"
#include "connectors/wordpress/wordpress_links.h"
#include "connectors/x/x_links.h"
#include "connectors/youtube/youtube_connector.h"
#include "connectors/youtube/youtube_links.h"

namespace muni {

namespace {

struct Entry {
  PlatformDescriptor (*descriptor)();
  std::unique_ptr<Connector> (*make)();  // nullptr: planned, no connector yet
  PlatformLinks (*links)();              // how discovery and Wikidata find its accounts
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

// One line per platform: its descriptor, its connector's factory and its
// link patterns (<id>_links()). Adding a connector replaces its platform's
// `planned(...)` and nullptr by the connector's descriptor and factory and
// keeps the links member (docs/connectors.md).
// Planned platforms' earliest years: the year before each public launch
// (Facebook 2004, Instagram 2010, X as Twitter 2006, Threads 2023, PeerTube
// 1.0 2018, WordPress 2003, MediaWiki/Wikipedia 2001, Discourse 2013, Lemmy
// 2019, Telegram channels 2015).
const std::vector<Entry>& entries() {
  // One line per platform, so that connectors replace lines, not blocks.
  // clang-format off
  static const std::vector<Entry> kEntries = {
      {[] { return planned("facebook", "Facebook", Category::kSocialNetwork, 2003); }, nullptr, facebook_links},
      {[] { return planned("instagram", "Instagram", Category::kSocialNetwork, 2009); }, nullptr, instagram_links},
      {mastodon_platform, make_mastodon_connector, mastodon_links},
      {bluesky_platform, make_bluesky_connector, bluesky_links},
      {[] { return planned("x", "X (Twitter)", Category::kMicroblog, 2005); }, nullptr, x_links},
      {[] { return planned("threads", "Threads", Category::kMicroblog, 2022); }, nullptr, threads_links},
      {youtube_platform, make_youtube_connector, youtube_links},
      {peertube_platform, make_peertube_connector, peertube_links},
      {rss_platform, make_rss_connector, rss_links},
      {wordpress_platform, make_wordpress_connector, wordpress_links},
      {mediawiki_platform, make_mediawiki_connector, mediawiki_links},
      {discourse_platform, make_discourse_connector, discourse_links},
      {lemmy_platform, make_lemmy_connector, lemmy_links},
      {telegram_platform, make_telegram_connector, telegram_links},
  };
  // clang-format on
  return kEntries;
}

}  // namespace

void register_builtin_platforms() {
  static std::once_flag once;
  std::call_once(once, [] {
    for (const Entry& e : entries()) {
      PlatformDescriptor d = e.descriptor();
      d.links = e.links();
      platform_registry().add(std::move(d));
    }
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
