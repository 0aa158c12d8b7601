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

const std::vector<PlatformInfo>& known_platforms() {
  static const std::vector<PlatformInfo> kPlatforms = {
      {"facebook", "Facebook", Category::kSocialNetwork},
      {"instagram", "Instagram", Category::kSocialNetwork},
      {"mastodon", "Mastodon (and Mastodon-API servers)", Category::kMicroblog},
      {"bluesky", "Bluesky", Category::kMicroblog},
      {"x", "X (Twitter)", Category::kMicroblog},
      {"threads", "Threads", Category::kMicroblog},
      {"youtube", "YouTube", Category::kContentCommunity},
      {"peertube", "PeerTube", Category::kContentCommunity},
      {"rss", "RSS/Atom feed", Category::kBlog},
      {"wordpress", "WordPress", Category::kBlog},
      {"mediawiki", "MediaWiki", Category::kWiki},
      {"discourse", "Discourse", Category::kForum},
      {"lemmy", "Lemmy", Category::kForum},
      {"telegram", "Telegram channel", Category::kMessenger},
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
