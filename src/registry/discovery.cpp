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

struct Link {
  std::string host;  // without "www.", "m.", "mobile."
  std::vector<std::string> segments;
  std::string query;
};

std::optional<Link> split_link(std::string_view url) {
  auto parts = parse_url(url);
  if (!parts) return std::nullopt;
  Link link;
  link.host = parts->host;
  for (const char* prefix : {"www.", "m.", "mobile.", "de-de.", "de.", "web."}) {
    if (starts_with(link.host, prefix)) {
      link.host = link.host.substr(std::string_view(prefix).size());
      break;
    }
  }
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

bool all_of_chars(std::string_view s, std::string_view allowed_punct, size_t min, size_t max) {
  if (s.size() < min || s.size() > max) return false;
  return std::all_of(s.begin(), s.end(), [&](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) ||
           allowed_punct.find(c) != std::string_view::npos;
  });
}

LinkVerdict refuse(std::string platform, std::string reason) {
  return {std::move(platform), "", std::move(reason)};
}

LinkVerdict accept(const std::string& platform, std::string_view raw) {
  const PlatformDescriptor* d = find_platform(platform);
  if (d == nullptr) return refuse(platform, "platform not known to this build");
  auto canonical = d->canonicalize(raw);
  if (!canonical.ok()) return refuse(platform, canonical.error().message);
  return {platform, *canonical, ""};
}

// Reserved first path segments: pages of the platform, not accounts.
bool reserved(std::string_view segment, std::initializer_list<std::string_view> words) {
  const std::string s = to_lower_ascii(segment);
  return std::find(words.begin(), words.end(), s) != words.end();
}

LinkVerdict classify_facebook(const Link& l) {
  if (l.segments.empty()) return refuse("facebook", "the platform's home page");
  const std::string first = to_lower_ascii(l.segments[0]);
  if (first == "sharer.php" || first == "sharer" || first == "share.php" || first == "share" ||
      first == "dialog" || first == "plugins") {
    return refuse("facebook", "a share button, not an account");
  }
  if (first == "profile.php") {
    auto id = url_query_param("?" + l.query, "id");
    if (id && all_of_chars(*id, "", 5, 20)) return accept("facebook", *id);
    return refuse("facebook", "profile.php without a numeric id");
  }
  if (first == "pages" && l.segments.size() >= 3 && all_of_chars(l.segments[2], "", 5, 20)) {
    return accept("facebook", l.segments[2]);  // /pages/Name/123456
  }
  if (reserved(first, {"home.php", "login", "login.php", "policy.php", "policies", "privacy",
                       "help", "events", "hashtag", "watch", "photo.php", "photo", "permalink.php",
                       "story.php", "tr", "groups", "gaming", "marketplace", "legal", "about",
                       "pages", "public", "people", "search", "settings"})) {
    return refuse("facebook", "a Facebook page that is not an account (/" + first + ")");
  }
  if (l.segments.size() >= 2 && reserved(l.segments[1], {"posts", "videos", "photos"}) &&
      l.segments.size() >= 3) {
    return refuse("facebook", "a post, not the account (link to the account instead)");
  }
  // Facebook user names: letters, digits and dots, at least 5 characters.
  if (!all_of_chars(l.segments[0], ".-", 5, 50)) {
    return refuse("facebook", "not a Facebook user name");
  }
  return accept("facebook", to_lower_ascii(l.segments[0]));
}

LinkVerdict classify_instagram(const Link& l) {
  if (l.segments.empty()) return refuse("instagram", "the platform's home page");
  const std::string first = to_lower_ascii(l.segments[0]);
  if (reserved(first, {"p", "reel", "reels", "tv", "explore", "accounts", "about", "legal",
                       "direct", "developer"})) {
    return refuse("instagram", "a post or Instagram page, not an account (/" + first + ")");
  }
  std::string name = l.segments[0];
  if (first == "stories" && l.segments.size() >= 2) name = l.segments[1];
  if (!all_of_chars(name, "._", 1, 30)) return refuse("instagram", "not an Instagram user name");
  return accept("instagram", to_lower_ascii(name));
}

LinkVerdict classify_x(const Link& l) {
  if (l.segments.empty()) return refuse("x", "the platform's home page");
  const std::string first = to_lower_ascii(l.segments[0]);
  if (first == "intent" || first == "share" || first == "widgets.js") {
    return refuse("x", "a share button, not an account");
  }
  if (reserved(first, {"home", "hashtag", "search", "i", "explore", "login", "privacy", "tos",
                       "settings", "notifications", "messages"})) {
    return refuse("x", "an X page that is not an account (/" + first + ")");
  }
  if (l.segments.size() >= 2 && to_lower_ascii(l.segments[1]) == "status") {
    return refuse("x", "a post, not the account (link to the account instead)");
  }
  std::string name = l.segments[0];
  if (!name.empty() && name[0] == '@') name = name.substr(1);
  if (!all_of_chars(name, "_", 1, 15)) return refuse("x", "not an X user name");
  return accept("x", to_lower_ascii(name));
}

LinkVerdict classify_bluesky(const Link& l) {
  if (l.segments.empty()) return refuse("bluesky", "the platform's home page");
  if (to_lower_ascii(l.segments[0]) == "intent") {
    return refuse("bluesky", "a share button, not an account");
  }
  if (to_lower_ascii(l.segments[0]) != "profile" || l.segments.size() < 2) {
    return refuse("bluesky", "a Bluesky page that is not a profile");
  }
  if (l.segments.size() >= 4 && l.segments[2] == "post") {
    return refuse("bluesky", "a post, not the account (link to the account instead)");
  }
  return accept("bluesky", l.segments[1]);
}

LinkVerdict classify_telegram(const Link& l) {
  if (l.segments.empty()) return refuse("telegram", "the platform's home page");
  std::string first = l.segments[0];
  if (to_lower_ascii(first) == "share") return refuse("telegram", "a share button, not an account");
  if (to_lower_ascii(first) == "joinchat" || first[0] == '+') {
    return refuse("telegram", "a private invitation link, not a public channel");
  }
  if (to_lower_ascii(first) == "s" && l.segments.size() >= 2) first = l.segments[1];
  if (l.segments.size() >= 2 && to_lower_ascii(l.segments[0]) != "s") {
    return refuse("telegram", "a message, not the channel (link to the channel instead)");
  }
  // Public usernames: 5 to 32 of a-z, 0-9 and underscores (Telegram FAQ).
  if (!all_of_chars(first, "_", 5, 32)) return refuse("telegram", "not a Telegram user name");
  return accept("telegram", to_lower_ascii(first));
}

LinkVerdict classify_threads(const Link& l) {
  if (l.segments.empty()) return refuse("threads", "the platform's home page");
  const std::string& first = l.segments[0];
  if (first.size() < 2 || first[0] != '@') return refuse("threads", "not a Threads profile");
  if (l.segments.size() >= 2) return refuse("threads", "a post, not the account");
  const std::string name = first.substr(1);
  if (!all_of_chars(name, "._", 1, 30)) return refuse("threads", "not a Threads user name");
  return accept("threads", to_lower_ascii(name));
}

LinkVerdict classify_youtube(const Link& l, std::string_view url) {
  if (l.host == "youtu.be" || l.host == "youtube-nocookie.com") {
    return refuse("youtube", "a video, not a channel");
  }
  if (l.segments.empty()) return refuse("youtube", "the platform's home page");
  const std::string first = to_lower_ascii(l.segments[0]);
  if (reserved(first, {"watch", "embed", "playlist", "shorts", "results", "feed", "live",
                       "share", "redirect", "t", "about", "howyoutubeworks"})) {
    return refuse("youtube", "a video or YouTube page, not a channel (/" + first + ")");
  }
  (void)url;
  std::string raw;
  if (first == "channel" && l.segments.size() >= 2) {
    raw = "https://www.youtube.com/channel/" + l.segments[1];
  } else if (first == "user" && l.segments.size() >= 2) {
    raw = "https://www.youtube.com/user/" + l.segments[1];
  } else if (first == "c" && l.segments.size() >= 2) {
    raw = "https://www.youtube.com/c/" + l.segments[1];  // refused by the canonicalizer, with a hint
  } else if (l.segments[0][0] == '@') {
    raw = "https://www.youtube.com/" + l.segments[0];
  } else {
    return refuse("youtube", "not a channel address (/channel/UC…, /@handle or /user/Name)");
  }
  return accept("youtube", raw);
}

// Hosts whose "/@name" addresses are not Mastodon accounts.
bool non_mastodon_host(std::string_view host) {
  static const std::array<std::string_view, 8> kHosts = {
      "medium.com",  "tiktok.com",     "threads.net", "threads.com",
      "youtube.com", "soundcloud.com", "github.com",  "linktr.ee"};
  return std::find(kHosts.begin(), kHosts.end(), host) != kHosts.end();
}

// Tracking and redirect services: the target is in a query parameter.
std::optional<std::string> redirect_target(std::string_view url) {
  for (const char* key : {"u", "url", "target", "redirect", "link", "to", "goto", "dest", "q"}) {
    auto value = url_query_param(url, key);
    if (!value) continue;
    if (starts_with(*value, "http://") || starts_with(*value, "https://")) return *value;
  }
  return std::nullopt;
}

LinkVerdict classify_direct(std::string_view url, bool rel_me) {
  auto l = split_link(url);
  if (!l) return {};
  const std::string& h = l->host;
  if (h == "facebook.com" || h == "fb.com" || h == "fb.me") return classify_facebook(*l);
  if (h == "l.facebook.com" || h == "lm.facebook.com") {
    return refuse("facebook", "a Facebook tracking redirect");
  }
  if (h == "instagram.com" || h == "instagr.am") return classify_instagram(*l);
  if (h == "twitter.com" || h == "x.com") return classify_x(*l);
  if (h == "bsky.app") return classify_bluesky(*l);
  if (h == "t.me" || h == "telegram.me") return classify_telegram(*l);
  if (h == "threads.net" || h == "threads.com") return classify_threads(*l);
  if (h == "youtube.com" || h == "youtu.be" || h == "youtube-nocookie.com") {
    return classify_youtube(*l, url);
  }
  // A fediverse address: https://host/@user (or /users/user when rel="me"
  // says it is the site's own). Without rel="me" only the /@user form on a
  // host that is not known to be something else.
  if (!non_mastodon_host(h) && !l->segments.empty()) {
    const std::string& first = l->segments[0];
    const bool at_form = first.size() > 1 && first[0] == '@' && l->segments.size() == 1;
    const bool users_form = rel_me && l->segments.size() == 2 && first == "users";
    if (at_form || users_form) {
      auto parts = parse_url(url);
      const std::string user = at_form ? first.substr(1) : l->segments[1];
      if (user.find('@') != std::string::npos) {
        // https://host/@user@other.host: a remote account shown on this host.
        return accept("mastodon", "@" + user);
      }
      if (parts && parts->scheme == "https" && parts->port == 0) {
        return accept("mastodon", "@" + user + "@" + parts->host);
      }
      return accept("mastodon", url);
    }
  }
  return {};
}

}  // namespace

LinkVerdict classify_account_link(std::string_view url, bool rel_me) {
  LinkVerdict direct = classify_direct(url, rel_me);
  const bool tracking = direct.refused == "a Facebook tracking redirect";
  if (!direct.platform.empty() && !tracking) return direct;
  // Not a platform link (or a platform's tracking redirect): a redirect
  // service whose target is an account counts as that account; muniscope
  // never fetches the redirect itself.
  if (auto target = redirect_target(url)) {
    LinkVerdict inner = classify_direct(*target, false);
    if (!inner.platform.empty()) return inner;
    if (tracking) return refuse("facebook", "a tracking redirect to something that is no account");
  }
  return direct;
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
        for (const std::string& r : split(rel, ' ')) link.rel_me |= r == "me";
        if (name == "link") {
          const std::string type = to_lower_ascii(child.attr("type").value_or(""));
          link.feed = rel.find("alternate") != std::string::npos &&
                      (type == "application/rss+xml" || type == "application/atom+xml");
          if (!link.feed && !link.rel_me) {
            walk(child, in_chrome, base, out, depth + 1);
            continue;
          }
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
      "stadt", "gemeinde", "markt", "landkreis", "kreis", "hansestadt", "universitaetsstadt",
      "bad",   "sankt",    "der",   "die",       "das",   "und",        "an",
      "am",    "im",       "in",    "ob",        "bei",   "vor",        "den",
      "dem",   "st",       "ostseebad", "kurort", "amt",  "samtgemeinde", "verbandsgemeinde"};
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

// The account name part of a canonical handle, folded.
std::string folded_handle(const std::string& platform, const std::string& handle) {
  std::string h = handle;
  if (platform == "mastodon") {
    if (starts_with(h, "@")) h = h.substr(1);
    h = h.substr(0, h.find('@'));
  } else if (platform == "bluesky") {
    h = h.substr(0, h.find('.'));  // "stadt-x.bsky.social" -> "stadt-x"; domain handles keep their first label
  } else if (platform == "youtube") {
    if (starts_with(h, "user:")) h = h.substr(5);
  } else if (platform == "rss") {
    return "";
  }
  return fold_name(h);
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
    if (link.feed || !same_site(link.url)) continue;
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
    LinkVerdict v;
    if (link.feed) {
      if (!same_site(link.url)) continue;  // another site's feed says nothing about this one
      v = accept("rss", link.url);
    } else {
      v = classify_account_link(link.url, link.rel_me);
    }
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
      seen_.push_back({v.platform, v.handle, std::string(page_url), link.url, {}, false, false,
                       link.feed});
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
    if (s.feed) {
      evidence = "the site's own feed (<link rel=\"alternate\">)";
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
