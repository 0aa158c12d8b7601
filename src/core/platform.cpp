#include "core/platform.h"

#include "core/strings.h"

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

std::string_view work_kind_id(WorkKind w) {
  switch (w) {
    case WorkKind::kPoll:
      return "poll";
    case WorkKind::kRefresh:
      return "refresh";
    case WorkKind::kComments:
      return "comments";
    case WorkKind::kBackfill:
      return "backfill";
    case WorkKind::kCommentBackfill:
      return "comment_backfill";
  }
  return "poll";
}

int64_t jan1_ms(int year) {
  return days_from_civil(CivilDate{year, 1, 1}) * kDayMs;
}

const WorkSpec* PlatformDescriptor::work_spec(WorkKind kind) const {
  for (const WorkSpec& w : work) {
    if (w.kind == kind) return &w;
  }
  return nullptr;
}

const std::string& PlatformDescriptor::display_name_for(std::string_view lang) const {
  return lang == "de" && !display_name_de.empty() ? display_name_de : display_name;
}

Result<std::string> PlatformDescriptor::canonicalize(std::string_view raw) const {
  if (canonical_handle) return canonical_handle(raw);
  const std::string_view text = trim(raw);
  if (text.empty()) return make_error(ErrorCode::kInvalidArgument, "empty handle");
  return std::string(text);
}

void PlatformRegistry::add(PlatformDescriptor descriptor) {
  for (PlatformDescriptor& p : platforms_) {
    if (p.id == descriptor.id) {
      p = std::move(descriptor);  // a connector replaces the planned entry
      return;
    }
  }
  platforms_.push_back(std::move(descriptor));
}

const PlatformDescriptor* PlatformRegistry::find(std::string_view id) const {
  for (const PlatformDescriptor& p : platforms_) {
    if (p.id == id) return &p;
  }
  return nullptr;
}

std::string PlatformRegistry::id_list() const {
  std::string out;
  for (const PlatformDescriptor& p : platforms_) {
    if (!out.empty()) out += ", ";
    out += p.id;
  }
  return out;
}

PlatformRegistry& platform_registry() {
  static PlatformRegistry registry;
  return registry;
}

const PlatformDescriptor* find_platform(std::string_view id) {
  return platform_registry().find(id);
}

std::string known_platform_list() { return platform_registry().id_list(); }

std::string unknown_platform_message(std::string_view id) {
  std::vector<std::string> ids;
  for (const PlatformDescriptor& p : platform_registry().all()) ids.push_back(p.id);
  return "unknown platform '" + std::string(id) + "'" + did_you_mean(id, ids) +
         "; known platforms: " + known_platform_list();
}

}  // namespace muni
