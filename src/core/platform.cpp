#include "core/platform.h"

#include <algorithm>
#include <cctype>

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

// ------------------------------------------------------------------ links

namespace muni {

namespace {

// One segment against one pattern segment (no "**"); `capture` gets the
// handle part of "{}" / "@{}".
bool segment_matches(std::string_view pattern, std::string_view segment, std::string* capture) {
  if (pattern == "*") return true;
  if (const size_t brace = pattern.find("{}"); brace != std::string_view::npos) {
    const std::string_view prefix = pattern.substr(0, brace);
    if (segment.size() <= prefix.size() || !iequals(segment.substr(0, prefix.size()), prefix)) {
      return false;
    }
    *capture = std::string(segment.substr(prefix.size()));
    return true;
  }
  for (const std::string& alt : split(pattern, '|')) {
    if (!alt.empty() && alt.back() == '*') {
      const std::string_view prefix = std::string_view(alt).substr(0, alt.size() - 1);
      if (segment.size() >= prefix.size() && iequals(segment.substr(0, prefix.size()), prefix)) {
        return true;
      }
    } else if (iequals(alt, segment)) {
      return true;
    }
  }
  return false;
}

bool fits(const HandleShape& shape, std::string_view name) {
  if (name.size() < shape.min_length || name.size() > shape.max_length) return false;
  if (!shape.punct) return true;
  return std::all_of(name.begin(), name.end(), [&](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || shape.punct->find(c) != std::string::npos;
  });
}

// The capture of `pattern` over the link, or nullopt when it does not match
// ("" when it matches without a capture).
std::optional<std::string> match_pattern(std::string_view pattern, const LinkContext& link) {
  const size_t slash = pattern.find('/');
  const size_t colon = pattern.find(':');
  if (colon != std::string_view::npos && colon < slash) {
    const std::string host(pattern.substr(0, colon));
    if (link.host != host) return std::nullopt;
    pattern = pattern.substr(colon + 1);
  }
  std::string_view query_rule;
  if (const size_t q = pattern.find('?'); q != std::string_view::npos) {
    query_rule = pattern.substr(q + 1);
    pattern = pattern.substr(0, q);
  }
  std::string capture;
  const std::vector<std::string> parts =
      pattern.empty() ? std::vector<std::string>{} : split(pattern, '/');
  size_t i = 0;
  bool rest = false;
  for (; i < parts.size(); ++i) {
    if (parts[i] == "**") {
      rest = true;
      break;
    }
    if (i >= link.segments.size() || !segment_matches(parts[i], link.segments[i], &capture)) {
      return std::nullopt;
    }
  }
  if (!rest && i != link.segments.size()) return std::nullopt;
  if (!query_rule.empty()) {
    const size_t eq = query_rule.find('=');
    const std::string key(query_rule.substr(0, eq));
    auto value = url_query_param("?" + link.query, key);
    if (!value) return std::nullopt;
    if (eq != std::string_view::npos && query_rule.substr(eq + 1) == "{}") capture = *value;
  }
  return capture;
}

std::string display_reason(LinkKind kind, std::string_view name, const LinkContext& link) {
  const std::string first = link.segments.empty() ? "" : to_lower_ascii(link.segments[0]);
  switch (kind) {
    case LinkKind::kShare:
      return "a share button, not an account";
    case LinkKind::kPost:
      return "a post, not the account (link to the account instead)";
    case LinkKind::kVideo:
      return "a video, not a channel (link to the channel instead)";
    case LinkKind::kHome:
      return "the platform's home page";
    case LinkKind::kPage:
      return "a " + std::string(name) + " page that is not an account (/" + first + ")";
    case LinkKind::kRedirect:
      return "a " + std::string(name) + " tracking redirect";
    case LinkKind::kAccount:
      break;
  }
  return "";
}

}  // namespace

std::string link_host(std::string_view host) {
  std::string h = to_lower_ascii(host);
  for (const char* prefix : {"www.", "m.", "mobile.", "de-de.", "de.", "web."}) {
    if (starts_with(h, prefix)) return h.substr(std::string_view(prefix).size());
  }
  return h;
}

bool link_host_matches(const PlatformLinks& links, std::string_view host) {
  for (const std::string& h : links.hosts) {
    if (starts_with(h, "*.")) {
      const std::string_view suffix = std::string_view(h).substr(1);
      if (host.size() > suffix.size() && ends_with(host, suffix)) return true;
    } else if (host == h) {
      return true;
    }
  }
  return false;
}

std::optional<LinkContext> link_context(std::string_view url) {
  auto parts = parse_url(url);
  if (!parts) return std::nullopt;
  LinkContext link;
  link.url = std::string(url);
  link.host = link_host(parts->host);
  link.origin = parts->origin();
  std::string_view path = parts->path;
  if (const size_t hash = path.find('#'); hash != std::string_view::npos) {
    path = path.substr(0, hash);
  }
  if (const size_t q = path.find('?'); q != std::string_view::npos) {
    link.query = std::string(path.substr(q + 1));
    path = path.substr(0, q);
  }
  for (const std::string& s : split(path, '/')) {
    if (!s.empty()) link.segments.push_back(url_decode(s));
  }
  return link;
}

std::optional<LinkMatch> match_link_patterns(const PlatformLinks& links, const LinkContext& link,
                                             std::string_view display_name) {
  if (!link_host_matches(links, link.host)) return std::nullopt;
  for (const LinkPattern& p : links.patterns) {
    auto capture = match_pattern(p.path, link);
    if (!capture) continue;
    LinkMatch m;
    m.kind = p.kind;
    if (p.kind != LinkKind::kAccount) {
      m.reason = p.text.empty() ? display_reason(p.kind, display_name, link) : p.text;
      return m;
    }
    const HandleShape& shape = p.shape ? *p.shape : links.shape;
    if (!fits(shape, *capture)) continue;
    const std::string name = shape.lower_case ? to_lower_ascii(*capture) : *capture;
    m.handle = p.text.empty() ? name : p.text;
    if (const size_t brace = m.handle.find("{}"); brace != std::string::npos && !p.text.empty()) {
      m.handle.replace(brace, 2, name);
    }
    return m;
  }
  LinkMatch m;
  m.kind = LinkKind::kPage;
  m.reason = "not a " + std::string(display_name) + " account address";
  return m;
}

}  // namespace muni
