// WordPress connector (blogs: municipal news and press pages on WordPress).
//
// The account is the site (wordpress_handle.h). The REST API, wp/v2
// (developer.wordpress.org/rest-api/; no login for published content):
//   GET /wp-json/wp/v2/posts?per_page=100&page=N&orderby=date&order=desc
//       &before=T&after=T&_fields=...
//       a JSON array; X-WP-Total (posts matching the query) and
//       X-WP-TotalPages in the headers; per_page at most 100; a page past
//       the last one answers 400 rest_post_invalid_page_number ("Pagination"
//       in the handbook; class-wp-rest-posts-controller.php), which ends a
//       listing and is no error. after/before compare with the post's
//       *local* date (the posts controller's date_query uses post_date), so
//       every bound muniscope sends is a day wider than needed
//       (kZoneMargin) and what comes twice is one upsert. Times are read
//       from date_gmt only: `date` is the site's local time without a zone.
//       _fields (WordPress 4.9+, "Global Parameters") keeps answers small;
//       older sites send every field, which reads the same.
//   GET /wp-json/wp/v2/comments?post=ID&per_page=100&page=N&orderby=id&order=asc
//       every approved comment of the post in one flat list, replies
//       included (`parent` names the comment answered, 0 for top-level),
//       so one listing per item reads every thread; ordered by id so that
//       new comments append and never shift a page. `author` is the user id
//       of a logged-in commenter, 0 for a guest.
//   Sites without pretty permalinks have no /wp-json/ path: a 404 web page
//   there is tried once more as /?rest_route=/wp/v2/... (the handbook's
//   "Routes and Endpoints"; the recorded samples' hrefs use that form).
//
// Units of work:
//   poll      the newest 100 posts (newest first). The first poll ever sends
//             before = now + kZoneMargin and keeps that bound ("anchor") for
//             backfill, so that posts published later never shift the pages
//             backfill reads. Later polls: when every post of the newest
//             page is newer than the newest stored one, a catch-up reads
//             after = head - kZoneMargin in ascending order, page by page
//             (kMaxCatchUpPages a poll), moving the head with each page.
//             The snapshot's post count is X-WP-Total of the unfiltered
//             listing (every published post). WordPress reports no
//             followers.
//   backfill  page N of the anchored listing, one page a unit, down to the
//             first post (kComplete with X-WP-Total as the expected count),
//             or to backfill_since. A page holding nothing older than the
//             pages before (a server that ignores `page` or leads back)
//             stops backfill as incomplete, with the reason.
//   refresh   posts?include=<the window's posts>: a post the site no longer
//             lists is a suspect, checked by itself (GET posts/ID, at most
//             kMaxDeletionChecks a unit): deleted only on WordPress's own
//             404 rest_post_invalid_id for it; anything else (401 for a post
//             made private, an error) is only noted as missing. An answer
//             with none of several posts is degraded: nothing is marked.
//             Then comment counts: one comments listing for all of them
//             (post=ID,ID,...) counted per post; only a complete reading
//             gives counts (0 included), else none. Posts carry no other
//             counts on WordPress: likes, shares and views stay unknown.
//   comments, comment_backfill
//             for each item of AccountView::comment_ids (at most
//             kMaxCommentItems a unit; the rest comes again): first one
//             posts?include= request for the items' comment_status, then
//             every page of each item's comments. One CommentSweep per
//             item: complete; disabled when comment_status is "closed" and
//             the item has no comment; partial, with the reason, when a
//             guard stopped the reading or the post is not readable.
//             Staff answers (CommentRecord::by_account): comments whose
//             `author` is a user id that authored the site's posts (the
//             cursor's "authors", gathered by polls and backfill), or whose
//             author_name is among the configured staff_names.
//
// Threads: WordPress threads comments by `parent` (default on; a site may
// switch threading off, and then every comment is top-level). muniscope
// stores `parent` as the comment answered; docs/platforms.md says what a
// site without threads means for the answered rule.
//
// REST API off: security plugins and hardened sites answer 401/403
// (rest_not_logged_in, rest_cannot_access, rest_forbidden), remove the
// routes (404 rest_no_route) or serve a web page instead of JSON. The poll
// then reads the site's feed (/feed/, else /?feed=rss2) with the RSS
// connector's parser (connectors/rss/rss_parse.h): the newest entries, with
// comment counts where the feed has slash:comments, keyed by the post id in
// their guid (?p=ID) so that they are the same items the API would give.
// The history note says why history is incomplete; backfill, refresh and
// comments do nothing in that mode, and every poll asks the API first, so
// a site that switches it back on is read through it again.
//
// Limits: WordPress core has no rate limit; hosts and web application
// firewalls do (not documented anywhere general). muniscope keeps to
// kRateRequests a minute per site by default.
//
// Cursor: anchor (the first poll's `before`, ms), route ("query" for
// ?rest_route=), head_at (newest plausible post time stored, ms), back (the
// next backfill page), back_oldest (the oldest plausible time backfill
// has read), back_pages (X-WP-TotalPages at the first poll), total
// (X-WP-Total of the last backfill page), authors (user ids of post
// authors, comma-separated), mode ("feed" while the API is off) and why.
#include "connectors/wordpress/wordpress_connector.h"

#include <algorithm>
#include <map>
#include <set>

#include "connectors/rss/rss_parse.h"
#include "connectors/toolkit.h"
#include "connectors/wordpress/wordpress_handle.h"
#include "connectors/wordpress/wordpress_parse.h"
#include "core/strings.h"
#include "engine/page_guard.h"

namespace muni {

namespace {

constexpr int kPerPage = 100;                // the REST API's per_page maximum
constexpr DurationMs kZoneMargin = kDayMs;   // after/before compare with local dates
constexpr int kMaxCatchUpPages = 10;         // 1,000 new posts a poll; the rest next poll
constexpr int64_t kBackfillSlackPages = 20;  // beyond X-WP-TotalPages of the first poll
constexpr size_t kMaxCommentItems = 50;      // items per comment unit
constexpr int kMaxCommentPagesPerItem = 20;  // 2,000 comments of one item per sweep
constexpr int kMaxRefreshPages = 20;         // comment count pages per refresh
constexpr size_t kMaxRefreshItems = 100;     // posts per refresh (one post= list)
constexpr size_t kMaxDeletionChecks = 10;    // suspects checked one by one per refresh
constexpr size_t kMaxAuthors = 100;          // staff user ids kept in the cursor
constexpr int kRateRequests = 60;            // per minute per site (politeness)

constexpr const char* kPostsAccept = "application/json";

// Migrated sites keep the dates of the pages they imported (press releases
// of the 1990s): only dates before the web are impossible, as for feeds.
TimeMs earliest_item() { return jan1_ms(1990); }

bool plausible(TimeMs t, TimeMs now) { return t >= earliest_item() && t <= now + kMaxFutureSkew; }

// ISO 8601 to the second, as the after/before parameters take it.
std::string iso_param(TimeMs t) {
  return url_encode(format_iso8601(t - ((t % 1000) + 1000) % 1000));
}

std::vector<std::string> split_ids(const std::string& joined) {
  std::vector<std::string> out;
  for (const std::string& part : split(joined, ',')) {
    if (!part.empty()) out.push_back(part);
  }
  return out;
}

std::string join_ids(const std::vector<std::string>& ids) { return join(ids, ","); }

void add_note(std::string& notes, const std::string& note) {
  if (notes.size() < 2000) notes += (notes.empty() ? "" : "; ") + note;
}

// The REST API's URL for `route` ("posts", "comments") with `query`.
std::string api_url(const AccountView& a, bool query_route, const std::string& route,
                    const std::string& query) {
  if (query_route) return a.handle + "/?rest_route=/wp/v2/" + route + "&" + query;
  return a.handle + "/wp-json/wp/v2/" + route + "?" + query;
}

HttpRequest api_get(std::string url) { return toolkit::get(std::move(url), kPostsAccept); }

wordpress::Paging paging_of(const HttpResponse& r) {
  return wordpress::parse_paging(r.header("X-WP-Total"), r.header("X-WP-TotalPages"));
}

// An answer of the API that is neither a listing nor the end of one.
StepResult api_failure(const HttpResponse& r, const std::string& what) {
  const auto e = wordpress::parse_error(r.body);
  const std::string detail = e ? e->code + (e->message.empty() ? "" : ": " + e->message) : "";
  return toolkit::fail_for_status(r, what, detail);
}

// The plausible times of a page's posts.
struct Span {
  std::optional<TimeMs> newest;
  std::optional<TimeMs> oldest;
};
Span span_of(const std::vector<PostRecord>& posts, TimeMs now) {
  Span s;
  for (const PostRecord& p : posts) {
    if (!plausible(p.created_at, now)) continue;
    if (!s.newest || p.created_at > *s.newest) s.newest = p.created_at;
    if (!s.oldest || p.created_at < *s.oldest) s.oldest = p.created_at;
  }
  return s;
}

// Post authors' user ids join the cursor's staff list.
void merge_authors(toolkit::CursorJson& c, const std::set<std::string>& authors) {
  std::vector<std::string> ids = split_ids(c.str("authors"));
  for (const std::string& a : authors) {
    if (ids.size() >= kMaxAuthors) break;
    if (std::find(ids.begin(), ids.end(), a) == ids.end()) ids.push_back(a);
  }
  c.set("authors", join_ids(ids));
}

std::string history_note_feed(const std::string& why) {
  return "the site's REST API is off (" + why +
         "): only its feed is read, the newest entries from the first poll on; older posts and "
         "comments are not available";
}

// --- poll -------------------------------------------------------------------

class Poll : public ConnectorSession {
 public:
  explicit Poll(AccountView a) : a_(std::move(a)), c_(toolkit::CursorJson::parse(a_.cursor)) {
    first_ = !c_.has("anchor");
    query_route_ = c_.str("route") == "query";
  }

  StepResult start() override { return StepResult::send(head_request()); }

  StepResult on_response(const HttpResponse& r) override {
    switch (state_) {
      case State::kHead:
        return on_head(r);
      case State::kCatchUp:
        return on_catch_up(r);
      case State::kFeed:
        return on_feed(r);
    }
    return StepResult::fail(FailureKind::kMalformed, "unexpected response");
  }

 private:
  enum class State { kHead, kCatchUp, kFeed };

  HttpRequest head_request() {
    state_ = State::kHead;
    std::string query = "per_page=" + std::to_string(kPerPage) +
                        "&page=1&orderby=date&order=desc&_fields=" + wordpress::kPostFields;
    if (first_) {
      anchor_ = a_.now + kZoneMargin;
      query += "&before=" + iso_param(anchor_);
    }
    return api_get(api_url(a_, query_route_, "posts", query));
  }

  HttpRequest catch_up_request() {
    state_ = State::kCatchUp;
    return api_get(
        api_url(a_, query_route_, "posts",
                "per_page=" + std::to_string(kPerPage) + "&page=" + std::to_string(catch_up_page_) +
                    "&orderby=date&order=asc&after=" + iso_param(catch_from_ - kZoneMargin) +
                    "&_fields=" + wordpress::kPostFields));
  }

  // A page of the API: the account is read through it (again).
  Page rest_page(const wordpress::Posts& posts, const wordpress::Paging& paging) {
    Page page;
    page.platform_id = a_.handle;
    if (c_.str("mode") == "feed")
      page.batch.events.push_back({"rest_api_on", "the site's REST API answers again"});
    c_.erase("mode").erase("why");
    AccountSnapshot snap;
    snap.platform_id = a_.handle;
    snap.handle = a_.handle;
    snap.profile_url = a_.handle + "/";
    snap.posts = paging.total;  // every published post (the listing has no filter)
    page.batch.snapshot = std::move(snap);
    page.batch.posts = posts.posts;
    page.batch.skipped = posts.skipped;
    merge_authors(c_, posts.authors);
    return page;
  }

  StepResult on_head(const HttpResponse& r) {
    if (auto off = wordpress::rest_off(r.status, r.body)) {
      if (off->html_404 && !query_route_) {
        // No /wp-json/ path: a site without pretty permalinks, perhaps.
        query_route_ = true;
        return StepResult::send(head_request());
      }
      return to_feed(off->reason);
    }
    if (r.status != 200) return api_failure(r, "posts");
    auto posts = wordpress::parse_posts(r.body);
    if (!posts.ok())
      return StepResult::fail(FailureKind::kMalformed, posts.error().message, r.status);
    const wordpress::Paging paging = paging_of(r);
    Page page = rest_page(*posts, paging);
    c_.set("route", query_route_ ? "query" : "");
    const Span span = span_of(posts->posts, a_.now);
    const size_t listed = posts->posts.size() + posts->skipped.size();
    const bool full =
        listed >= static_cast<size_t>(kPerPage) && (!paging.total_pages || *paging.total_pages > 1);
    if (first_ && listed == 0) return empty_first(std::move(page), paging);
    if (first_) {
      c_.erase("empty_polls");
      c_.set("anchor", anchor_);
      if (span.newest) c_.set("head_at", *span.newest);
      if (!full) {
        page.backfill_state = BackfillState::kComplete;
        page.expected_own_posts = paging.total;
      } else if (a_.backfill_since && span.oldest && *span.oldest < *a_.backfill_since) {
        page.backfill_state = BackfillState::kReachedStart;
      } else {
        page.backfill_state = BackfillState::kPending;
        c_.set("back", int64_t{2});
        c_.set("back_pages", paging.total_pages);
        c_.set("total", paging.total);
        c_.set("back_oldest", span.oldest);
      }
      page.cursor = c_.dump();
      return StepResult::finish(std::move(page));
    }
    const auto head = c_.opt_num("head_at");
    bool all_new = full && span.oldest.has_value() && head.has_value();
    for (const PostRecord& p : posts->posts) {
      if (all_new && plausible(p.created_at, a_.now) && p.created_at <= *head) all_new = false;
    }
    if (!all_new) {
      if (span.newest && (!head || *span.newest > *head)) c_.set("head_at", *span.newest);
      page.cursor = c_.dump();
      return StepResult::finish(std::move(page));
    }
    // More new posts than one page: read them oldest first from the head.
    catch_from_ = *head;
    page.cursor = c_.dump();
    return StepResult::send(catch_up_request(), std::move(page));
  }

  // The first listing came back empty: a site without posts (X-WP-Total
  // 0), or an answer that contradicts its own total, which closes nothing:
  // the next poll is a first poll again (toolkit::empty_first_page).
  StepResult empty_first(Page page, const wordpress::Paging& paging) {
    const int polls = static_cast<int>(c_.num("empty_polls")) + 1;
    const auto verdict = toolkit::empty_first_page(paging.total, polls, "posts listing", "posts");
    page.backfill_state = verdict.state;
    page.history_note = verdict.note;
    if (verdict.state == BackfillState::kComplete) {
      c_.erase("empty_polls");
      c_.set("anchor", anchor_);
      page.expected_own_posts = 0;
    } else {
      c_.set("empty_polls", int64_t{polls});
    }
    page.cursor = c_.dump();
    return StepResult::finish(std::move(page));
  }

  StepResult on_catch_up(const HttpResponse& r) {
    if (wordpress::is_past_last_page(r.status, r.body)) return StepResult::finish();
    if (r.status != 200) return api_failure(r, "posts (catch-up)");
    auto posts = wordpress::parse_posts(r.body);
    if (!posts.ok())
      return StepResult::fail(FailureKind::kMalformed, posts.error().message, r.status);
    const wordpress::Paging paging = paging_of(r);
    Page page;
    page.batch.posts = posts->posts;
    page.batch.skipped = posts->skipped;
    merge_authors(c_, posts->authors);
    const Span span = span_of(posts->posts, a_.now);
    const auto head = c_.opt_num("head_at");
    const bool progress = span.newest && (!head || *span.newest > *head);
    if (progress) c_.set("head_at", *span.newest);
    page.cursor = c_.dump();
    const size_t listed = posts->posts.size() + posts->skipped.size();
    const bool more = listed >= static_cast<size_t>(kPerPage) &&
                      (!paging.total_pages || catch_up_page_ < *paging.total_pages);
    if (!progress && more) {
      StepResult done = StepResult::finish(std::move(page));
      done.reason = "catch-up stopped: page " + std::to_string(catch_up_page_) +
                    " of the newer posts held nothing newer than the posts stored";
      return done;
    }
    if (!more || catch_up_page_ >= kMaxCatchUpPages) return StepResult::finish(std::move(page));
    ++catch_up_page_;
    return StepResult::send(catch_up_request(), std::move(page));
  }

  // --- the feed, where the REST API is off

  StepResult to_feed(const std::string& why) {
    why_ = why;
    state_ = State::kFeed;
    return StepResult::send(feed_request());
  }

  HttpRequest feed_request() {
    feed_url_ = feed_query_ ? a_.handle + "/?feed=rss2" : a_.handle + "/feed/";
    return toolkit::conditional_get(feed_url_);
  }

  Page feed_page() {
    Page page;
    page.history_note = history_note_feed(why_);
    if (a_.backfill_state != BackfillState::kComplete &&
        a_.backfill_state != BackfillState::kReachedStart)
      page.backfill_state = BackfillState::kIncomplete;
    if (c_.str("mode") != "feed")
      page.batch.events.push_back(
          {"rest_api_off", "the site's REST API is off (" + why_ + "); its feed is read instead"});
    c_.set("mode", "feed");
    c_.set("why", why_);
    page.cursor = c_.dump();
    return page;
  }

  StepResult on_feed(const HttpResponse& r) {
    if (r.status == 304) return StepResult::finish(feed_page());
    if (r.status == 404 && !feed_query_) {
      feed_query_ = true;
      return StepResult::send(feed_request());
    }
    if (r.status != 200)
      return toolkit::fail_for_status(r, "the site's feed (its REST API is off: " + why_ + ")");
    rss::FeedContext context;
    context.now = a_.now;
    context.earliest = earliest_item();
    context.latest = a_.now + kMaxFutureSkew;
    context.content_type = r.header("Content-Type").value_or("");
    auto feed = rss::parse_feed(r.body, feed_url_, context);
    if (!feed.ok()) {
      return StepResult::fail(FailureKind::kMalformed,
                              "the REST API is off (" + why_ +
                                  ") and the feed could not be read: " + feed.error().message,
                              r.status);
    }
    Page page = feed_page();
    AccountSnapshot snap = std::move(feed->snapshot);
    snap.platform_id = a_.handle;
    snap.handle = a_.handle;
    page.platform_id = a_.handle;
    page.batch.snapshot = std::move(snap);
    for (PostRecord& p : feed->items) {
      // WordPress writes every entry's guid as site/?p=ID: the API's id.
      if (const std::string id = wordpress::post_id_from_guid(p.platform_post_id); !id.empty())
        p.platform_post_id = id;
    }
    page.batch.posts = std::move(feed->items);
    page.batch.skipped = std::move(feed->skipped);
    return StepResult::finish(std::move(page));
  }

  AccountView a_;
  toolkit::CursorJson c_;
  State state_ = State::kHead;
  bool first_ = false;
  bool query_route_ = false;
  TimeMs anchor_ = 0;
  TimeMs catch_from_ = 0;
  int catch_up_page_ = 1;
  std::string why_;
  bool feed_query_ = false;
  std::string feed_url_;
};

// --- backfill ---------------------------------------------------------------

class Backfill : public ConnectorSession {
 public:
  explicit Backfill(AccountView a) : a_(std::move(a)), c_(toolkit::CursorJson::parse(a_.cursor)) {}

  StepResult start() override {
    back_ = c_.num("back");
    if (back_ <= 0 || c_.str("mode") == "feed" || !c_.has("anchor")) return StepResult::finish();
    return StepResult::send(
        api_get(api_url(a_, c_.str("route") == "query", "posts",
                        "per_page=" + std::to_string(kPerPage) + "&page=" + std::to_string(back_) +
                            "&orderby=date&order=desc&before=" + iso_param(c_.num("anchor")) +
                            "&_fields=" + wordpress::kPostFields)));
  }

  StepResult on_response(const HttpResponse& r) override {
    if (wordpress::is_past_last_page(r.status, r.body))
      return complete(Page{}, c_.opt_num("total"));
    if (auto off = wordpress::rest_off(r.status, r.body)) {
      return StepResult::fail(
          FailureKind::kServerError,
          "backfill: the REST API answered " + off->reason + "; tried again later", r.status);
    }
    if (r.status != 200)
      return api_failure(r, "posts (backfill page " + std::to_string(back_) + ")");
    auto posts = wordpress::parse_posts(r.body);
    if (!posts.ok())
      return StepResult::fail(FailureKind::kMalformed, posts.error().message, r.status);
    const wordpress::Paging paging = paging_of(r);
    if (paging.total) c_.set("total", *paging.total);
    Page page;
    page.batch.posts = posts->posts;
    page.batch.skipped = posts->skipped;
    merge_authors(c_, posts->authors);
    const size_t listed = posts->posts.size() + posts->skipped.size();
    if (listed == 0)
      return complete(std::move(page), paging.total ? paging.total : c_.opt_num("total"));
    const Span span = span_of(posts->posts, a_.now);
    const auto oldest_before = c_.opt_num("back_oldest");
    if (span.oldest && oldest_before && *span.oldest >= *oldest_before) {
      return stop(std::move(page),
                  "backfill stopped: page " + std::to_string(back_) +
                      " of the posts listing held nothing older than the pages before (the "
                      "server repeats pages or ignores `page`)");
    }
    const int64_t pages_then = c_.num("back_pages");
    if (back_ > (pages_then > 0 ? pages_then : 1000) + kBackfillSlackPages) {
      return stop(std::move(page), "backfill stopped: page " + std::to_string(back_) +
                                       " is far beyond the " + std::to_string(pages_then) +
                                       " pages X-WP-TotalPages gave when it started");
    }
    if (span.oldest) c_.set("back_oldest", *span.oldest);
    if (a_.backfill_since && span.oldest && *span.oldest < *a_.backfill_since) {
      c_.erase("back");
      page.backfill_state = BackfillState::kReachedStart;
      page.cursor = c_.dump();
      return StepResult::finish(std::move(page));
    }
    const bool more = listed >= static_cast<size_t>(kPerPage) &&
                      (!paging.total_pages || back_ < *paging.total_pages);
    if (!more) return complete(std::move(page), paging.total);
    c_.set("back", back_ + 1);
    page.backfill_state = BackfillState::kPending;
    page.cursor = c_.dump();
    return StepResult::finish(std::move(page));
  }

 private:
  StepResult complete(Page page, std::optional<int64_t> total) {
    c_.erase("back");
    page.backfill_state = BackfillState::kComplete;
    page.expected_own_posts = total;
    page.cursor = c_.dump();
    return StepResult::finish(std::move(page));
  }

  StepResult stop(Page page, const std::string& why) {
    c_.erase("back");
    page.backfill_state = BackfillState::kIncomplete;
    page.history_note = why;
    page.cursor = c_.dump();
    StepResult done = StepResult::finish(std::move(page));
    done.reason = why;
    return done;
  }

  AccountView a_;
  toolkit::CursorJson c_;
  int64_t back_ = 0;
};

// --- refresh: comment counts ------------------------------------------------

class Refresh : public ConnectorSession {
 public:
  explicit Refresh(AccountView a) : a_(std::move(a)), c_(toolkit::CursorJson::parse(a_.cursor)) {
    for (const std::string& id : a_.refresh_ids) {
      if (ids_.size() >= kMaxRefreshItems) break;
      if (parse_int64(id)) ids_.push_back(id);  // WordPress ids are numbers
    }
  }

  StepResult start() override {
    if (ids_.empty() || c_.str("mode") == "feed" || !c_.has("anchor")) return StepResult::finish();
    state_ = State::kPresent;
    return StepResult::send(
        api_get(api_url(a_, query_route(), "posts",
                        "include=" + join_ids(ids_) + "&per_page=" + std::to_string(kPerPage) +
                            "&_fields=id,comment_status")));
  }

  StepResult on_response(const HttpResponse& r) override {
    switch (state_) {
      case State::kPresent:
        return on_present(r);
      case State::kCheck:
        return on_check(r);
      case State::kCounts:
        return on_counts(r);
    }
    return StepResult::fail(FailureKind::kMalformed, "unexpected response");
  }

 private:
  enum class State { kPresent, kCheck, kCounts };

  bool query_route() const { return c_.str("route") == "query"; }

  StepResult rest_off_failure(const HttpResponse& r, const std::string& what) {
    const auto off = wordpress::rest_off(r.status, r.body);
    return StepResult::fail(FailureKind::kServerError,
                            what + ": the REST API answered " + off->reason, r.status);
  }

  // The window's posts that the site still lists. One left out is only a
  // suspect: it is deleted only on the API's own "not found" for it.
  StepResult on_present(const HttpResponse& r) {
    if (wordpress::rest_off(r.status, r.body)) return rest_off_failure(r, "posts (refresh)");
    if (r.status != 200) return api_failure(r, "posts (refresh)");
    auto present = wordpress::parse_comment_status(r.body);
    if (!present.ok())
      return StepResult::fail(FailureKind::kMalformed, present.error().message, r.status);
    std::vector<std::string> absent;
    for (const std::string& id : ids_) {
      if (present->count(id) == 0) absent.push_back(id);
    }
    if (!absent.empty() && absent.size() == ids_.size() && ids_.size() > 1) {
      // None of the posts asked for: a degraded answer, no evidence of
      // anything. Noted only; the counts are read all the same.
      evidence_.batch.missing_post_ids = absent;
      add_note(notes_, "posts?include= returned none of the " + std::to_string(ids_.size()) +
                           " requested posts (a degraded answer: nothing is marked deleted)");
    } else {
      for (const std::string& id : absent) {
        if (suspects_.size() < kMaxDeletionChecks)
          suspects_.push_back(id);
        else
          evidence_.batch.missing_post_ids.push_back(id);
      }
    }
    return next_check();
  }

  StepResult next_check() {
    if (suspects_.empty()) {
      state_ = State::kCounts;
      return StepResult::send(counts_request());
    }
    suspect_ = suspects_.back();
    suspects_.pop_back();
    state_ = State::kCheck;
    return StepResult::send(api_get(api_url(a_, query_route(), "posts/" + suspect_, "_fields=id")));
  }

  StepResult on_check(const HttpResponse& r) {
    const auto e = wordpress::parse_error(r.body);
    if (r.status == 404 && e && e->code == "rest_post_invalid_id") {
      // WordPress's own "not found" for this very post.
      evidence_.batch.deleted_post_ids.push_back(suspect_);
      ids_.erase(std::remove(ids_.begin(), ids_.end(), suspect_), ids_.end());
    } else if (r.status != 200) {
      // Private, protected, or an answer that proves nothing: noted only.
      evidence_.batch.missing_post_ids.push_back(suspect_);
    }
    return next_check();
  }

  StepResult on_counts(const HttpResponse& r) {
    if (wordpress::is_past_last_page(r.status, r.body)) return counted();
    if (wordpress::rest_off(r.status, r.body)) return rest_off_failure(r, "comment counts");
    if (r.status != 200) return api_failure(r, "comments (counts)");
    auto posts = wordpress::parse_comment_post_ids(r.body);
    if (!posts.ok())
      return StepResult::fail(FailureKind::kMalformed, posts.error().message, r.status);
    for (const std::string& p : *posts) {
      if (std::find(ids_.begin(), ids_.end(), p) == ids_.end()) {
        // A comment of a post not asked for: the server mixes listings up,
        // and no count from it is believed.
        add_note(notes_, "comment counts not stored: the answer held comments of post " + p +
                             ", which was not asked for");
        return finish(std::move(evidence_));
      }
      ++counts_[p];
    }
    const wordpress::Paging paging = paging_of(r);
    const bool more =
        listed(r.body) >= kPerPage && (!paging.total_pages || page_ < *paging.total_pages);
    if (!more) return counted();
    if (page_ >= kMaxRefreshPages) {
      add_note(notes_, "comment counts not stored: more than " + std::to_string(kMaxRefreshPages) +
                           " pages of comments for the window's posts");
      return finish(std::move(evidence_));
    }
    ++page_;
    return StepResult::send(counts_request());
  }

  // Entries of the page, whatever their status (a short page ends the listing).
  static int listed(const std::string& body) { return wordpress::count_entries(body); }

  HttpRequest counts_request() const {
    return api_get(api_url(a_, query_route(), "comments",
                           "post=" + join_ids(ids_) + "&per_page=" + std::to_string(kPerPage) +
                               "&page=" + std::to_string(page_) +
                               "&orderby=id&order=asc&_fields=id,post,status"));
  }

  StepResult finish(Page page) {
    StepResult done = StepResult::finish(std::move(page));
    done.reason = notes_;
    return done;
  }

  // The whole listing was read: every post's count, 0 included.
  StepResult counted() {
    Page page = std::move(evidence_);
    for (const std::string& id : ids_) {
      PostRecord p;
      p.platform_post_id = id;
      p.item_type = kItemArticle;
      p.counts_only = true;
      p.engagement.replies = counts_[id];
      page.batch.posts.push_back(std::move(p));
    }
    return finish(std::move(page));
  }

  AccountView a_;
  toolkit::CursorJson c_;
  std::vector<std::string> ids_;
  State state_ = State::kPresent;
  std::vector<std::string> suspects_;
  std::string suspect_;
  Page evidence_;  // deleted and missing posts
  std::map<std::string, int64_t> counts_;
  int page_ = 1;
  std::string notes_;
};

// --- comments ---------------------------------------------------------------

class Comments : public ConnectorSession {
 public:
  explicit Comments(AccountView a) : a_(std::move(a)), c_(toolkit::CursorJson::parse(a_.cursor)) {
    for (const std::string& id : a_.comment_ids) {
      if (items_.size() >= kMaxCommentItems) break;
      if (parse_int64(id)) items_.push_back(id);
    }
    for (const std::string& id : split_ids(c_.str("authors"))) staff_.user_ids.insert(id);
    const auto names = a_.settings.find("staff_names");
    if (names != a_.settings.end()) {
      const auto url = parse_url(a_.handle);
      staff_.names = wordpress::staff_names_for(names->second, url ? url->host : "");
    }
  }

  StepResult start() override {
    if (items_.empty() || c_.str("mode") == "feed" || !c_.has("anchor"))
      return StepResult::finish();
    state_ = State::kStatus;
    return StepResult::send(
        api_get(api_url(a_, query_route(), "posts",
                        "include=" + join_ids(items_) + "&per_page=" + std::to_string(kPerPage) +
                            "&_fields=id,comment_status")));
  }

  StepResult on_response(const HttpResponse& r) override {
    if (state_ == State::kStatus) return on_status(r);
    return on_comments(r);
  }

 private:
  enum class State { kStatus, kComments };

  bool query_route() const { return c_.str("route") == "query"; }

  StepResult on_status(const HttpResponse& r) {
    if (auto off = wordpress::rest_off(r.status, r.body))
      return StepResult::fail(FailureKind::kServerError,
                              "comments: the REST API answered " + off->reason, r.status);
    if (r.status == 200) {
      // Only for telling "comments off" apart; without it no item is
      // called disabled.
      if (auto status = wordpress::parse_comment_status(r.body); status.ok())
        status_ = std::move(*status);
    }
    return next_item(Page{});
  }

  HttpRequest comments_request() {
    state_ = State::kComments;
    return api_get(api_url(a_, query_route(), "comments",
                           "post=" + item_ + "&per_page=" + std::to_string(kPerPage) +
                               "&page=" + std::to_string(page_) +
                               "&orderby=id&order=asc&_fields=" + wordpress::kCommentFields));
  }

  StepResult next_item(Page page) {
    if (next_ >= items_.size()) {
      StepResult done = StepResult::finish(std::move(page));
      done.reason = notes_;
      return done;
    }
    item_ = items_[next_++];
    page_ = 1;
    last_id_ = 0;
    read_ = 0;
    foreign_ = false;
    return StepResult::send(comments_request(), std::move(page));
  }

  StepResult end_item(Page page, CommentSweepResult result, std::string note = "") {
    if (result == CommentSweepResult::kComplete && foreign_) {
      result = CommentSweepResult::kPartial;
      note = "the answer for post " + item_ + " held comments of other posts (left out)";
    }
    if (result == CommentSweepResult::kComplete && read_ == 0) {
      const auto it = status_.find(item_);
      if (it != status_.end() && it->second == "closed") result = CommentSweepResult::kDisabled;
    }
    if (!note.empty()) add_note(notes_, note);
    page.batch.comment_sweeps.push_back({item_, result, std::move(note)});
    return next_item(std::move(page));
  }

  StepResult on_comments(const HttpResponse& r) {
    if (wordpress::is_past_last_page(r.status, r.body))
      return end_item(Page{}, CommentSweepResult::kComplete);
    if (r.status == 401 || r.status == 403) {
      const auto e = wordpress::parse_error(r.body);
      if (e && e->code == "rest_cannot_read_post") {
        // A password-protected post: its comments are not public.
        return end_item(Page{}, CommentSweepResult::kPartial,
                        "the comments of post " + item_ + " are not readable (HTTP " +
                            std::to_string(r.status) + " " + e->code + ")");
      }
    }
    if (auto off = wordpress::rest_off(r.status, r.body))
      return StepResult::fail(FailureKind::kServerError,
                              "comments: the REST API answered " + off->reason, r.status);
    if (r.status != 200) return api_failure(r, "comments of post " + item_);
    auto list = wordpress::parse_comments(r.body, staff_);
    if (!list.ok())
      return StepResult::fail(FailureKind::kMalformed, list.error().message, r.status);
    Page page;
    for (CommentRecord& c : list->comments) {
      if (c.on_post_id.empty()) c.on_post_id = item_;
      if (c.on_post_id != item_) {
        // Comments of another post than the one asked for are not this
        // item's: a server that mixes them up is not believed, and the
        // item's reading is not complete.
        page.batch.skipped.push_back(
            {c.platform_comment_id,
             "a comment of post " + c.on_post_id + " in the answer for post " + item_});
        foreign_ = true;
        continue;
      }
      page.batch.comments.push_back(std::move(c));
    }
    page.batch.skipped.insert(page.batch.skipped.end(), list->skipped.begin(), list->skipped.end());
    read_ += static_cast<int64_t>(page.batch.comments.size());
    const wordpress::Paging paging = paging_of(r);
    const bool full = listed(r.body) >= kPerPage;
    const bool more = full && (!paging.total_pages || page_ < *paging.total_pages);
    if (!more) return end_item(std::move(page), CommentSweepResult::kComplete);
    if (list->first_id != 0 && list->first_id <= last_id_) {
      return end_item(std::move(page), CommentSweepResult::kPartial,
                      "the comments of post " + item_ + " stopped: page " + std::to_string(page_) +
                          " repeats comments of the page before");
    }
    if (page_ >= kMaxCommentPagesPerItem) {
      return end_item(std::move(page), CommentSweepResult::kPartial,
                      "the comments of post " + item_ + " stopped after " +
                          std::to_string(kMaxCommentPagesPerItem) +
                          " pages (the per-item limit of a sweep)");
    }
    last_id_ = std::max(last_id_, list->last_id);
    ++page_;
    return StepResult::send(comments_request(), std::move(page));
  }

  static int listed(const std::string& body) { return wordpress::count_entries(body); }

  AccountView a_;
  toolkit::CursorJson c_;
  wordpress::Staff staff_;
  std::vector<std::string> items_;
  std::map<std::string, std::string> status_;  // post id -> comment_status
  State state_ = State::kStatus;
  size_t next_ = 0;
  std::string item_;
  int page_ = 1;
  int64_t last_id_ = 0;
  int64_t read_ = 0;
  bool foreign_ = false;  // the current item's answer held other posts' comments
  std::string notes_;
};

class WordPressConnector : public Connector {
 public:
  std::string_view platform() const override { return "wordpress"; }
  std::string host_for(const AccountView& account) const override {
    return toolkit::host_key(account.handle).value_or(account.handle);
  }
  std::unique_ptr<ConnectorSession> begin(const AccountView& account,
                                          WorkKind work) const override {
    return toolkit::session_for<Poll, Backfill, Refresh, Comments>(account, work);
  }
};

}  // namespace

PlatformDescriptor wordpress_platform() {
  PlatformDescriptor d;
  d.id = "wordpress";
  d.display_name = "WordPress";
  d.category = Category::kBlog;
  d.earliest_item_ms = earliest_item();
  d.canonical_handle = canonical_wordpress_site;
  d.capabilities.connector = true;
  d.capabilities.full_history = true;  // through the REST API (not where it is off)
  d.capabilities.comments = true;
  d.settings = {{"staff_names", SettingSpec::Type::kString,
                 "comment author names that answer for the site: \"Name, Name\" for every site, "
                 "\"host=Name\" for one site"}};
  d.work = {{WorkKind::kPoll},
            {WorkKind::kRefresh, 24 * kHourMs},
            {WorkKind::kComments, 24 * kHourMs},
            // Comment backfill (engine): every item's comments once, then
            // every defaults.comment_resweep_interval; idle checks every 6 h.
            {WorkKind::kCommentBackfill, 6 * kHourMs},
            {WorkKind::kBackfill}};
  d.rate_requests = kRateRequests;
  d.rate_window_ms = kMinuteMs;
  d.note =
      "WordPress sites are read through their REST API (/wp-json/wp/v2); where a site has it "
      "switched off, only its feed is read (newest entries, no history, no comments)";
  return d;
}

std::unique_ptr<Connector> make_wordpress_connector() {
  return std::make_unique<WordPressConnector>();
}

}  // namespace muni
