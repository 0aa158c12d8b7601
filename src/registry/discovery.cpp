#include "registry/discovery.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <map>

#include "core/platform.h"
#include "core/xml.h"
#include "registry/registry_yaml.h"

namespace muni::registry {

// ---------------------------------------------------------------- robots.txt

namespace {

// RFC 9309 2.2.2: "*" matches any sequence, a final "$" anchors the end.
bool robots_match(std::string_view pattern, std::string_view path) {
  bool anchored = !pattern.empty() && pattern.back() == '$';
  if (anchored) pattern.remove_suffix(1);
  // Iterative wildcard matching with backtracking on the last '*'.
  size_t p = 0, s = 0, star = std::string_view::npos, mark = 0;
  while (s < path.size()) {
    if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      mark = s;
    } else if (p < pattern.size() && pattern[p] == path[s]) {
      ++p;
      ++s;
    } else if (p == pattern.size() && !anchored) {
      return true;  // a prefix match is enough without "$"
    } else if (star != std::string_view::npos) {
      p = star + 1;
      s = ++mark;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

}  // namespace

RobotsRules RobotsRules::disallow_all() {
  RobotsRules r;
  r.rules_.push_back({false, "/"});
  return r;
}

RobotsRules RobotsRules::parse(std::string_view text, std::string_view product_token) {
  const std::string token = to_lower_ascii(product_token);
  // Groups: consecutive user-agent lines, then their rules.
  std::vector<Rule> ours, star;
  bool have_ours = false, have_star = false;
  bool in_agents = false;  // the previous line was a user-agent line
  bool group_ours = false, group_star = false;
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(pos, end - pos);
    pos = end + 1;
    if (const size_t hash = line.find('#'); hash != std::string_view::npos) {
      line = line.substr(0, hash);
    }
    const size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    const std::string key = to_lower_ascii(trim(line.substr(0, colon)));
    const std::string value(trim(line.substr(colon + 1)));
    if (key == "user-agent") {
      if (!in_agents) group_ours = group_star = false;
      in_agents = true;
      const std::string agent = to_lower_ascii(value);
      if (agent == "*") {
        group_star = true;
        have_star = true;
      } else if (!agent.empty() && token.find(agent) != std::string::npos) {
        group_ours = true;
        have_ours = true;
      }
      continue;
    }
    in_agents = false;
    if (key != "allow" && key != "disallow") continue;
    if (value.empty()) continue;  // "Disallow:" with nothing allows everything
    const Rule rule{key == "allow", value};
    if (group_ours) ours.push_back(rule);
    if (group_star) star.push_back(rule);
    if (pos > text.size()) break;
  }
  RobotsRules r;
  r.rules_ = have_ours ? std::move(ours) : (have_star ? std::move(star) : std::vector<Rule>{});
  return r;
}

bool RobotsRules::allows(std::string_view path) const {
  if (path.empty()) path = "/";
  size_t best = 0;
  bool allowed = true;
  bool matched = false;
  for (const Rule& rule : rules_) {
    if (!robots_match(rule.pattern, path)) continue;
    const size_t len = rule.pattern.size();
    if (!matched || len > best || (len == best && rule.allow)) {
      best = len;
      allowed = rule.allow;
      matched = true;
    }
  }
  return allowed;
}

// ------------------------------------------------------------ link verdicts

std::string fold_name(std::string_view text) {
  std::string slug = name_slug(text);
  slug.erase(std::remove(slug.begin(), slug.end(), '-'), slug.end());
  return slug;
}

namespace {

// Tracking and redirect services: the target is in a query parameter.
std::optional<std::string> redirect_target(std::string_view url) {
  for (const char* key : {"u", "url", "target", "redirect", "link", "to", "goto", "dest", "q"}) {
    auto value = url_query_param(url, key);
    if (!value) continue;
    if (starts_with(*value, "http://") || starts_with(*value, "https://")) return *value;
  }
  return std::nullopt;
}

LinkVerdict verdict(const PlatformDescriptor& d, const LinkMatch& m) {
  LinkVerdict v;
  v.platform = d.id;
  if (m.kind != LinkKind::kAccount) {
    v.refused = m.reason.empty() ? "not an account" : m.reason;
    v.tracking = m.kind == LinkKind::kRedirect;
    return v;
  }
  auto canonical = d.canonicalize(m.handle);
  if (!canonical.ok()) {
    v.refused = canonical.error().message;
    return v;
  }
  v.handle = *canonical;
  v.evidence = m.evidence;
  return v;
}

// Every registered platform's view of one link: first the hooks (for what
// no host list can say: any host's /@user, a site's own feed), in registry
// order, then the platform whose hosts name the link's host. A <link> in a
// page's head that is neither a feed nor rel="me" (stylesheets, preconnects,
// a WordPress API link) is only shown to the hooks, and only an account
// counts.
LinkVerdict classify_context(LinkContext& ctx) {
  const auto& platforms = platform_registry().all();
  ctx.claimed = std::any_of(platforms.begin(), platforms.end(), [&](const PlatformDescriptor& d) {
    return link_host_matches(d.links, ctx.host);
  });
  const bool head_only = ctx.head && !ctx.feed && !ctx.rel_me;
  for (const PlatformDescriptor& d : platforms) {
    if (!d.links.recognise) continue;
    auto m = d.links.recognise(ctx);
    if (!m) continue;
    if (head_only && m->kind != LinkKind::kAccount) continue;
    return verdict(d, *m);
  }
  if (head_only) return {};
  for (const PlatformDescriptor& d : platforms) {
    if (auto m = match_link_patterns(d.links, ctx, d.display_name)) return verdict(d, *m);
  }
  return {};
}

}  // namespace

LinkVerdict classify_link(const PageLink& link, bool same_site) {
  auto ctx = link_context(link.url);
  if (!ctx) return {};
  ctx->text = link.text;
  ctx->rels = link.rels;
  ctx->type = link.type;
  ctx->head = link.head;
  ctx->rel_me = link.rel_me;
  ctx->feed = link.feed;
  ctx->same_site = same_site;
  LinkVerdict direct = classify_context(*ctx);
  if (!direct.platform.empty() && !direct.tracking) return direct;
  // Not a platform link (or a platform's tracking redirect): a redirect
  // service whose target is an account counts as that account; muniscope
  // never fetches the redirect itself.
  if (auto target = redirect_target(link.url)) {
    if (auto inner_ctx = link_context(*target)) {
      LinkVerdict inner = classify_context(*inner_ctx);
      if (!inner.platform.empty()) return inner;
    }
    if (direct.tracking) {
      direct.refused = "a tracking redirect to something that is no account";
      return direct;
    }
  }
  return direct;
}

LinkVerdict classify_account_link(std::string_view url, bool rel_me) {
  PageLink link;
  link.url = std::string(url);
  link.rel_me = rel_me;
  return classify_link(link, false);
}

// ------------------------------------------------------------- page scanning

namespace {

bool chrome_element(const XmlNode& n) {
  const std::string name = to_lower_ascii(n.name());
  if (name == "header" || name == "footer" || name == "nav") return true;
  for (const char* attr : {"id", "class", "role"}) {
    const std::string v = to_lower_ascii(n.attr(attr).value_or(""));
    if (v.empty()) continue;
    for (const char* word : {"footer", "header", "social", "contentinfo", "navigation", "nav"}) {
      if (v.find(word) != std::string::npos) return true;
    }
  }
  return false;
}

std::string resolve_link(std::string_view base, std::string_view href) {
  const std::string h(trim(href));
  if (h.empty() || starts_with(h, "#") || starts_with(to_lower_ascii(h), "javascript:") ||
      starts_with(to_lower_ascii(h), "mailto:") || starts_with(to_lower_ascii(h), "tel:")) {
    return "";
  }
  if (starts_with(to_lower_ascii(h), "http://") || starts_with(to_lower_ascii(h), "https://")) {
    return h;
  }
  auto b = parse_url(base);
  if (!b) return "";
  if (starts_with(h, "//")) return b->scheme + ":" + h;
  if (starts_with(h, "/")) return b->origin() + h;
  if (h.find(':') != std::string::npos && h.find(':') < h.find('/')) return "";  // other schemes
  std::string dir = b->path.substr(0, b->path.find('?'));
  dir = dir.substr(0, dir.rfind('/') + 1);
  if (dir.empty()) dir = "/";
  return b->origin() + dir + h;
}

void walk(const XmlNode& node, bool chrome, std::string_view base, std::vector<PageLink>& out,
          int depth) {
  if (depth > 256) return;  // libxml2 caps depth as well; this keeps the stack small
  for (const XmlNode& child : node.children()) {
    const std::string name = to_lower_ascii(child.name());
    const bool in_chrome = chrome || chrome_element(child);
    if (name == "a" || name == "link" || name == "area") {
      const std::string rel = to_lower_ascii(child.attr("rel").value_or(""));
      const std::string url = resolve_link(base, child.attr("href").value_or(""));
      if (!url.empty()) {
        PageLink link;
        link.url = url;
        link.in_chrome = in_chrome;
        for (const std::string& r : split(rel, ' ')) {
          if (r.empty()) continue;
          link.rel_me |= r == "me";
          link.rels.push_back(r);
        }
        if (name == "link") {
          link.head = true;
          link.type = to_lower_ascii(child.attr("type").value_or(""));
          link.feed = rel.find("alternate") != std::string::npos &&
                      (link.type == "application/rss+xml" || link.type == "application/atom+xml");
        }
        link.text = std::string(trim(child.text()));
        if (link.text.empty()) {
          link.text = child.attr("title").value_or(child.attr("aria-label").value_or(""));
        }
        for (const XmlNode& img : child.descendants("img")) {
          if (!link.text.empty()) break;
          link.text = img.attr("alt").value_or("");
        }
        out.push_back(std::move(link));
      }
    }
    walk(child, in_chrome, base, out, depth + 1);
  }
}

}  // namespace

std::vector<PageLink> scan_page(std::string_view html, std::string_view page_url) {
  std::vector<PageLink> out;
  auto doc = XmlDocument::parse_html(html, page_url);
  if (!doc.ok()) return out;
  std::string base(page_url);
  for (const XmlNode& b : doc->root().descendants("base")) {
    const std::string href = resolve_link(page_url, b.attr("href").value_or(""));
    if (!href.empty()) base = href;
    break;
  }
  walk(doc->root(), false, base, out, 0);
  return out;
}

// ----------------------------------------------------------- SiteDiscovery

namespace {

std::string strip_www(std::string host) {
  if (starts_with(host, "www.")) host = host.substr(4);
  return host;
}

// Distinctive parts of a municipality's name for comparing with account
// names: "Bad Iburg, Stadt" -> {"iburg"}; words every other name has are
// left out.
std::vector<std::string> name_tokens(std::string_view name, size_t min_length) {
  static const std::set<std::string> kGeneric = {
      "stadt", "gemeinde", "markt",     "landkreis", "kreis", "hansestadt",   "universitaetsstadt",
      "bad",   "sankt",    "der",       "die",       "das",   "und",          "an",
      "am",    "im",       "in",        "ob",        "bei",   "vor",          "den",
      "dem",   "st",       "ostseebad", "kurort",    "amt",   "samtgemeinde", "verbandsgemeinde"};
  std::vector<std::string> out;
  for (const std::string& token : split(name_slug(name), '-')) {
    if (token.size() >= min_length && !kGeneric.count(token)) out.push_back(token);
  }
  return out;
}

bool contains_any(std::string_view folded, const std::vector<std::string>& tokens) {
  for (const std::string& t : tokens) {
    if (folded.find(t) != std::string_view::npos) return true;
  }
  return false;
}

// The account name part of a canonical handle, folded (the platform's
// PlatformLinks::account_name says which part that is).
std::string folded_handle(const std::string& platform, const std::string& handle) {
  const PlatformDescriptor* d = find_platform(platform);
  if (d == nullptr || !d->links.account_name) return fold_name(handle);
  const std::string name = d->links.account_name(handle);
  return name.empty() ? "" : fold_name(name);
}

// Likely pages, most useful first: (words in the link text or path).
int likely_rank(std::string_view text, std::string_view path) {
  const std::string t = fold_name(text) + " " + to_lower_ascii(path);
  static const std::array<std::pair<const char*, int>, 10> kWords = {{
      {"socialmedia", 0},
      {"social-media", 0},
      {"sozialemedien", 0},
      {"soziale-medien", 0},
      {"presse", 1},
      {"newsroom", 1},
      {"kontakt", 2},
      {"contact", 2},
      {"impressum", 3},
      {"imprint", 3},
  }};
  for (const auto& [word, rank] : kWords) {
    if (t.find(word) != std::string::npos) return rank;
  }
  return -1;
}

}  // namespace

SiteDiscovery::SiteDiscovery(DiscoveryTarget target, DiscoveryOptions options)
    : target_(std::move(target)), options_(std::move(options)) {
  std::string site = target_.website;
  if (site.find("://") == std::string::npos) site = "https://" + site;
  auto parts = parse_url(site);
  if (!parts) {
    problems_.push_back("website '" + target_.website + "' is not an http(s) URL");
    stage_ = Stage::kDone;
    return;
  }
  origin_ = parts->origin();
  site_host_ = strip_www(parts->host);
  target_.website = site;
}

bool SiteDiscovery::same_site(std::string_view url) const {
  auto parts = parse_url(url);
  return parts && strip_www(parts->host) == site_host_;
}

std::optional<std::string> SiteDiscovery::next_url() {
  switch (stage_) {
    case Stage::kRobots:
      pending_ = origin_ + "/robots.txt";
      return pending_;
    case Stage::kHome:
      pending_ = target_.website;
      return pending_;
    case Stage::kPages:
      while (!queue_.empty()) {
        std::string url = queue_.front();
        queue_.erase(queue_.begin());
        auto parts = parse_url(url);
        if (!parts || fetched_.count(url)) continue;
        if (!robots_.allows(parts->path)) {
          problems_.push_back("robots.txt disallows " + url + "; not fetched");
          continue;
        }
        pending_ = url;
        return pending_;
      }
      stage_ = Stage::kDone;
      return std::nullopt;
    case Stage::kDone:
      return std::nullopt;
  }
  return std::nullopt;
}

void SiteDiscovery::on_failure(std::string_view reason) {
  problems_.push_back(pending_ + ": " + std::string(reason));
  if (stage_ == Stage::kRobots) {
    // RFC 9309 2.3.1.4: an unreachable robots.txt means complete disallow.
    robots_ = RobotsRules::disallow_all();
    problems_.push_back("robots.txt unreachable: nothing fetched (RFC 9309)");
    stage_ = Stage::kDone;
  } else if (stage_ == Stage::kHome) {
    stage_ = Stage::kDone;
  }
}

void SiteDiscovery::on_response(int status, std::string_view body, std::string_view final_url) {
  if (stage_ == Stage::kRobots) {
    if (status >= 200 && status < 300) {
      robots_ = RobotsRules::parse(body, options_.product_token);
    } else if (status >= 400 && status < 500) {
      robots_ = RobotsRules::allow_all();  // RFC 9309 2.3.1.3: "unavailable"
    } else {
      robots_ = RobotsRules::disallow_all();  // 5xx: "unreachable"
      problems_.push_back("robots.txt answered HTTP " + std::to_string(status) +
                          ": nothing fetched (RFC 9309)");
      stage_ = Stage::kDone;
      return;
    }
    auto home = parse_url(target_.website);
    if (home && !robots_.allows(home->path.empty() ? "/" : home->path)) {
      problems_.push_back("robots.txt disallows the home page; nothing fetched");
      stage_ = Stage::kDone;
      return;
    }
    stage_ = Stage::kHome;
    return;
  }
  fetched_.insert(pending_);
  fetched_.insert(std::string(final_url));
  if (status < 200 || status >= 300) {
    problems_.push_back(pending_ + ": HTTP " + std::to_string(status));
    if (stage_ == Stage::kHome) stage_ = Stage::kDone;
    return;
  }
  ++pages_fetched_;
  if (stage_ == Stage::kHome) {
    // The home page may redirect to another host (stadt-x.de -> www.x.de):
    // from here on that is the site.
    auto parts = parse_url(final_url);
    if (parts) {
      site_host_ = strip_www(parts->host);
      origin_ = parts->origin();
    }
    read_page(body, final_url, true);
    stage_ = Stage::kPages;
    return;
  }
  read_page(body, final_url, false);
}

void SiteDiscovery::plan_likely_pages(const std::vector<PageLink>& links) {
  std::vector<std::pair<int, std::string>> ranked;
  std::set<std::string> seen;
  for (const PageLink& link : links) {
    if (link.feed || (link.head && !link.rel_me) || !same_site(link.url)) continue;
    std::string url = link.url.substr(0, link.url.find('#'));
    auto parts = parse_url(url);
    if (!parts) continue;
    const int rank = likely_rank(link.text, parts->path);
    if (rank < 0 || !seen.insert(url).second || fetched_.count(url)) continue;
    if (!robots_.allows(parts->path)) {
      problems_.push_back("robots.txt disallows " + url + "; not fetched");
      continue;
    }
    ranked.emplace_back(rank, url);
  }
  std::stable_sort(ranked.begin(), ranked.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  for (const auto& [rank, url] : ranked) {
    if (queue_.size() >= options_.max_extra_pages) break;
    queue_.push_back(url);
  }
}

void SiteDiscovery::read_page(std::string_view html, std::string_view page_url, bool home) {
  const std::vector<PageLink> links = scan_page(html, page_url);
  if (home) plan_likely_pages(links);
  for (const PageLink& link : links) {
    const bool own = same_site(link.url);
    if (link.feed && !own) continue;  // another site's feed says nothing about this one
    const LinkVerdict v = classify_link(link, own);
    if (v.platform.empty()) continue;
    if (!v.refused.empty()) {
      // One refusal per link is enough (footers repeat on every page).
      const bool known = std::any_of(refusals_.begin(), refusals_.end(),
                                     [&](const DiscoveryRefusal& r) { return r.link == link.url; });
      if (!known) refusals_.push_back({std::string(page_url), link.url, v.refused});
      continue;
    }
    auto it = std::find_if(seen_.begin(), seen_.end(), [&](const Seen& s) {
      return s.platform == v.platform && s.handle == v.handle;
    });
    if (it == seen_.end()) {
      seen_.push_back(
          {v.platform, v.handle, std::string(page_url), link.url, {}, false, false, v.evidence});
      it = seen_.end() - 1;
    }
    it->pages.insert(std::string(page_url));
    it->rel_me |= link.rel_me;
    it->in_chrome |= link.in_chrome;
  }
}

SiteDiscovery::Result SiteDiscovery::result() const {
  const std::vector<std::string> own = name_tokens(target_.name, 3);
  std::map<std::string, int> per_platform;
  for (const Seen& s : seen_) ++per_platform[s.platform];
  Result out;
  out.refusals = refusals_;
  for (const Seen& s : seen_) {
    const std::string folded = folded_handle(s.platform, s.handle);
    const bool resembles = !folded.empty() && contains_any(folded, own);
    // Another municipality's name in the account's name (and not ours).
    std::string other;
    if (!folded.empty() && !resembles && target_.other_names != nullptr) {
      for (const std::string& name : *target_.other_names) {
        if (contains_any(folded, name_tokens(name, 5))) {
          other = name;
          break;
        }
      }
    }
    std::string evidence;
    if (!s.evidence.empty()) {
      evidence = s.evidence;  // stands alone (the site's own feed or API link)
    } else if (s.rel_me) {
      evidence = "rel=\"me\"";
    } else if (s.in_chrome) {
      evidence = "in the page header, footer or navigation";
    } else if (s.pages.size() >= 2) {
      evidence = "on " + std::to_string(s.pages.size()) + " pages of the site";
    } else if (per_platform[s.platform] == 1 && resembles) {
      evidence = "the only " + s.platform + " account on the site, named like the municipality";
    }
    std::string reason;
    if (!other.empty() && !s.rel_me) {
      reason = "named like another municipality (" + other + ")";
    } else if (evidence.empty()) {
      reason = "only in a page's content beside " + std::to_string(per_platform[s.platform] - 1) +
               " other " + s.platform +
               " account(s): likely another body's (a Landkreis page linking its towns)";
      if (per_platform[s.platform] == 1) {
        reason = "only in a page's content, and not named like the municipality";
      }
    }
    if (!reason.empty()) {
      out.refusals.push_back({s.first_page, s.first_link, reason});
      continue;
    }
    if (s.pages.size() >= 2 && (s.rel_me || s.in_chrome)) {
      evidence += ", on " + std::to_string(s.pages.size()) + " pages";
    }
    out.proposals.push_back({s.platform, s.handle, s.first_page, s.first_link, evidence});
  }
  return out;
}

}  // namespace muni::registry
