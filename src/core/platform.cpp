#include "core/platform.h"

namespace muni {

std::string_view category_id(Category c) {
  switch (c) {
    case Category::kSocialNetwork:
      return "social_network";
    case Category::kMicroblog:
      return "microblog";
    case Category::kContentCommunity:
      return "content_community";
    case Category::kBlog:
      return "blog";
    case Category::kWiki:
      return "wiki";
    case Category::kForum:
      return "forum";
    case Category::kMessenger:
      return "messenger";
  }
  return "unknown";
}

std::string_view category_label_de(Category c) {
  switch (c) {
    case Category::kSocialNetwork:
      return "Soziale Netzwerke";
    case Category::kMicroblog:
      return "Mikroblogs";
    case Category::kContentCommunity:
      return "Content Communities";
    case Category::kBlog:
      return "Blogs";
    case Category::kWiki:
      return "Wikis";
    case Category::kForum:
      return "Foren";
    case Category::kMessenger:
      return "Messenger-Dienste";
  }
  return "unbekannt";
}

const std::vector<Category>& all_categories() {
  static const std::vector<Category> kAll = {
      Category::kSocialNetwork, Category::kMicroblog, Category::kContentCommunity, Category::kBlog,
      Category::kWiki,          Category::kForum,     Category::kMessenger};
  return kAll;
}

std::optional<Category> parse_category(std::string_view id) {
  for (const Category c : all_categories()) {
    if (category_id(c) == id) return c;
  }
  return std::nullopt;
}

namespace {

// 00:00 UTC on 1 January of `year`, in ms since the epoch.
constexpr int64_t jan1(int year) {
  // Days from 1970 to `year` (Gregorian leap rules), times one day.
  int64_t days = 0;
  for (int y = 1970; y < year; ++y)
    days += (y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)) ? 366 : 365;
  return days * 86'400'000;
}

}  // namespace

const std::vector<PlatformInfo>& known_platforms() {
  // Earliest plausible items: the year before each platform's public launch
  // (Facebook 2004, Instagram 2010, Mastodon 2016, Bluesky's beta 2023, X as
  // Twitter 2006, Threads 2023, YouTube 2005, PeerTube 1.0 2018, WordPress
  // 2003, MediaWiki/Wikipedia 2001, Discourse 2013, Lemmy 2019, Telegram
  // channels 2015). Feeds carry whatever their site publishes, so RSS only
  // excludes dates before the web (1990).
  static const std::vector<PlatformInfo> kPlatforms = {
      {"facebook", "Facebook", Category::kSocialNetwork, jan1(2003)},
      {"instagram", "Instagram", Category::kSocialNetwork, jan1(2009)},
      {"mastodon", "Mastodon (and Mastodon-API servers)", Category::kMicroblog, jan1(2016)},
      {"bluesky", "Bluesky", Category::kMicroblog, jan1(2022)},
      {"x", "X (Twitter)", Category::kMicroblog, jan1(2005)},
      {"threads", "Threads", Category::kMicroblog, jan1(2022)},
      {"youtube", "YouTube", Category::kContentCommunity, jan1(2004)},
      {"peertube", "PeerTube", Category::kContentCommunity, jan1(2017)},
      {"rss", "RSS/Atom feed", Category::kBlog, jan1(1990)},
      {"wordpress", "WordPress", Category::kBlog, jan1(2002)},
      {"mediawiki", "MediaWiki", Category::kWiki, jan1(2000)},
      {"discourse", "Discourse", Category::kForum, jan1(2012)},
      {"lemmy", "Lemmy", Category::kForum, jan1(2018)},
      {"telegram", "Telegram channel", Category::kMessenger, jan1(2014)},
  };
  return kPlatforms;
}

const PlatformInfo* find_platform(std::string_view id) {
  for (const PlatformInfo& p : known_platforms()) {
    if (p.id == id) return &p;
  }
  return nullptr;
}

std::string known_platform_list() {
  std::string out;
  for (const PlatformInfo& p : known_platforms()) {
    if (!out.empty()) out += ", ";
    out += p.id;
  }
  return out;
}

}  // namespace muni
