#include "fuzz_targets.h"

#include <algorithm>
#include <cstdlib>
#include <string>
#include <string_view>

#include "config/config.h"
#include "connectors/bluesky/bluesky_parse.h"
#include "connectors/mastodon/mastodon_parse.h"
#include "connectors/rss/rss_parse.h"
#include "connectors/youtube/youtube_parse.h"
#include "core/html_text.h"
#include "core/json.h"
#include "core/text_safety.h"
#include "core/time_util.h"
#include "engine/http.h"
#include "engine/net_policy.h"
#include "engine/page_guard.h"
#include "engine/rate_limit.h"
#include "survey/codebook.h"

namespace muni::fuzz {

namespace {

std::string_view as_text(const uint8_t* data, size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

// Invariants every parser output must keep, whatever the input.
void check_text(const std::string& s) {
  std::string copy = s;
  repair_utf8(copy);
  if (!is_valid_utf8(copy)) std::abort();
  const std::string shown = printable(s, 200);
  for (const char c : shown) {
    if (static_cast<unsigned char>(c) < 0x20) std::abort();  // a control character got through
  }
}

// What the engine does with every page: the guard, then invariants on it.
void guard(Page& page) {
  (void)guard_page(page, 0, 4102444800000 /* 2100-01-01 */);
  for (const PostRecord& p : page.batch.posts) {
    if (!is_valid_utf8(p.text) || !is_valid_utf8(p.platform_post_id)) std::abort();
    for (const auto& c : {p.engagement.likes, p.engagement.replies, p.engagement.reposts,
                          p.engagement.quotes, p.engagement.views}) {
      if (c && (*c < 0 || *c > kMaxPlausibleCount)) std::abort();
    }
  }
}

void json(const uint8_t* data, size_t size) {
  auto doc = parse_json(as_text(data, size));
  if (!doc.ok()) {
    check_text(doc.error().message);
    return;
  }
  if ((*doc)->IsObject()) {
    for (const char* key : {"id", "cursor", "count", "error"}) {
      (void)json_int(**doc, key);
      (void)json_count(**doc, key);
      if (auto s = json_string(**doc, key)) check_text(*s);
    }
  }
}

void mastodon(const uint8_t* data, size_t size) {
  const std::string_view body = as_text(data, size);
  if (auto a = mastodon::parse_account(body); a.ok()) {
    Page page;
    page.batch.snapshot = a->snapshot;
    guard(page);
  }
  if (auto s = mastodon::parse_statuses(body, "109318765432109876"); s.ok()) {
    Page page;
    page.batch.posts = s->posts;
    guard(page);
  }
  (void)mastodon::parse_actor_aliases(body);
  check_text(mastodon::error_text(body));
  (void)mastodon::snowflake_time(body);
}

void bluesky(const uint8_t* data, size_t size) {
  const std::string_view body = as_text(data, size);
  if (auto p = bluesky::parse_profile(body); p.ok()) {
    Page page;
    page.batch.snapshot = *p;
    guard(page);
  }
  if (auto f = bluesky::parse_author_feed(body, "did:plc:mustrstadt2345abcdefghij"); f.ok()) {
    Page page;
    for (auto& item : f->items) page.batch.posts.push_back(item.post);
    guard(page);
  }
  (void)bluesky::parse_posts_counts(body);
  (void)bluesky::parse_error(body);
  (void)bluesky::did_of_uri(body);
  (void)bluesky::web_url_of(body);
}

void config_yaml(const uint8_t* data, size_t size) {
  const ConfigLoad load = load_config_from_string(std::string(as_text(data, size)), "fuzz.yaml");
  for (const ConfigIssue& e : load.errors) check_text(e.format());
}

void codebook_yaml(const uint8_t* data, size_t size) {
  (void)survey::load_codebook_from_string(std::string(as_text(data, size)), "fuzz.codebook.yaml");
}

void answers_csv(const uint8_t* data, size_t size) {
  const std::string text(as_text(data, size));
  for (const char delimiter : {'\0', ',', ';'}) (void)survey::parse_answers(text, "fuzz.csv", delimiter);
}

// Lines "Name: value" as response headers, through everything that reads
// headers: the rate limiter (every spelling), Retry-After, dates, Link.
void rate_limit_headers(const uint8_t* data, size_t size) {
  HttpResponse r;
  r.status = size > 0 && data[0] % 2 == 0 ? 429 : 200;
  std::string_view text = as_text(data, size);
  while (!text.empty()) {
    const size_t nl = text.find('\n');
    const std::string_view line = text.substr(0, nl);
    const size_t colon = line.find(':');
    if (colon != std::string_view::npos) {
      r.headers.push_back({std::string(line.substr(0, colon)), std::string(line.substr(colon + 1))});
    }
    if (nl == std::string_view::npos) break;
    text.remove_prefix(nl + 1);
  }
  const TimeMs now = 1767225600000;
  RateLimiter limiter({300, 5 * kMinuteMs});
  limiter.observe(r, now);
  if (r.status == 429) limiter.on_too_many_requests(r, now, now - 10);
  const TimeMs wait = limiter.try_acquire(now, 2);
  // No header may stall a host for more than a day, or wait in the past.
  if (wait != 0 && (wait < now || wait > now + kDayMs + RateLimiter::kResetMarginMs + 1))
    std::abort();
  if (auto until = limiter.blocked_until(now); until && *until > now + kDayMs + 1) std::abort();
  for (const HttpHeader& h : r.headers) {
    (void)parse_retry_after(h.value, now);
    (void)parse_http_date(h.value);
    (void)parse_iso8601(h.value);
    (void)parse_link_header(h.value);
    (void)parse_duration(h.value);
    (void)resolve_redirect("https://social.example/api/v1/x?y=1", h.value);
  }
}

void html(const uint8_t* data, size_t size) {
  const std::string_view text = as_text(data, size);
  check_text(html_to_text(text));
  (void)decode_entities(text);
  (void)count_external_links(text);
}

void text(const uint8_t* data, size_t size) {
  std::string s(as_text(data, size));
  repair_utf8(s);
  if (!is_valid_utf8(s)) std::abort();
  if (s.find('\0') != std::string::npos) std::abort();
  check_text(std::string(as_text(data, size)));
  if (printable_cell(as_text(data, size)).find('\n') != std::string::npos) std::abort();
}

// RSS 2.0 / RSS 1.0 / Atom through libxml2: items keep valid text, plausible
// counts, and an entity bomb never expands.
void feed(const uint8_t* data, size_t size) {
  auto parsed = rss::parse_feed(as_text(data, size), "https://www.stadt.example/feed.xml",
                                1767225600000);
  if (!parsed.ok()) {
    check_text(parsed.error().message);
    return;
  }
  check_text(parsed->snapshot.display_name);
  Page page;
  page.batch.posts = std::move(parsed->items);
  for (const PostRecord& p : page.batch.posts) {
    check_text(p.title);
    if (p.text.size() > 4 * size + 64) std::abort();  // text cannot outgrow its input
  }
  guard(page);
}

// Every YouTube parser: the Data API's JSON answers and the channel feed.
void youtube(const uint8_t* data, size_t size) {
  const std::string_view text = as_text(data, size);
  Page page;
  if (auto v = youtube::parse_videos(text); v.ok()) page.batch.posts = std::move(v->posts);
  if (auto c = youtube::parse_channels(text); c.ok()) {
    for (const auto& ch : *c) check_text(ch.snapshot.display_name);
  }
  (void)youtube::parse_playlist_items(text);
  for (auto* parse : {youtube::parse_comment_threads, youtube::parse_comments}) {
    if (auto page_of = parse(text, "UCm0sterSt4dtRathaus0Xyz"); page_of.ok()) {
      for (const CommentRecord& c : page_of->comments) check_text(c.text);
    }
  }
  if (auto e = youtube::parse_error(text)) check_text(e->message);
  if (auto f = youtube::parse_feed(text); f.ok()) {
    for (PostRecord& p : f->posts) page.batch.posts.push_back(std::move(p));
  }
  guard(page);
}

std::vector<Target>& registered() {
  static std::vector<Target> kRegistered;
  return kRegistered;
}

}  // namespace

Registrar::Registrar(Target target) { registered().push_back(std::move(target)); }

const std::vector<Target>& targets() {
  static const std::vector<Target> kTargets = [] {
    std::vector<Target> all = {
      {"json", json, {"mastodon", "bluesky"}},
      {"mastodon", mastodon, {"mastodon"}},
      {"bluesky", bluesky, {"bluesky"}},
      {"config_yaml", config_yaml, {"../../config"}},
      {"codebook_yaml", codebook_yaml, {"../../config/survey"}},
      {"answers_csv", answers_csv, {"../../config/survey"}},
      {"rate_limit_headers", rate_limit_headers, {"mastodon", "bluesky"}},
      {"html", html, {"mastodon"}},
      {"text", text, {"mastodon"}},
      {"feed", feed, {"rss", "youtube"}},
      {"youtube", youtube, {"youtube"}},
    };
    for (const Target& t : registered()) all.push_back(t);
    std::sort(all.begin(), all.end(),
              [](const Target& a, const Target& b) { return a.name < b.name; });
    return all;
  }();
  return kTargets;
}

const Target* find_target(const std::string& name) {
  for (const Target& t : targets()) {
    if (t.name == name) return &t;
  }
  return nullptr;
}

}  // namespace muni::fuzz
