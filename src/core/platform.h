// The platforms muniscope knows and the KGSt instrument category each one
// belongs to.
//
// The seven categories are those of the KGSt study "Wie nutzen Kommunen Social
// Media?" (KGSt Bericht 8/2016): Wikis, Foren, soziale Netzwerke, Content
// Communities, Mikroblogs, Messenger-Dienste, Blogs. The platform-to-category
// mapping follows the brief (social networks: Facebook, Instagram; microblogs:
// Mastodon, Bluesky, X, Threads; ...). Instagram is placed with the social
// networks once and for all, as the domain notes advise ("decide once").
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace muni {

enum class Category {
  kSocialNetwork,
  kMicroblog,
  kContentCommunity,
  kBlog,
  kWiki,
  kForum,
  kMessenger,
};

// Stable identifiers used in config, the store and CLI output.
std::string_view category_id(Category c);        // "social_network", "microblog", ...
std::string_view category_label_de(Category c);  // "Soziale Netzwerke", ...
std::optional<Category> parse_category(std::string_view id);
const std::vector<Category>& all_categories();

struct PlatformInfo {
  std::string_view id;  // "mastodon"
  std::string_view display_name;
  Category category;
  // No item on this platform can be older than this (ms since the epoch).
  // Deliberately loose (the start of a year before the platform's public
  // launch): the bound only catches impossible dates such as 0001-01-01 or
  // 1970-01-01, it does not judge plausible ones.
  int64_t earliest_item_ms = 0;
};

const std::vector<PlatformInfo>& known_platforms();
const PlatformInfo* find_platform(std::string_view id);
// "mastodon, bluesky, ..." for error messages.
std::string known_platform_list();

}  // namespace muni
