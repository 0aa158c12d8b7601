// Lemmy connector (forum).
//
// Endpoints (HTTP API v3 of Lemmy 0.19; the request and response types of
// lemmy-js-client release/v0.19, src/types/*.ts; join-lemmy.org docs; facts
// with sources in ../shared/reference/platform-api-open.md §4a). No
// credential; every request goes to the actor's home instance, the host of
// its handle (lemmy_handle.h):
//   GET /api/v3/site                              `version`: read on the
//       first poll and every kSiteRecheckPolls polls after, shown as the
//       event instance_version. Lemmy 1.0 renamed fields (published ->
//       published_at, actor_id -> ap_id, counts moved into the objects) and
//       pages with page_cursor / next_page: both spellings are read whatever
//       the version says (lemmy_parse.h). Whether a 1.0 instance still
//       answers every /api/v3 path is not verified here.
//   GET /api/v3/community?name=N                  community_view{community,
//       counts{subscribers, posts, comments, users_active_month}}: the
//       snapshot, and the instance-local community id.
//   GET /api/v3/post/list?community_id=&type_=All&sort=New&limit=50&page=P
//       {posts:[PostView], next_page?}, newest first. Only sort=New pages
//       without repeating posts across pages (LemmyNet/lemmy#4961); 50 is
//       the largest limit (fetch_limit). Where the answer carries next_page
//       (0.19's cursor, 1.0's only way), the next page is asked by
//       page_cursor instead of page. Posts pinned in the community
//       (featured_community) or on the instance come first whatever their
//       age, so they never decide where a catch-up stops.
//   GET /api/v3/user?username=N&sort=New&limit=50&page=P
//       person_view{person, counts{post_count, comment_count}}, and a page
//       of the person's posts and of their comments.
//   GET /api/v3/post?id=X                         one post: its creator (is
//       it a citizen's?), current counts, and the per-item evidence of a
//       deletion (404 not_found / couldnt_find_post, or deleted/removed set).
//   GET /api/v3/comment/list?post_id=X&type_=All&sort=Old&limit=50&page=P
//       every comment of the post, flat, oldest first (new comments append,
//       so pages do not shift); `path` "0.a.b.c" gives the tree. type_=All:
//       without it an instance whose default listing is Local would leave
//       out comments from people on other instances.
//
// The account and its items. A community is the account: every post in it
// is an item (item type "post"), as a forum's topics are. Who answers for
// the municipality is configured (platforms.lemmy.staff_persons: Lemmy has
// no notion of an official account); moderators are not staff by default.
// A person is the account: its posts are items, and its comments on posts
// are items of type "comment" (reply_other, or reply_self on its own post,
// ids "comment:<id>"). The person and the configured staff persons answer
// for it.
//
// Dialogue (docs/metrics.md, "Answered: one rule on every platform"). A
// post a citizen opened is a thread of its own: it is stored as well as the
// opening comment "post:<id>" (not by the account), every top-level comment
// under it answers that opening, and a staff comment anywhere below
// answers the citizen. Under a post of the account, each citizen's
// top-level comment opens a thread. Deleted and removed comments are
// nobody's: never stored, never an answer; their ids go to
// missing_comment_ids, and a comment below one answers the nearest comment
// above it that is not gone, so threads stay whole.
//
// Paging. A poll reads from the newest post down until a page holds a post
// (not pinned) older than the newest one stored before (`head`), at most
// kMaxPagesPerPoll pages; a longer catch-up leaves the rest to backfill,
// reopened from there (posts read twice are upserted, none is skipped).
// Backfill reads one page per unit below the first poll's page: by page
// number (new posts shift pages down, so posts repeat, never go missing) or
// by the cursor the instance gave; a page whose oldest post is no older than
// the oldest backfill had read (the instance ignores the page asked for)
// counts as a stall, and after kMaxStalls backfill stops as incomplete with
// the reason. A page shorter than the limit is the end of the history.
//
// Rate limits. Lemmy sends no rate-limit headers. Reads fall into its
// "message" bucket per IP (crates/utils/src/rate_limit/mod.rs: the test
// configuration allows 180 per 60 s; production values are the admin's).
// Lemmy 0.19 refuses with HTTP 400 {"error":"rate_limit_error"}: read here
// as a throttle of the host (kRateLimitWait, the bucket's window), not as an
// error. Newer releases answer 429 (crates/utils/src/rate_limit_new.rs,
// actix-extensible-rate-limit), which the engine handles itself.
//
// Errors: {"error": "<type>", "message"?} (crates/utils/src/error.rs).
// not_found and couldnt_find_* for the community or person: not found;
// instance_is_private: auth required; a deleted community or person: gone;
// a removed community or a banned person: suspended; anything else 4xx:
// malformed with the instance's error text.
//
// Cursor (JSON): version ("?" when unreadable), site_in (polls until the
// version is read again), cid (community id), head (the newest post or
// comment time stored, ms), polled (1 after the first poll), back_page or
// back_cursor (where backfill goes on; absent: no backfill to do),
// back_oldest (the oldest time backfill read), back_stall, empty_polls.
#include "connectors/lemmy/lemmy_connector.h"

#include <algorithm>
#include <set>

#include "connectors/lemmy/lemmy_handle.h"
#include "connectors/lemmy/lemmy_parse.h"
#include "connectors/toolkit.h"
#include "core/strings.h"
#include "engine/page_guard.h"

namespace muni {

namespace {

constexpr int kLimit = 50;  // fetch_limit's maximum (0.19)
constexpr int kMaxPagesPerPoll = 10;
constexpr int kMaxStalls = 3;
constexpr int kSiteRecheckPolls = 50;
constexpr int kMaxRefreshPages = 3;
constexpr int kMaxChecksPerUnit = 10;
constexpr size_t kMaxCommentItems = 20;      // items per comment unit
constexpr int kMaxCommentPagesPerItem = 40;  // 2,000 comments of one post
constexpr DurationMs kRateLimitWait = 60 * 1000;
constexpr std::string_view kCommentPrefix = "comment:";

TimeMs earliest_item() { return jan1_ms(2019); }  // Lemmy's first public instances

bool plausible_time(TimeMs t, TimeMs now) {
  return t >= earliest_item() && t <= now + kMaxFutureSkew;
}

void add_note(std::string& notes, const std::string& note) {
  if (notes.size() < 2000) notes += (notes.empty() ? "" : "; ") + note;
}

HttpRequest get(std::string url) { return toolkit::get(std::move(url)); }

struct Target {
  std::string base;
  std::string host;
  std::string name;
  bool community = true;
};

std::optional<Target> target_of(const AccountView& a) {
  auto actor = lemmy::actor_of(a.handle);
  if (!actor) return std::nullopt;
  return Target{actor->base_url, actor->host, actor->name, actor->community};
}

// Who answers for the account: the configured staff persons, and a person
// account itself.
std::set<std::string> staff_of(const AccountView& a, const Target& t) {
  std::set<std::string> staff;
  if (const auto it = a.settings.find("staff_persons"); it != a.settings.end())
    staff = lemmy::staff_persons_for(it->second, t.host);
  if (!t.community) staff.insert(t.name + "@" + t.host);
  return staff;
}

// How long the host is held after a refusal: platforms.lemmy.rate_limit_wait,
// else kRateLimitWait (Lemmy says nothing of when its bucket refills).
DurationMs rate_limit_wait(const AccountView& a) {
  if (const auto it = a.settings.find("rate_limit_wait"); it != a.settings.end()) {
    if (const auto v = parse_int64(it->second); v && *v > 0) return *v;
  }
  return kRateLimitWait;
}

// The instance's rate limit, as a throttle of the host.
std::optional<StepResult> throttle_of(const AccountView& a, const HttpResponse& r,
                                      std::optional<Page> page = {}) {
  if (!lemmy::is_rate_limit(r.status, r.body)) return std::nullopt;
  Throttle t;
  t.scope = Throttle::Scope::kHost;
  t.wait = rate_limit_wait(a);
  t.reason = "the Lemmy instance's rate limit (" +
             (lemmy::error_text(r.body).empty() ? "HTTP " + std::to_string(r.status)
                                                : lemmy::error_text(r.body)) +
             ")";
  return StepResult::throttled(std::move(t), r.status, std::move(page));
}

StepResult classify_error(const HttpResponse& r, const std::string& what) {
  const auto e = lemmy::parse_error(r.body);
  const std::string text = lemmy::error_text(r.body);
  if (e && e->error == "instance_is_private")
    return StepResult::fail(
        FailureKind::kAuthRequired,
        what + ": the instance is private (it requires a login for public data)", r.status);
  if (e && (e->error == "not_found" || starts_with(e->error, "couldnt_find")))
    return StepResult::fail(FailureKind::kNotFound, what + ": " + text, r.status);
  StepResult f = toolkit::fail_for_status(r, what, text);
  if (r.status == 404 && !e)
    f.reason += " (without a Lemmy error body: is the host a Lemmy instance?)";
  return f;
}

// The instance's own word that one post or comment is gone.
bool item_not_found(const HttpResponse& r) {
  if (r.status != 404 && r.status != 400) return false;
  const auto e = lemmy::parse_error(r.body);
  return e && (e->error == "not_found" || e->error == "couldnt_find_post" ||
               e->error == "couldnt_find_comment");
}

std::string page_param(int64_t page, const std::string& cursor) {
  return cursor.empty() ? "&page=" + std::to_string(std::max<int64_t>(1, page))
                        : "&page_cursor=" + url_encode(cursor);
}

// One page of the account's items: the community's posts or the person's
// posts and comments.
HttpRequest list_request(const Target& t, const std::string& cid, int64_t page,
                         const std::string& cursor) {
  if (t.community)
    return get(t.base + "/api/v3/post/list?community_id=" + url_encode(cid) +
               "&type_=All&sort=New&limit=" + std::to_string(kLimit) + page_param(page, cursor));
  return get(t.base + "/api/v3/user?username=" + url_encode(t.name) +
             "&sort=New&limit=" + std::to_string(kLimit) + "&page=" + std::to_string(page));
}

// A listing page in the account's terms.
struct Listing {
  std::vector<PostRecord> posts;
  std::vector<std::string> gone;  // shown as deleted or removed
  std::vector<SkippedItem> skipped;
  std::vector<TimeMs> times;  // of items that are not pinned, for where to stop
  bool full = false;          // some list of the page had `limit` entries: more may follow
  size_t items = 0;
  std::string next_cursor;
  std::optional<lemmy::PersonPage> person;  // person mode: the page's person
};

PostRecord comment_item(const lemmy::CommentItem& c, const std::string& person_id) {
  PostRecord p;
  p.platform_post_id = std::string(kCommentPrefix) + c.id;
  p.item_type = kItemComment;
  p.kind = (!c.post_creator_id.empty() && c.post_creator_id == person_id) ? PostKind::kReplySelf
                                                                          : PostKind::kReplyOther;
  p.parent_post_id = c.post_id;
  p.parent_created_at = c.post_created_at;
  p.parent_state = ParentState::kVisible;
  p.created_at = c.comment.created_at;
  p.text = c.comment.text;
  p.edited_at = c.comment.edited_at;
  p.engagement.likes = c.comment.likes;
  p.has_link =
      p.text.find("http://") != std::string::npos || p.text.find("https://") != std::string::npos;
  return p;
}

Result<Listing> read_listing(const Target& t, std::string_view body) {
  Listing out;
  lemmy::PostList posts;
  if (t.community) {
    MUNI_TRY(posts, lemmy::parse_posts(body));
    out.full = posts.items >= static_cast<size_t>(kLimit);
    out.next_cursor = posts.next_page;
  } else {
    MUNI_TRY(auto person, lemmy::parse_person(body));
    posts = std::move(person.posts);
    out.full = posts.items >= static_cast<size_t>(kLimit) ||
               person.comments.items >= static_cast<size_t>(kLimit);
    out.items += person.comments.items;
    for (auto& s : person.comments.skipped) out.skipped.push_back(std::move(s));
    for (const lemmy::CommentItem& c : person.comments.comments) {
      if (c.gone) continue;  // the person's deleted comment: nothing of theirs
      out.times.push_back(c.comment.created_at);
      out.posts.push_back(comment_item(c, person.person_id));
    }
    person.comments = {};
    out.person = std::move(person);
  }
  out.items += posts.items;
  for (auto& s : posts.skipped) out.skipped.push_back(std::move(s));
  for (lemmy::PostItem& p : posts.posts) {
    if (!p.featured) out.times.push_back(p.post.created_at);
    if (p.gone) {
      out.gone.push_back(p.post.platform_post_id);
      continue;
    }
    out.posts.push_back(std::move(p.post));
  }
  return out;
}

std::optional<TimeMs> newest_plausible(const std::vector<TimeMs>& times, TimeMs now) {
  std::optional<TimeMs> best;
  for (const TimeMs t : times) {
    if (plausible_time(t, now) && (!best || t > *best)) best = t;
  }
  return best;
}
std::optional<TimeMs> oldest_plausible(const std::vector<TimeMs>& times, TimeMs now) {
  std::optional<TimeMs> best;
  for (const TimeMs t : times) {
    if (plausible_time(t, now) && (!best || t < *best)) best = t;
  }
  return best;
}

// Where backfill goes on after a page read at `page` that gave `cursor`.
void set_back(toolkit::CursorJson& c, int64_t page, const std::string& cursor) {
  c.erase("back_page").erase("back_cursor");
  if (!cursor.empty()) {
    c.set("back_cursor", cursor);
  } else {
    c.set("back_page", page + 1);
  }
}
void clear_back(toolkit::CursorJson& c) {
  c.erase("back_page").erase("back_cursor").erase("back_oldest").erase("back_stall");
}

// --- poll -------------------------------------------------------------------

class Poll : public ConnectorSession {
 public:
  explicit Poll(AccountView a) : a_(std::move(a)), c_(toolkit::CursorJson::parse(a_.cursor)) {}

  StepResult start() override {
    auto t = target_of(a_);
    if (!t)
      return StepResult::fail(FailureKind::kInvalidHandle,
                              "cannot derive the home instance of '" + a_.handle + "'");
    t_ = *t;
    if (c_.str("version").empty() || c_.num("site_in") <= 0) {
      state_ = State::kSite;
      HttpRequest r = get(t_.base + "/api/v3/site");
      r.optional = true;  // an unreadable version costs the version, not the poll
      return StepResult::send(std::move(r));
    }
    c_.set("site_in", c_.num("site_in") - 1);
    return profile_request();
  }

  StepResult on_response(const HttpResponse& r) override {
    if (state_ != State::kSite && lemmy::is_rate_limit(r.status, r.body))
      return *throttle_of(a_, r, take_pending());
    switch (state_) {
      case State::kSite:
        return on_site(r);
      case State::kCommunity:
        return on_community(r);
      case State::kList:
        return on_list(r);
    }
    return StepResult::fail(FailureKind::kMalformed, "unexpected response");
  }

 private:
  enum class State { kSite, kCommunity, kList };

  std::optional<Page> take_pending() {
    if (pending_.empty()) return std::nullopt;
    Page p = std::move(pending_);
    pending_ = Page{};
    return p;
  }

  StepResult on_site(const HttpResponse& r) {
    // The site request is optional: a refusal, a server error or a broken
    // transfer reach it too. They say nothing of the version: it is asked
    // again next poll, and the requests that follow meet the same
    // condition, where the engine (or the throttle) deals with it.
    if (r.status == 0 || r.status >= 500 || lemmy::is_rate_limit(r.status, r.body))
      return profile_request();
    std::string version = "?";
    if (r.status == 200) {
      auto v = lemmy::parse_site_version(r.body);
      if (v.ok() && !v->empty() && v->size() < 64) version = *v;
    }
    if (version != c_.str("version")) {
      std::string detail;
      if (version == "?") {
        detail = "the instance's version could not be read (/api/v3/site)";
      } else {
        detail = "the instance runs Lemmy " + version;
        const auto n = lemmy::version_number(version);
        if (n && *n >= 1000)
          detail += " (API v4 field names and page cursors, read alongside 0.19's)";
      }
      pending_.batch.events.push_back({"instance_version", detail});
    }
    c_.set("version", version);
    c_.set("site_in", int64_t{kSiteRecheckPolls});
    return profile_request();
  }

  StepResult profile_request() {
    first_ever_ = !c_.has("polled");
    if (t_.community) {
      state_ = State::kCommunity;
      return StepResult::send(get(t_.base + "/api/v3/community?name=" + url_encode(t_.name)),
                              take_pending());
    }
    // A person: the details answer carries the first page of items too.
    state_ = State::kList;
    return StepResult::send(list_request(t_, "", 1, ""), take_pending());
  }

  StepResult on_community(const HttpResponse& r) {
    if (r.status != 200) return classify_error(r, "community");
    auto info = lemmy::parse_community(r.body);
    if (!info.ok())
      return StepResult::fail(FailureKind::kMalformed, info.error().message, r.status);
    if (info->deleted)
      return StepResult::fail(FailureKind::kGone, "the community was deleted by its moderators",
                              r.status);
    if (info->removed)
      return StepResult::fail(FailureKind::kSuspended,
                              "the community was removed by the instance's admins", r.status);
    Page page = take_pending().value_or(Page{});
    if (c_.str("cid") != std::to_string(info->id)) {
      if (!c_.str("cid").empty()) {
        page.batch.events.push_back({"resolved", a_.handle + " is community id " +
                                                     std::to_string(info->id) + " (was " +
                                                     c_.str("cid") + ")"});
      }
      c_.set("cid", std::to_string(info->id));
    }
    posts_count_ = info->snapshot.posts;
    page.platform_id = info->snapshot.platform_id;
    page.batch.snapshot = std::move(info->snapshot);
    page.cursor = c_.dump();
    state_ = State::kList;
    return StepResult::send(list_request(t_, c_.str("cid"), 1, ""), std::move(page));
  }

  StepResult on_list(const HttpResponse& r) {
    if (r.status != 200) return classify_error(r, t_.community ? "posts" : "person");
    auto list = read_listing(t_, r.body);
    if (!list.ok())
      return StepResult::fail(FailureKind::kMalformed, list.error().message, r.status);
    ++pages_;
    Page page = take_pending().value_or(Page{});
    if (list->person) {
      if (list->person->deleted)
        return StepResult::fail(FailureKind::kGone, "the person deleted their account", r.status);
      if (list->person->banned)
        return StepResult::fail(FailureKind::kSuspended, "the person is banned on the instance",
                                r.status);
      if (pages_ == 1) {
        posts_count_ = list->person->snapshot.posts;
        page.platform_id = list->person->snapshot.platform_id;
        page.batch.snapshot = std::move(list->person->snapshot);
      }
    }
    page.batch.skipped = std::move(list->skipped);
    page.batch.deleted_post_ids = std::move(list->gone);
    if (first_ever_) return first_page(std::move(page), std::move(*list));

    // A later poll: down to the first item older than the head.
    const std::optional<TimeMs> head = c_.opt_num("head");
    if (const auto newest = newest_plausible(list->times, a_.now);
        newest && (!new_head_ || *newest > *new_head_))
      new_head_ = newest;
    const auto oldest = oldest_plausible(list->times, a_.now);
    // Without a head (no item with a plausible time was ever read), the
    // catch-up reads on to the end of the list (or hands it to backfill).
    const bool reached = head && oldest && *oldest < *head;
    page.batch.posts = std::move(list->posts);
    if (!reached && list->full) {
      if (pages_ < kMaxPagesPerPoll) {
        cursor_ = list->next_cursor;
        page.cursor = c_.dump();
        return StepResult::send(list_request(t_, c_.str("cid"), pages_ + 1, cursor_),
                                std::move(page));
      }
      // A long catch-up: backfill reads the rest, from here on.
      set_back(c_, pages_, list->next_cursor);
      c_.erase("back_oldest").erase("back_stall");
      if (oldest) c_.set("back_oldest", *oldest);
      page.backfill_state = BackfillState::kPending;
      page.history_note = "a catch-up of more than " + std::to_string(kMaxPagesPerPoll * kLimit) +
                          " new items: backfill reads the rest";
    }
    if (new_head_ && (!head || *new_head_ > *head)) c_.set("head", *new_head_);
    page.cursor = c_.dump();
    return StepResult::finish(std::move(page));
  }

  // The first poll ever: the newest page is stored, backfill starts below it.
  StepResult first_page(Page page, Listing list) {
    if (list.items == 0) {
      int empty = static_cast<int>(c_.num("empty_polls", 0));
      if (!(posts_count_ && *posts_count_ == 0)) ++empty;
      c_.set("empty_polls", int64_t{empty});
      const auto verdict = toolkit::empty_first_page(
          posts_count_, empty, t_.community ? "community's post list" : "person's posts", "posts",
          "removed posts");
      page.backfill_state = verdict.state;
      page.history_note = verdict.note;
      if (verdict.state == BackfillState::kComplete) c_.set("polled", int64_t{1});
      page.cursor = c_.dump();
      return StepResult::finish(std::move(page));
    }
    c_.set("polled", int64_t{1}).erase("empty_polls");
    if (const auto newest = newest_plausible(list.times, a_.now)) c_.set("head", *newest);
    clear_back(c_);
    if (!list.full) {
      page.backfill_state = BackfillState::kComplete;
      page.history_note = "the whole history fit on the first page";
    } else if (a_.backfill_since && !list.times.empty() &&
               *std::min_element(list.times.begin(), list.times.end()) < *a_.backfill_since) {
      page.backfill_state = BackfillState::kReachedStart;
    } else {
      page.backfill_state = BackfillState::kPending;
      set_back(c_, 1, list.next_cursor);
      if (const auto oldest = oldest_plausible(list.times, a_.now)) c_.set("back_oldest", *oldest);
    }
    page.batch.posts = std::move(list.posts);
    page.cursor = c_.dump();
    return StepResult::finish(std::move(page));
  }

  AccountView a_;
  toolkit::CursorJson c_;
  Target t_;
  State state_ = State::kSite;
  Page pending_;
  bool first_ever_ = false;
  std::optional<int64_t> posts_count_;
  std::optional<TimeMs> new_head_;
  std::string cursor_;
  int pages_ = 0;
};

// --- backfill ---------------------------------------------------------------

class Backfill : public ConnectorSession {
 public:
  explicit Backfill(AccountView a) : a_(std::move(a)), c_(toolkit::CursorJson::parse(a_.cursor)) {}

  StepResult start() override {
    auto t = target_of(a_);
    if (!t || !c_.has("polled") || (t->community && c_.str("cid").empty()))
      return StepResult::finish();
    t_ = *t;
    page_ = c_.num("back_page", 0);
    cursor_ = c_.str("back_cursor");
    if (page_ <= 0 && cursor_.empty()) return StepResult::finish();
    return StepResult::send(list_request(t_, c_.str("cid"), page_, cursor_));
  }

  StepResult on_response(const HttpResponse& r) override {
    if (auto t = throttle_of(a_, r)) return std::move(*t);
    if (r.status != 200) return classify_error(r, "backfill");
    auto list = read_listing(t_, r.body);
    if (!list.ok())
      return StepResult::fail(FailureKind::kMalformed, list.error().message, r.status);
    Page page;
    page.batch.skipped = std::move(list->skipped);
    page.batch.deleted_post_ids = std::move(list->gone);
    const auto oldest = oldest_plausible(list->times, a_.now);
    const auto before = c_.opt_num("back_oldest");
    page.batch.posts = std::move(list->posts);
    if (!list->full) {
      page.backfill_state = BackfillState::kComplete;
      page.history_note = "paged back to the first post";
      clear_back(c_);
      page.cursor = c_.dump();
      return StepResult::finish(std::move(page));
    }
    if (before && (!oldest || *oldest >= *before)) {
      // Nothing older than what backfill read before: the instance ignores
      // the page asked for, or its cursor leads back.
      const int64_t stalls = c_.num("back_stall", 0) + 1;
      c_.set("back_stall", stalls);
      if (stalls >= kMaxStalls) {
        page.backfill_state = BackfillState::kIncomplete;
        page.history_note =
            "backfill stopped: the instance answered " +
            (cursor_.empty() ? "page " + std::to_string(page_) : std::string("a page cursor")) +
            " with nothing older than the pages before (asked " + std::to_string(stalls) +
            " times); older history may be missing";
        page.batch.events.push_back({"history_incomplete", *page.history_note});
        clear_back(c_);
      } else {
        // Asked again at the next place.
        set_back(c_, page_, list->next_cursor == cursor_ ? "" : list->next_cursor);
      }
      page.cursor = c_.dump();
      return StepResult::finish(std::move(page));
    }
    c_.erase("back_stall");
    if (oldest) c_.set("back_oldest", *oldest);
    if (a_.backfill_since && oldest && *oldest < *a_.backfill_since) {
      page.backfill_state = BackfillState::kReachedStart;
      clear_back(c_);
    } else {
      set_back(c_, page_, list->next_cursor);
    }
    page.cursor = c_.dump();
    return StepResult::finish(std::move(page));
  }

 private:
  AccountView a_;
  toolkit::CursorJson c_;
  Target t_;
  int64_t page_ = 0;
  std::string cursor_;
};

// --- refresh ----------------------------------------------------------------

// Counts of the window's items from the newest listing pages; an item of
// the window that was not listed is asked for by id, and deleted only on
// the instance's own word.
class Refresh : public ConnectorSession {
 public:
  explicit Refresh(AccountView a) : a_(std::move(a)), c_(toolkit::CursorJson::parse(a_.cursor)) {}

  StepResult start() override {
    auto t = target_of(a_);
    if (!t || !c_.has("polled") || a_.refresh_ids.empty() ||
        (t->community && c_.str("cid").empty()))
      return StepResult::finish();
    t_ = *t;
    return StepResult::send(list_request(t_, c_.str("cid"), 1, ""));
  }

  StepResult on_response(const HttpResponse& r) override {
    if (auto t = throttle_of(a_, r)) return std::move(*t);
    if (checking_) return on_check(r);
    if (r.status != 200) return classify_error(r, "refresh");
    auto list = read_listing(t_, r.body);
    if (!list.ok())
      return StepResult::fail(FailureKind::kMalformed, list.error().message, r.status);
    ++pages_;
    Page page;
    for (const PostRecord& p : list->posts) seen_.insert(p.platform_post_id);
    for (const SkippedItem& s : list->skipped) seen_.insert(s.id);
    for (const std::string& id : list->gone) seen_.insert(id);
    if (list->items == 0 && pages_ == 1) {
      return StepResult::fail(FailureKind::kMalformed,
                              "the listing came back empty for a window with " +
                                  std::to_string(a_.refresh_ids.size()) +
                                  " stored items; nothing is marked deleted",
                              r.status);
    }
    const auto oldest = oldest_plausible(list->times, a_.now);
    const bool past_window = oldest && *oldest < a_.refresh_since;
    page.batch.posts = std::move(list->posts);
    page.batch.skipped = std::move(list->skipped);
    page.batch.deleted_post_ids = std::move(list->gone);
    if (!past_window && list->full && pages_ < kMaxRefreshPages) {
      return StepResult::send(list_request(t_, c_.str("cid"), pages_ + 1, list->next_cursor),
                              std::move(page));
    }
    if (past_window || !list->full) {
      for (const std::string& id : a_.refresh_ids) {
        if (!seen_.count(id)) suspects_.push_back(id);
      }
    }
    return next_check(std::move(page));
  }

 private:
  StepResult next_check(Page page) {
    if (!suspects_.empty() && checks_ < kMaxChecksPerUnit) {
      ++checks_;
      checking_ = true;
      const std::string& id = suspects_.front();
      const bool comment = starts_with(id, kCommentPrefix);
      const std::string url =
          comment ? t_.base + "/api/v3/comment?id=" + url_encode(id.substr(kCommentPrefix.size()))
                  : t_.base + "/api/v3/post?id=" + url_encode(id);
      return StepResult::send(get(url), std::move(page));
    }
    page.batch.missing_post_ids.insert(page.batch.missing_post_ids.end(), suspects_.begin(),
                                       suspects_.end());
    suspects_.clear();
    return StepResult::finish(std::move(page));
  }

  StepResult on_check(const HttpResponse& r) {
    const std::string id = suspects_.front();
    suspects_.erase(suspects_.begin());
    Page page;
    if (r.status == 200 && !starts_with(id, kCommentPrefix)) {
      auto p = lemmy::parse_post(r.body);
      if (p.ok() && p->post.platform_post_id == id) {
        if (p->gone) {
          page.batch.deleted_post_ids.push_back(id);  // the post itself says so
        } else {
          page.batch.posts.push_back(std::move(p->post));
        }
      } else {
        page.batch.missing_post_ids.push_back(id);
      }
    } else if (item_not_found(r)) {
      page.batch.deleted_post_ids.push_back(id);
    } else {
      page.batch.missing_post_ids.push_back(id);  // no evidence either way
    }
    return next_check(std::move(page));
  }

  AccountView a_;
  toolkit::CursorJson c_;
  Target t_;
  int pages_ = 0;
  std::set<std::string> seen_;
  std::vector<std::string> suspects_;
  int checks_ = 0;
  bool checking_ = false;
};

// --- comments ---------------------------------------------------------------

class Comments : public ConnectorSession {
 public:
  explicit Comments(AccountView a) : a_(std::move(a)) {
    for (size_t i = 0; i < a_.comment_ids.size() && i < kMaxCommentItems; ++i)
      items_.push_back(a_.comment_ids[i]);
  }

  StepResult start() override {
    auto t = target_of(a_);
    if (!t) return StepResult::finish();
    t_ = *t;
    staff_ = staff_of(a_, t_);
    return next_item(Page{});
  }

  StepResult on_response(const HttpResponse& r) override {
    if (auto t = throttle_of(a_, r)) return std::move(*t);
    return state_ == State::kPost ? on_post(r) : on_comments(r);
  }

 private:
  enum class State { kPost, kComments };

  HttpRequest comments_request() const {
    return get(t_.base + "/api/v3/comment/list?post_id=" + url_encode(item_) +
               "&type_=All&sort=Old&limit=" + std::to_string(kLimit) + page_param(page_, cursor_));
  }

  StepResult on_post(const HttpResponse& r) {
    if (item_not_found(r)) {
      Page page;
      page.batch.deleted_post_ids.push_back(item_);
      return next_item(std::move(page));
    }
    if (r.status == 403 || r.status == 401) {
      add_note(unit_notes_, "post " + item_ + " was refused (HTTP " + std::to_string(r.status) +
                                " " + lemmy::error_text(r.body) + ")");
      return next_item(Page{});
    }
    if (r.status != 200) return classify_error(r, "post");
    auto p = lemmy::parse_post(r.body);
    if (!p.ok() || p->post.platform_post_id != item_) {
      add_note(unit_notes_, "post " + item_ + " unreadable" +
                                (p.ok() ? std::string(" (another post's answer)")
                                        : " (" + p.error().message + ")"));
      return next_item(Page{});
    }
    Page page;
    if (p->gone) {
      page.batch.deleted_post_ids.push_back(item_);  // the post itself says so
      return next_item(std::move(page));
    }
    // A post someone else opened is a thread of its own.
    opening_.clear();
    if (!p->creator.empty() && !staff_.count(p->creator)) {
      CommentRecord o;
      o.platform_comment_id = lemmy::opening_id(item_);
      o.on_post_id = item_;
      o.author_id = p->creator;
      o.created_at = p->post.created_at;
      o.text = p->post.title + (p->post.text.empty() ? "" : "\n\n" + p->post.text);
      o.edited_at = p->post.edited_at;
      o.likes = p->post.engagement.likes;
      opening_ = o.platform_comment_id;
      page.batch.comments.push_back(std::move(o));
    }
    state_ = State::kComments;
    ++pages_;
    return StepResult::send(comments_request(), std::move(page));
  }

  StepResult on_comments(const HttpResponse& r) {
    if (r.status == 403 || r.status == 401) {
      add_note(notes_, "comments refused (HTTP " + std::to_string(r.status) + ")");
      return finish_item(Page{});
    }
    if (r.status != 200) return classify_error(r, "comments");
    auto list = lemmy::parse_comments(r.body);
    if (!list.ok())
      return StepResult::fail(FailureKind::kMalformed, list.error().message, r.status);
    Page page;
    page.batch.skipped = std::move(list->skipped);
    size_t fresh = 0;
    for (lemmy::CommentItem& c : list->comments) {
      if (c.post_id != item_) {
        add_note(notes_, "the answer mixed in comments of other posts");
        continue;
      }
      if (!seen_.insert(c.id).second) continue;
      ++fresh;
      read_.push_back(std::move(c));
    }
    const bool full = list->items >= static_cast<size_t>(kLimit);
    if (full && fresh == 0) {
      add_note(notes_, "a page of comments repeated the pages before");
    } else if (full) {
      if (pages_ >= kMaxCommentPagesPerItem) {
        add_note(notes_, "stopped at the per-post limit of " +
                             std::to_string(kMaxCommentPagesPerItem) + " pages");
      } else {
        ++pages_;
        ++page_;
        cursor_ = list->next_page;
        return StepResult::send(comments_request(), std::move(page));
      }
    }
    return finish_item(std::move(page));
  }

  StepResult finish_item(Page page) {
    lemmy::Thread thread = lemmy::assemble_thread(read_, opening_, staff_);
    for (CommentRecord& c : thread.comments) page.batch.comments.push_back(std::move(c));
    page.batch.missing_comment_ids = std::move(thread.gone_ids);
    CommentSweep sweep;
    sweep.on_post_id = item_;
    sweep.result = notes_.empty() ? CommentSweepResult::kComplete : CommentSweepResult::kPartial;
    sweep.note = notes_;
    if (!notes_.empty()) add_note(unit_notes_, "post " + item_ + ": " + notes_);
    page.batch.comment_sweeps.push_back(std::move(sweep));
    return next_item(std::move(page));
  }

  StepResult next_item(Page page) {
    while (next_ < items_.size()) {
      item_ = items_[next_++];
      if (starts_with(item_, kCommentPrefix)) {
        // A person's comment on a post: no comments of its own (the
        // replies to it belong to that post's thread).
        page.batch.comment_sweeps.push_back({item_, CommentSweepResult::kComplete, ""});
        continue;
      }
      state_ = State::kPost;
      page_ = 1;
      pages_ = 0;
      cursor_.clear();
      notes_.clear();
      opening_.clear();
      seen_.clear();
      read_.clear();
      return StepResult::send(get(t_.base + "/api/v3/post?id=" + url_encode(item_)),
                              std::move(page));
    }
    StepResult done = StepResult::finish(std::move(page));
    done.reason = unit_notes_;
    return done;
  }

  AccountView a_;
  Target t_;
  std::set<std::string> staff_;
  std::vector<std::string> items_;
  size_t next_ = 0;
  State state_ = State::kPost;
  std::string item_;
  int64_t page_ = 1;
  int pages_ = 0;
  std::string cursor_;
  std::string opening_;
  std::string notes_;
  std::string unit_notes_;
  std::set<std::string> seen_;
  std::vector<lemmy::CommentItem> read_;
};

class LemmyConnector : public Connector {
 public:
  std::string_view platform() const override { return "lemmy"; }
  std::string host_for(const AccountView& account) const override {
    const auto actor = lemmy::actor_of(account.handle);
    return actor ? toolkit::host_key(actor->base_url).value_or(account.handle) : account.handle;
  }
  std::unique_ptr<ConnectorSession> begin(const AccountView& account,
                                          WorkKind work) const override {
    return toolkit::session_for<Poll, Backfill, Refresh, Comments>(account, work);
  }
};

}  // namespace

PlatformDescriptor lemmy_platform() {
  PlatformDescriptor d;
  d.id = "lemmy";
  d.display_name = "Lemmy";
  d.category = Category::kForum;
  d.earliest_item_ms = earliest_item();
  d.canonical_handle = canonical_lemmy_handle;
  d.capabilities.connector = true;
  d.capabilities.full_history = true;
  d.capabilities.comments = true;
  d.settings = {{"staff_persons", SettingSpec::Type::kString,
                 "Lemmy persons who answer for the municipality: \"alice, bob@other.host\" on "
                 "every instance, \"lemmy.example=alice, bob\" on that instance only"},
                {"rate_limit_wait", SettingSpec::Type::kDuration,
                 "how long an instance is left alone after it refused for its rate limit "
                 "(Lemmy does not say; default 60s)",
                 kSecondMs, kHourMs}};
  d.work = {{WorkKind::kPoll},
            {WorkKind::kRefresh, 24 * kHourMs},
            {WorkKind::kComments, 24 * kHourMs},
            // Comment backfill (engine): every item's comments once, then
            // every defaults.comment_resweep_interval; idle checks every 6 h.
            {WorkKind::kCommentBackfill, 6 * kHourMs},
            {WorkKind::kBackfill}};
  // Lemmy sends no rate-limit headers. Reads count against its "message"
  // bucket per IP: 180 per 60 s in the test configuration
  // (crates/utils/src/rate_limit/mod.rs, with_test_config); what an
  // instance allows is its admin's setting, not published. A third of that
  // leaves room for the instance's other readers behind the same address;
  // the 400 rate_limit_error (or 429) holds the host.
  d.rate_requests = 60;
  d.rate_window_ms = 60 * 1000;
  d.note =
      "a community's answers are its staff persons' comments: configure "
      "platforms.lemmy.staff_persons";
  return d;
}

std::unique_ptr<Connector> make_lemmy_connector() { return std::make_unique<LemmyConnector>(); }

}  // namespace muni
