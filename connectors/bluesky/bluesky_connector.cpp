// Bluesky connector (AT Protocol AppView, no authentication).
//
// Endpoints (XRPC GETs under /xrpc/, lexicons in bluesky-social/atproto):
//   app.bsky.actor.getProfile?actor=HANDLE|DID    resolves the handle to the
//       DID (the stable id; handles change) and gives followersCount,
//       followsCount, postsCount, createdAt (all optional in the lexicon)
//   app.bsky.feed.getAuthorFeed?actor=DID&limit=100&cursor=C
//       newest first by sortAt = min(createdAt, indexedAt); the opaque cursor
//       is absent on the last page
//   app.bsky.feed.getPosts?uris=U&uris=V...        up to 25 posts, current counts
//   app.bsky.feed.getPostThread?uri=U&depth=0&parentHeight=0   one post; for a
//       post the AppView does not have: 400 {"error":"NotFound","message":
//       "Post not found: at://..."} (lexicon feed/getPostThread.json, error
//       NotFound; packages/bsky/src/api/app/bsky/feed/getPostThread.ts)
//   app.bsky.actor.getProfiles?actors=A&actors=B... up to 25 profiles: a batched
//       refresh of several accounts reads all their counts in one call
//
// There is no "since" parameter: an incremental poll pages from the newest
// entry until it meets the newest entry stored before (the cursor's head).
// Crash safety across pages: while catching up, the cursor saves the feed
// cursor of the next page and the head that will apply once caught up
// ("pending"); a restart resumes there, so no entry between is skipped.
//
// Completion rests on evidence: an empty first feed is the whole history
// only when the profile says postsCount 0 (asked again on the next poll
// otherwise, recorded as incomplete after three empty answers); the end of
// backfill is checked against postsCount by the store; a later non-empty
// first page reopens backfill. A backfill page that brings nothing older
// than what was already read (a cursor that goes in circles) counts as a
// stall, and three stalls in a row stop backfill as incomplete.
//
// Absence is not deletion. getPosts leaves out posts it does not return,
// for whatever reason; such a post is only a suspect. Each suspect, at most
// kMaxChecksPerUnit per unit of work, is asked for with getPostThread: only
// the AppView's own NotFound for that URI reports it deleted
// (Batch::deleted_post_ids); a post it shows is stored with its current
// counts (which also restores it); any other answer (blocked, another
// error, garbage) is no evidence, and the suspect is only noted
// (missing_post_ids, never a deletion). 5xx and 429 never reach the
// connector: the engine ends the unit or waits, and nothing is marked
// either. A getPosts answer with none of the posts asked for is no
// reading at all: getPostThread on the first of them tells a degraded
// answer (the post is shown: the unit fails as kMalformed, nothing marked)
// from a batch that was really deleted (NotFound: the rest are suspects).
//
// Known feed quirks handled (research notes, platform-api-open.md):
//   - short or empty pages that still carry a cursor: keep paging
//     (bluesky-social/atproto#2127); a cursor that repeats ends the paging
//     as incomplete (it is a loop, not the end);
//   - the cursor can end before the account's first post (atproto#2134,
//     #2616): backfill then compares the posts stored with the profile's
//     postsCount and records the history as incomplete.
//
// Rate limits: the AppView publishes no numbers ("generous"); muniscope
// assumes the documented PDS limit, 3,000 requests per 5 minutes per IP
// (bsky-docs advanced-guides/rate-limits.md), and follows RateLimit-Limit /
// -Remaining / -Reset (epoch seconds) / -Policy ("3000;w=300") when sent.
//
// Errors: 400 {"error":"InvalidRequest","message":"Profile not found"},
// AccountTakedown, AccountDeactivated, BlockedActor, BlockedByActor.
#include "connectors/bluesky/bluesky_connector.h"

#include <algorithm>
#include <limits>
#include <map>
#include <set>

#include "connectors/bluesky/bluesky_handle.h"
#include "connectors/bluesky/bluesky_parse.h"
#include "connectors/toolkit.h"
#include "core/json.h"
#include "core/strings.h"

namespace muni {

namespace {

constexpr const char* kDefaultAppView = "https://public.api.bsky.app";
constexpr int kFeedPageSize = 100;  // lexicon maximum
constexpr int kMaxPagesPerPoll = 20;
constexpr size_t kGetPostsBatch = 25;  constexpr int kMaxStalls = 3;
// getPostThread checks of posts getPosts left out, per unit of work: enough
// for what a municipality deletes in a refresh window, few enough that a
// server omitting everything costs little.
constexpr int kMaxChecksPerUnit = 10;

struct Head {
  std::string key;
  TimeMs at = 0;
  bool empty() const { return key.empty(); }
};

struct Cursor {
  std::string did;
  Head head;                           // newest feed entry stored by a completed catch-up
  std::string pending;                 // feed cursor of the next page of an unfinished catch-up
  Head pending_head;                   // head to adopt once that catch-up completes
  std::string back;                    // feed cursor of the next backfill page
  TimeMs back_at = 0;                  // oldest sort_at reached by backfill
  int stalls = 0;                      // backfill pages in a row that reached nothing older
  int empty_polls = 0;                 // empty first feeds in a row while postsCount > 0
  std::optional<int64_t> posts_count;  // postsCount at the last profile read

  static Cursor parse(const std::string& text) {
    const auto j = toolkit::CursorJson::parse(text);
    Cursor c;
    c.did = j.str("did");
    c.head = Head{j.str("head"), j.num("head_at")};
    c.pending = j.str("pending");
    c.pending_head = Head{j.str("pending_head"), j.num("pending_head_at")};
    c.back = j.str("back");
    c.back_at = j.num("back_at");
    c.stalls = static_cast<int>(std::clamp<int64_t>(j.num("stalls"), 0, 1000));
    c.empty_polls = static_cast<int>(std::clamp<int64_t>(j.num("empty_polls"), 0, 1000));
    c.posts_count = j.opt_num("posts_count");
    return c;
  }
  std::string str() const {
    toolkit::CursorJson j;
    j.set("did", did).set("head", head.key).set("head_at", head.at);
    if (!pending.empty()) {
      j.set("pending", pending).set("pending_head", pending_head.key);
      j.set("pending_head_at", pending_head.at);
    }
    j.set("back", back);
    if (back_at != 0) j.set("back_at", back_at);
    if (stalls != 0) j.set("stalls", int64_t{stalls});
    if (empty_polls != 0) j.set("empty_polls", int64_t{empty_polls});
    j.set("posts_count", posts_count);
    return j.dump();
  }
};

// More suspects than checks: start at a place that moves by a day each day,
// so that posts deleted long ago (asked for again, since a deletion stays
// revocable) cannot take every check of every refresh.
template <typename T>
void rotate_suspects(std::vector<T>& suspects, TimeMs now) {
  if (suspects.size() <= static_cast<size_t>(kMaxChecksPerUnit)) return;
  const auto shift = static_cast<size_t>((now > 0 ? now : 0) / kDayMs) % suspects.size();
  std::rotate(suspects.begin(), suspects.begin() + static_cast<long>(shift), suspects.end());
}

std::string appview_of(const AccountView& a) { return a.base_url.value_or(kDefaultAppView); }

HttpRequest get(std::string url) { return toolkit::get(std::move(url)); }

// The AppView's own error names first (XRPC: 400 with `error`), then the
// usual meaning of the status (toolkit). An XRPC server answers an unknown
// actor with 400 InvalidRequest, so a 404 means a missing endpoint (a wrong
// base URL), never a missing account.
StepResult classify_error(const HttpResponse& r, const std::string& what) {
  const auto xrpc = bluesky::parse_error(r.body);
  const std::string name = xrpc ? xrpc->error : "";
  std::string msg = what + ": HTTP " + std::to_string(r.status);
  if (xrpc) msg += " " + xrpc->error + (xrpc->message.empty() ? "" : " (" + xrpc->message + ")");
  if (r.status == 400 && name == "InvalidRequest" &&
      xrpc->message.find("not found") != std::string::npos) {
    return StepResult::fail(FailureKind::kNotFound, msg, r.status);
  }
  if (name == "AccountTakedown" || name == "AccountDeactivated" || name == "RepoTakendown" ||
      name == "RepoDeactivated" || name == "RepoSuspended") {
    return StepResult::fail(FailureKind::kSuspended, msg, r.status);
  }
  if (name == "BlockedActor" || name == "BlockedByActor")
    return StepResult::fail(FailureKind::kBlocked, msg, r.status);
  if (r.status == 404) return StepResult::fail(FailureKind::kMalformed, msg, r.status);
  return toolkit::fail_for_status(
      r, what, xrpc ? xrpc->error + (xrpc->message.empty() ? "" : " (" + xrpc->message + ")") : "");
}

class Session : public ConnectorSession {
 public:
  Session(AccountView account, WorkKind work) : account_(std::move(account)), work_(work) {
    cursor_ = Cursor::parse(account_.cursor);
    if (cursor_.did.empty()) cursor_.did = account_.platform_id;
    base_ = appview_of(account_);
  }

  StepResult start() override {
    switch (work_) {
      case WorkKind::kPoll: {
        state_ = State::kProfile;
        const std::string actor = cursor_.did.empty() ? account_.handle : cursor_.did;
        return StepResult::send(
            get(base_ + "/xrpc/app.bsky.actor.getProfile?actor=" + url_encode(actor)));
      }
      case WorkKind::kBackfill:
        if (cursor_.did.empty() || cursor_.back.empty()) return StepResult::finish();
        state_ = State::kBackfill;
        last_feed_cursor_ = cursor_.back;
        return StepResult::send(feed_request(cursor_.back));
      case WorkKind::kComments:
      case WorkKind::kCommentBackfill:
        return StepResult::finish();  // replies are posts here; no separate comments
      case WorkKind::kRefresh:
        return StepResult::finish();  // a Refresh session (below) does this
    }
    return StepResult::finish();
  }

  StepResult on_response(const HttpResponse& r) override {
    switch (state_) {
      case State::kProfile:
        return on_profile(r);
      case State::kFeed:
        return on_feed(r);
      case State::kBackfill:
        return on_backfill(r);
    }
    return StepResult::fail(FailureKind::kMalformed, "unexpected response");
  }

 private:
  enum class State { kProfile, kFeed, kBackfill };

  HttpRequest feed_request(const std::string& feed_cursor) const {
    std::string url = base_ + "/xrpc/app.bsky.feed.getAuthorFeed?actor=" + url_encode(cursor_.did) +
                      "&limit=" + std::to_string(kFeedPageSize);
    if (!feed_cursor.empty()) url += "&cursor=" + url_encode(feed_cursor);
    return get(url);
  }

  StepResult on_profile(const HttpResponse& r) {
    if (r.status != 200) return classify_error(r, "getProfile");
    auto snap = bluesky::parse_profile(r.body);
    if (!snap.ok())
      return StepResult::fail(FailureKind::kMalformed, snap.error().message, r.status);
    if (!cursor_.did.empty() && snap->platform_id != cursor_.did) {
      return StepResult::fail(FailureKind::kMalformed,
                              "getProfile returned " + snap->platform_id + " for " + cursor_.did,
                              r.status);
    }
    Page page;
    if (cursor_.did.empty()) {
      page.batch.events.push_back({"resolved", account_.handle + " is " + snap->platform_id});
    }
    if (snap->handle == "handle.invalid") {
      page.history_note = "the account's handle currently fails verification (handle.invalid)";
    }
    cursor_.did = snap->platform_id;
    cursor_.posts_count = snap->posts;
    page.platform_id = cursor_.did;
    page.batch.snapshot = *snap;
    page.cursor = cursor_.str();
    state_ = State::kFeed;
    // Resume an unfinished catch-up first; otherwise start at the newest entry.
    catching_up_ = !cursor_.pending.empty();
    last_feed_cursor_ = cursor_.pending;
    return StepResult::send(feed_request(cursor_.pending), std::move(page));
  }

  StepResult on_feed(const HttpResponse& r) {
    if (r.status != 200) return classify_error(r, "getAuthorFeed");
    auto feed = bluesky::parse_author_feed(r.body, cursor_.did);
    if (!feed.ok())
      return StepResult::fail(FailureKind::kMalformed, feed.error().message, r.status);
    ++pages_;
    Page page;
    page.batch.skipped = std::move(feed->skipped);
    if (cursor_.head.empty() && !catching_up_) return first_feed_page(std::move(*feed), std::move(page));
    // An incremental catch-up: take entries until the stored head.
    if (!catching_up_ && cursor_.pending_head.empty() && !feed->items.empty()) {
      cursor_.pending_head = Head{feed->items.front().key, feed->items.front().sort_at};
    }
    bool reached = false;
    TimeMs oldest = std::numeric_limits<TimeMs>::max();
    for (auto& item : feed->items) {
      if (!cursor_.head.empty() &&
          (item.key == cursor_.head.key || item.sort_at < cursor_.head.at)) {
        reached = true;
        break;
      }
      oldest = std::min(oldest, item.sort_at);
      page.batch.posts.push_back(std::move(item.post));
    }
    const bool cursor_repeats = !feed->cursor.empty() && feed->cursor == last_feed_cursor_;
    // A page that reaches nothing older than the page before goes in circles.
    const bool circles = !feed->items.empty() && oldest >= last_oldest_;
    const bool feed_ended = feed->cursor.empty() || cursor_repeats || circles;
    if (!feed->items.empty()) last_oldest_ = std::min(last_oldest_, oldest);
    if (reached || feed_ended) {
      if (!cursor_.pending_head.empty()) cursor_.head = cursor_.pending_head;
      cursor_.pending.clear();
      cursor_.pending_head = Head{};
      page.cursor = cursor_.str();
      return StepResult::finish(std::move(page));
    }
    // More to read: remember where, so a crash resumes exactly here.
    cursor_.pending = feed->cursor;
    last_feed_cursor_ = feed->cursor;
    page.cursor = cursor_.str();
    if (pages_ >= kMaxPagesPerPoll)
      return StepResult::finish(std::move(page));  // continue next poll
    return StepResult::send(feed_request(feed->cursor), std::move(page));
  }

  // The first page that ever comes back: store it, make its newest entry the
  // head and let backfill continue below it. An empty one closes nothing
  // unless the profile says the account has no posts.
  StepResult first_feed_page(bluesky::FeedPage feed, Page page) {
    if (feed.items.empty()) {
      if (!(cursor_.posts_count && *cursor_.posts_count == 0)) ++cursor_.empty_polls;
      const auto verdict =
          toolkit::empty_first_page(cursor_.posts_count, cursor_.empty_polls, "author feed", "posts");
      page.backfill_state = verdict.state;
      page.history_note = verdict.note;
      page.cursor = cursor_.str();
      return StepResult::finish(std::move(page));
    }
    cursor_.empty_polls = 0;
    cursor_.head = Head{feed.items.front().key, feed.items.front().sort_at};
    cursor_.back = feed.cursor;
    cursor_.back_at = feed.items.back().sort_at;
    cursor_.stalls = 0;
    if (feed.cursor.empty()) {
      page.backfill_state = BackfillState::kComplete;
      page.expected_own_posts = cursor_.posts_count;
    } else if (account_.backfill_since && feed.items.back().sort_at < *account_.backfill_since) {
      page.backfill_state = BackfillState::kReachedStart;
      cursor_.back.clear();
    } else {
      page.backfill_state = BackfillState::kPending;  // (re)opened explicitly
    }
    for (auto& item : feed.items) page.batch.posts.push_back(std::move(item.post));
    page.cursor = cursor_.str();
    return StepResult::finish(std::move(page));
  }

  StepResult on_backfill(const HttpResponse& r) {
    if (r.status != 200) return classify_error(r, "getAuthorFeed (backfill)");
    auto feed = bluesky::parse_author_feed(r.body, cursor_.did);
    if (!feed.ok())
      return StepResult::fail(FailureKind::kMalformed, feed.error().message, r.status);
    Page page;
    page.batch.skipped = std::move(feed->skipped);
    const bool repeats = !feed->cursor.empty() && feed->cursor == last_feed_cursor_;
    TimeMs oldest = std::numeric_limits<TimeMs>::max();
    for (const auto& item : feed->items) oldest = std::min(oldest, item.sort_at);
    const bool older = !feed->items.empty() && (cursor_.back_at == 0 || oldest < cursor_.back_at);
    if (older) {
      cursor_.back_at = oldest;
      cursor_.stalls = 0;
    } else if (!feed->items.empty()) {
      ++cursor_.stalls;  // entries, but none older than before: circling
    }
    if (feed->cursor.empty()) {
      cursor_.back.clear();
      page.backfill_state = BackfillState::kComplete;
      page.expected_own_posts = cursor_.posts_count;  // the store checks and may record kIncomplete
      page.history_note = "paged to the end of the author feed";
    } else if (repeats || cursor_.stalls >= kMaxStalls) {
      // The server answered with the cursor it was asked with, or keeps
      // serving nothing older: paging goes in circles, not to the end.
      cursor_.back.clear();
      page.backfill_state = BackfillState::kIncomplete;
      page.history_note =
          repeats ? std::string("backfill stopped: the feed answered with the cursor it was asked "
                                "with; older history may be missing")
                  : "backfill stopped: " + std::to_string(cursor_.stalls) +
                        " pages in a row brought nothing older (the feed cursor goes in "
                        "circles); older history may be missing";
      page.batch.events.push_back({"history_incomplete", *page.history_note});
    } else if (!feed->items.empty() && account_.backfill_since &&
               feed->items.back().sort_at < *account_.backfill_since) {
      cursor_.back.clear();
      page.backfill_state = BackfillState::kReachedStart;
    } else {
      // Short or empty pages with a cursor are normal (atproto#2127).
      cursor_.back = feed->cursor;
    }
    for (auto& item : feed->items) page.batch.posts.push_back(std::move(item.post));
    page.cursor = cursor_.str();
    return StepResult::finish(std::move(page));
  }

  AccountView account_;
  WorkKind work_;
  Cursor cursor_;
  std::string base_;
  State state_ = State::kProfile;
  bool catching_up_ = false;
  std::string last_feed_cursor_;
  TimeMs last_oldest_ = std::numeric_limits<TimeMs>::max();
  int pages_ = 0;
};

// A refresh of one account, or of up to 25 accounts of one AppView: for a
// batch, one getProfiles call for all their profile counts (a follower
// series between polls at 1/25 of the cost); then getPosts for their recent
// posts, 25 URIs a call; then getPostThread for the posts getPosts left out,
// as the top comment says. Each account's records come in its own page.
class Refresh : public ConnectorSession {
 public:
  Refresh(std::vector<AccountView> accounts, bool profiles) : accounts_(std::move(accounts)) {
    base_ = appview_of(accounts_.front());
    now_ = accounts_.front().now;
    for (const AccountView& a : accounts_) {
      const Cursor c = Cursor::parse(a.cursor);
      const std::string did = c.did.empty() ? a.platform_id : c.did;
      if (profiles && !did.empty() && account_of_did_.size() < kGetProfilesBatch)
        account_of_did_[did] = a.account_id;
      for (const std::string& uri : a.refresh_ids) items_.push_back({uri, a.account_id});
    }
  }

  StepResult start() override {
    if (account_of_did_.empty()) return next();
    state_ = State::kProfiles;
    std::string url = base_ + "/xrpc/app.bsky.actor.getProfiles?";
    bool first = true;
    for (const auto& [did, account] : account_of_did_) {
      url += (first ? "actors=" : "&actors=") + url_encode(did);
      first = false;
    }
    return StepResult::send(get(url));
  }

  StepResult on_response(const HttpResponse& r) override {
    switch (state_) {
      case State::kProfiles:
        return on_profiles(r);
      case State::kPosts:
        return on_posts(r);
      case State::kProbe:
        return on_probe(r);
      case State::kCheck:
        return on_check(r);
    }
    return StepResult::fail(FailureKind::kMalformed, "unexpected response");
  }

 private:
  enum class State { kProfiles, kPosts, kProbe, kCheck };
  static constexpr size_t kGetProfilesBatch = 25;  // lexicon maximum of actors

  struct Item {
    std::string uri;
    int64_t account = 0;
  };

  Page& page_of(int64_t account) {
    Page& p = pages_[account];
    p.account_id = account;
    return p;
  }

  // Hands over the pages gathered since the last step.
  StepResult with_pages(StepResult step) {
    for (auto& [account, page] : pages_) step.more_pages.push_back(std::move(page));
    pages_.clear();
    return step;
  }

  HttpRequest thread_request(const std::string& uri) const {
    return get(base_ + "/xrpc/app.bsky.feed.getPostThread?uri=" + url_encode(uri) +
               "&depth=0&parentHeight=0");
  }

  // The next request: getPosts while URIs are left, then the checks of
  // suspects, then the end (suspects left unchecked are only noted).
  StepResult next() {
    if (pos_ < items_.size()) {
      const size_t end = std::min(items_.size(), pos_ + kGetPostsBatch);
      batch_.assign(items_.begin() + static_cast<long>(pos_),
                    items_.begin() + static_cast<long>(end));
      pos_ = end;
      std::string url = base_ + "/xrpc/app.bsky.feed.getPosts?";
      for (size_t i = 0; i < batch_.size(); ++i)
        url += (i ? "&uris=" : "uris=") + url_encode(batch_[i].uri);
      state_ = State::kPosts;
      return with_pages(StepResult::send(get(url)));
    }
    if (!checks_started_) {
      checks_started_ = true;
      rotate_suspects(suspects_, now_);
    }
    if (!suspects_.empty() && checks_ < kMaxChecksPerUnit) {
      ++checks_;
      state_ = State::kCheck;
      return with_pages(StepResult::send(thread_request(suspects_.front().uri)));
    }
    for (const Item& s : suspects_) page_of(s.account).batch.missing_post_ids.push_back(s.uri);
    suspects_.clear();
    return with_pages(StepResult::finish());
  }

  StepResult on_profiles(const HttpResponse& r) {
    if (r.status != 200) return classify_error(r, "getProfiles");
    auto profiles = bluesky::parse_profiles(r.body);
    if (!profiles.ok())
      return StepResult::fail(FailureKind::kMalformed, profiles.error().message, r.status);
    for (AccountSnapshot& snap : *profiles) {
      const auto it = account_of_did_.find(snap.platform_id);
      if (it == account_of_did_.end()) continue;  // not asked for: never stored
      page_of(it->second).batch.snapshot = std::move(snap);
    }
    return next();
  }

  StepResult on_posts(const HttpResponse& r) {
    if (r.status != 200) return classify_error(r, "getPosts");
    auto posts = bluesky::parse_posts_counts(r.body);
    if (!posts.ok()) return StepResult::fail(FailureKind::kMalformed, posts.error().message, r.status);
    std::map<std::string, PostRecord> returned;
    for (PostRecord& p : *posts) {
      const std::string uri = p.platform_post_id;
      returned.emplace(uri, std::move(p));
    }
    std::vector<Item> omitted;
    size_t shown = 0;
    for (const Item& item : batch_) {
      auto it = returned.find(item.uri);
      if (it == returned.end()) {
        omitted.push_back(item);
        continue;
      }
      page_of(item.account).batch.posts.push_back(std::move(it->second));  // asked for: kept
      returned.erase(it);
      ++shown;
    }
    if (shown == 0 && !batch_.empty()) {
      // None of the posts asked for: a degraded answer, or every one of them
      // deleted. One getPostThread on the newest tells which.
      ++checks_;
      state_ = State::kProbe;
      return with_pages(StepResult::send(thread_request(batch_.front().uri)));
    }
    suspects_.insert(suspects_.end(), omitted.begin(), omitted.end());
    return next();
  }

  StepResult on_probe(const HttpResponse& r) {
    const Item& probe = batch_.front();
    bluesky::PostCheck check = bluesky::read_post_thread(r.status, r.body, probe.uri);
    const std::string none =
        "getPosts returned none of the " + std::to_string(batch_.size()) + " requested posts";
    switch (check.verdict) {
      case bluesky::PostCheck::Verdict::kShown:
        pages_.clear();
        return StepResult::fail(FailureKind::kMalformed,
                                none + ", while getPostThread still shows " + probe.uri +
                                    ": a degraded answer; nothing is marked deleted",
                                r.status);
      case bluesky::PostCheck::Verdict::kNotFound:
        // Truly gone: the others are suspects like any left out.
        page_of(probe.account).batch.deleted_post_ids.push_back(probe.uri);
        suspects_.insert(suspects_.end(), batch_.begin() + 1, batch_.end());
        return next();
      case bluesky::PostCheck::Verdict::kNoEvidence:
        break;
    }
    pages_.clear();
    return StepResult::fail(FailureKind::kMalformed,
                            none + ", and getPostThread could not tell whether " + probe.uri +
                                " exists (" + check.detail +
                                "): a degraded answer; nothing is marked deleted",
                            r.status);
  }

  StepResult on_check(const HttpResponse& r) {
    const Item item = suspects_.front();
    suspects_.erase(suspects_.begin());
    bluesky::PostCheck check = bluesky::read_post_thread(r.status, r.body, item.uri);
    switch (check.verdict) {
      case bluesky::PostCheck::Verdict::kShown:
        page_of(item.account).batch.posts.push_back(std::move(check.post));  // restores it
        break;
      case bluesky::PostCheck::Verdict::kNotFound:
        page_of(item.account).batch.deleted_post_ids.push_back(item.uri);
        break;
      case bluesky::PostCheck::Verdict::kNoEvidence:
        page_of(item.account).batch.missing_post_ids.push_back(item.uri);  // noted only
        break;
    }
    return next();
  }

  std::vector<AccountView> accounts_;
  std::string base_;
  TimeMs now_ = 0;
  State state_ = State::kPosts;
  std::map<std::string, int64_t> account_of_did_;
  std::vector<Item> items_;  // every post to refresh, in order
  size_t pos_ = 0;
  std::vector<Item> batch_;     // the URIs of the last getPosts
  std::vector<Item> suspects_;  // left out by getPosts, not yet checked
  bool checks_started_ = false;
  int checks_ = 0;
  std::map<int64_t, Page> pages_;  // records gathered for the next step
};

class BlueskyConnector : public Connector {
 public:
  std::string_view platform() const override { return "bluesky"; }
  std::string host_for(const AccountView& account) const override {
    return toolkit::host_key(appview_of(account)).value_or("public.api.bsky.app");
  }
  std::unique_ptr<ConnectorSession> begin(const AccountView& account,
                                          WorkKind work) const override {
    if (work == WorkKind::kRefresh)
      return std::make_unique<Refresh>(std::vector<AccountView>{account}, false);
    return std::make_unique<Session>(account, work);
  }
  std::unique_ptr<ConnectorSession> begin_batch(const std::vector<AccountView>& accounts,
                                                WorkKind work) const override {
    if (work == WorkKind::kRefresh && accounts.size() > 1)
      return std::make_unique<Refresh>(accounts, true);
    return begin(accounts.front(), work);
  }
};

}  // namespace

PlatformDescriptor bluesky_platform() {
  PlatformDescriptor d;
  d.id = "bluesky";
  d.display_name = "Bluesky";
  d.category = Category::kMicroblog;
  // The app's invite-only beta opened in February 2023; a year earlier
  // leaves room for protocol test posts. Backdated imports (createdAt years
  // before) are corrected to indexedAt by the page guard.
  d.earliest_item_ms = jan1_ms(2022);
  d.canonical_handle = canonical_bluesky_handle;
  d.capabilities.connector = true;
  d.capabilities.full_history = true;
  // Refreshes of up to 25 accounts share one getProfiles call (lexicon
  // app.bsky.actor.getProfiles: at most 25 actors).
  d.work = {{WorkKind::kPoll}, {WorkKind::kRefresh, kDefaultInterval, 25}, {WorkKind::kBackfill}};
  // The AppView publishes no numbers; the documented PDS limit (bsky-docs
  // advanced-guides/rate-limits.md) until RateLimit-* headers say otherwise.
  d.rate_requests = 3000;
  d.rate_window_ms = 5 * kMinuteMs;
  d.default_base_url = kDefaultAppView;
  return d;
}

std::unique_ptr<Connector> make_bluesky_connector() { return std::make_unique<BlueskyConnector>(); }

}  // namespace muni
