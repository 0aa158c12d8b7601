// Discourse connector (forums: municipal participation forums).
//
// The account is a forum, or one category of it (discourse_handle.h). No
// login: public forums answer every route below to anonymous readers
// (discourse_api_docs openapi info: Api-Key only for private data). Each
// HTML route answers JSON with ".json" (ibid.).
//
//   GET {list}.json?order=created&page=N
//       {list} is /latest, or /c/{slug}/{id} for a category. Topics newest
//       first by creation: lib/topic_query.rb maps order=created to
//       topics.created_at (SORTABLE_MAPPING) and applies pinning only to the
//       default and "activity" orders, so pinned topics do not jump the
//       queue; `page` is an offset of page * per_page (30 by default,
//       TopicQuery::DEFAULT_PER_PAGE_COUNT); the answer carries
//       topic_list.more_topics_url while more pages follow. New topics shift
//       every older one down a place, which only repeats a topic (the store
//       upserts by id); a topic deleted while backfill runs shifts them up,
//       and the topic at that page boundary can be missed (dates cannot show
//       such a gap: pages do not overlap). Not mended; a known limit.
//   GET /t/{id}.json
//       the topic with its post_stream: posts[] (the first chunk_size = 20)
//       and stream[] (the ids of every post the reader may see, in order).
//   GET /t/{id}/posts.json?post_ids[]=..&post_ids[]=..
//       the posts of the stream beyond the first chunk, 20 a request (the
//       chunk size the web client asks for).
//   GET /groups/{name}/members.json?limit=&offset=
//       the members of a configured staff group (GroupsController#members:
//       limit at most 1000, 50 by default; offset from 0); a group whose
//       members the forum hides is refused (guardian's
//       ensure_can_see_group_members!: 403 or 404).
//
// Units of work:
//   poll      page 0 of the list. The first poll ever keeps the newest
//             creation time (head_at) and opens backfill at page 1. Later
//             polls read pages until one holds a topic no newer than head_at
//             (kMaxPagesPerPoll; a longer catch-up reopens backfill from
//             there down to the old head, so nothing in between is skipped).
//             A list shows topics only: the forum's own totals are not
//             read, and it has no followers.
//   backfill  one page a unit, down to the last page (no more_topics_url,
//             or fewer topics than per_page): complete; or to
//             backfill_since. A page that holds nothing older than the
//             pages before, three times, stops backfill as incomplete.
//   refresh   the newest pages again over the refresh window (counts:
//             posts_count - 1 replies, like_count, views); a topic of the
//             window no longer listed is asked for by itself: only the
//             forum's own 404 "not_found" for it reports it deleted; 403
//             (moved to a category anonymous readers cannot see) and
//             anything else only note it missing.
//   comments, comment_backfill
//             for each topic of AccountView::comment_ids (kMaxCommentTopics
//             a unit): /t/{id}.json, then the rest of the stream 20 posts a
//             request. The opening post (post_number 1) is the thread's
//             top-level comment, every later post a reply: to the post its
//             reply_to_post_number names when that post is stored, else to
//             the opening post. Whispers (post_type 4), small and moderator
//             actions (3, 2: "closed this topic"), hidden and deleted posts
//             are never stored, so never an answer; hidden and deleted ones
//             are reported missing (a stored post that was hidden since is
//             confirmed gone on the second reading, like any comment).
//             The answered rule (docs/metrics.md) then reads: a topic a
//             citizen opened is a question, answered when staff post in it.
//
// Staff (CommentRecord::by_account): a post's username among the
// configured staff_usernames, or among the members of the configured
// staff_groups (read at the start of every comment unit), or whose
// primary_group_name is one of those groups, or, unless site_staff is
// false, a post Discourse itself flags staff, admin or moderator (the
// post serializer's public fields). A group whose members cannot be read
// for a transient reason makes the unit's sweeps partial (an answer by an
// unknown member would be missed); one the forum hides (403/404) is noted,
// and only the flair (primary_group_name) of its members counts.
//
// Limits: per IP, by default 200 requests a minute and 50 per 10 seconds
// (discourse/discourse config/discourse_defaults.conf,
// max_reqs_per_ip_per_minute and max_reqs_per_ip_per_10_seconds, as
// quoted in ../shared/reference/platform-api-open.md §4b; the admin may
// change them). The per-IP limiter answers 429 text/plain with Retry-After
// and Discourse-Rate-Limit-Error-Code (lib/middleware/request_tracker.rb);
// application limits answer a JSON 429 {"error_type": "rate_limit",
// "extras": {"wait_seconds": N}} with Retry-After as well
// (app/controllers/application_controller.rb, rescue_from
// RateLimiter::LimitExceeded). The engine holds the host on either from
// Retry-After. Group requests are optional (their failure costs the group,
// not the unit): there a 429 reaches the connector, which reads
// wait_seconds (or Retry-After) into a host Throttle.
//
// Cursor: polled (1 after the first poll), head_at (newest plausible topic
// creation stored, ms), back (next backfill page), back_oldest (oldest
// plausible creation backfill has read), back_stall, back_stop and back_then (a backfill reopened
// by a long catch-up ends at topics older than back_stop, in state
// back_then), empty_polls.
#include "connectors/discourse/discourse_connector.h"

#include <algorithm>
#include <set>

#include "connectors/discourse/discourse_handle.h"
#include "connectors/discourse/discourse_parse.h"
#include "connectors/toolkit.h"
#include "core/strings.h"
#include "engine/page_guard.h"

namespace muni {

namespace {

constexpr int64_t kDefaultPerPage = 30;  // TopicQuery::DEFAULT_PER_PAGE_COUNT
constexpr int kMaxPagesPerPoll = 10;     // 300 new topics; the rest by backfill
constexpr int kMaxStalls = 3;            // backfill pages without progress
constexpr int kMaxRefreshPages = 5;
constexpr size_t kMaxChecksPerUnit = 10;
constexpr size_t kMaxCommentTopics = 20;  // topics per comment unit
constexpr size_t kChunk = 20;             // posts per posts.json request
constexpr int kMaxRequestsPerTopic = 60;  // 1,200 posts of one topic per sweep
constexpr int64_t kGroupPageSize = 200;
constexpr int kMaxGroupPages = 10;
constexpr int kRateRequests = 25;  // per 10 s: half the per-IP default
constexpr DurationMs kRateWindow = 10 * kSecondMs;

// Discourse 1.0 came out in 2014, its first beta in February 2013.
TimeMs earliest_topic() { return jan1_ms(2012); }

bool plausible(TimeMs t, TimeMs now) { return t >= earliest_topic() && t <= now + kMaxFutureSkew; }

void add_note(std::string& notes, const std::string& note) {
  if (notes.size() < 2000) notes += (notes.empty() ? "" : "; ") + note;
}

HttpRequest get(std::string url) { return toolkit::get(std::move(url)); }

std::string list_url(const discourse::Forum& f, int64_t page) {
  const std::string list = f.category_path.empty() ? "/latest" : "/c/" + f.category_path;
  return f.base + list + ".json?order=created&page=" + std::to_string(std::max<int64_t>(0, page));
}

// Any answer the engine passes on that is not a 200, read as a Discourse
// error where the forum sent one.
StepResult classify_error(const HttpResponse& r, const std::string& what) {
  const auto e = discourse::parse_error(r.body);
  std::string detail;
  if (e) detail = e->type + (e->message.empty() ? "" : ": " + e->message);
  StepResult f = toolkit::fail_for_status(r, what, detail);
  if (r.status == 404 && !e)
    f.reason += " (without a Discourse error body: is this a Discourse forum?)";
  if ((r.status == 403 || r.status == 401) && e && e->type == "not_logged_in")
    f.reason += " (the forum requires a login to read)";
  return f;
}

// The forum's own "not found" for one topic: a 404 with its error body.
bool topic_not_found(const HttpResponse& r) {
  if (r.status != 404) return false;
  const auto e = discourse::parse_error(r.body);
  return e && (e->type == "not_found" || e->type.empty());
}

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

bool full_page(const discourse::TopicList& l) {
  return l.more && static_cast<int64_t>(l.items) >= l.per_page.value_or(kDefaultPerPage);
}

AccountSnapshot snapshot_of(const AccountView& a, const discourse::Forum& f) {
  AccountSnapshot s;
  s.platform_id = a.handle;
  s.handle = a.handle;
  s.profile_url = f.category_path.empty() ? f.base + "/" : a.handle;
  return s;
}

// --- poll -------------------------------------------------------------------

class Poll : public ConnectorSession {
 public:
  explicit Poll(AccountView a) : a_(std::move(a)), c_(toolkit::CursorJson::parse(a_.cursor)) {}

  StepResult start() override {
    auto f = discourse::forum_of(a_.handle);
    if (!f)
      return StepResult::fail(FailureKind::kInvalidHandle,
                              "cannot read the forum's address from '" + a_.handle + "'");
    f_ = *f;
    first_ = !c_.has("polled");
    return StepResult::send(get(list_url(f_, 0)));
  }

  StepResult on_response(const HttpResponse& r) override {
    if (r.status != 200) return classify_error(r, "topic list");
    auto list = discourse::parse_topic_list(r.body, f_.base);
    if (!list.ok())
      return StepResult::fail(FailureKind::kMalformed, list.error().message, r.status);
    Page page;
    page.batch.skipped = std::move(list->skipped);
    const Span span = span_of(list->posts, a_.now);
    if (page_ == 0) {
      page.platform_id = a_.handle;
      page.batch.snapshot = snapshot_of(a_, f_);
      head_new_ = span.newest;
    }
    if (first_) return first_page(std::move(page), std::move(*list), span);
    const auto head = c_.opt_num("head_at");
    bool all_new = full_page(*list) && span.oldest.has_value() && head.has_value();
    for (const PostRecord& p : list->posts) {
      if (all_new && plausible(p.created_at, a_.now) && p.created_at <= *head) all_new = false;
    }
    page.batch.posts = std::move(list->posts);
    if (!all_new) return done(std::move(page));
    if (page_ + 1 < kMaxPagesPerPoll) {
      ++page_;
      page.cursor = c_.dump();
      return StepResult::send(get(list_url(f_, page_)), std::move(page));
    }
    // More new topics than a poll reads: backfill takes the rest, from the
    // next page down to the old head (unless a backfill is under way, which
    // reads them anyway).
    if (!c_.has("back")) {
      c_.set("back", page_ + 1);
      c_.set("back_oldest", span.oldest);
      c_.set("back_stop", *head);
      c_.set("back_then", std::string(backfill_state_id(a_.backfill_state)));
      page.backfill_state = BackfillState::kPending;
    }
    StepResult s = done(std::move(page));
    s.reason = "more than " + std::to_string(kMaxPagesPerPoll) +
               " pages of new topics: backfill reads the rest";
    return s;
  }

 private:
  StepResult done(Page page) {
    const auto head = c_.opt_num("head_at");
    if (head_new_ && (!head || *head_new_ > *head)) c_.set("head_at", *head_new_);
    page.cursor = c_.dump();
    return StepResult::finish(std::move(page));
  }

  StepResult first_page(Page page, discourse::TopicList list, const Span& span) {
    if (list.items == 0) {
      const int polls = static_cast<int>(c_.num("empty_polls")) + 1;
      const auto verdict =
          toolkit::empty_first_page(std::nullopt, polls, "topic list", "topics",
                                    "Discourse lists no total for anonymous readers");
      page.backfill_state = verdict.state;
      page.history_note = verdict.note;
      c_.set("empty_polls", int64_t{polls});
      page.cursor = c_.dump();
      return StepResult::finish(std::move(page));
    }
    c_.erase("empty_polls");
    if (!span.newest) {
      // Not one topic with a date that can be true (the page guard skips
      // them): nothing to start from. The next poll is a first poll again.
      page.batch.posts = std::move(list.posts);
      page.cursor = c_.dump();
      StepResult s = StepResult::finish(std::move(page));
      s.reason = "no topic of the list has a plausible date; nothing to start from";
      return s;
    }
    c_.set("polled", int64_t{1});
    if (span.newest) c_.set("head_at", *span.newest);
    if (!full_page(list)) {
      page.backfill_state = BackfillState::kComplete;
      page.history_note = "every topic of the forum's list was read";
    } else if (a_.backfill_since && span.oldest && *span.oldest < *a_.backfill_since) {
      page.backfill_state = BackfillState::kReachedStart;
    } else {
      page.backfill_state = BackfillState::kPending;
      c_.set("back", int64_t{1});
      c_.set("back_oldest", span.oldest);
    }
    page.batch.posts = std::move(list.posts);
    page.cursor = c_.dump();
    return StepResult::finish(std::move(page));
  }

  AccountView a_;
  toolkit::CursorJson c_;
  discourse::Forum f_;
  bool first_ = false;
  int64_t page_ = 0;
  std::optional<TimeMs> head_new_;
};

// --- backfill ---------------------------------------------------------------

class Backfill : public ConnectorSession {
 public:
  explicit Backfill(AccountView a) : a_(std::move(a)), c_(toolkit::CursorJson::parse(a_.cursor)) {}

  StepResult start() override {
    auto f = discourse::forum_of(a_.handle);
    back_ = c_.num("back");
    if (!f || back_ <= 0) return StepResult::finish();
    f_ = *f;
    return StepResult::send(get(list_url(f_, back_)));
  }

  StepResult on_response(const HttpResponse& r) override {
    if (r.status != 200)
      return classify_error(r, "topic list (backfill page " + std::to_string(back_) + ")");
    auto list = discourse::parse_topic_list(r.body, f_.base);
    if (!list.ok())
      return StepResult::fail(FailureKind::kMalformed, list.error().message, r.status);
    Page page;
    page.batch.skipped = std::move(list->skipped);
    const Span span = span_of(list->posts, a_.now);
    const bool full = full_page(*list);
    page.batch.posts = std::move(list->posts);
    if (list->items == 0) return complete(std::move(page));
    if (!span.oldest) {
      // Topics, but not one with a date that can be true: no place to go on
      // from. Backfill stays at this page and asks again later.
      return StepResult::fail(FailureKind::kMalformed,
                              "no topic of backfill page " + std::to_string(back_) +
                                  " has a plausible date; backfill stays at this page",
                              r.status);
    }
    const auto oldest_before = c_.opt_num("back_oldest");
    if (full && span.oldest && oldest_before && *span.oldest >= *oldest_before) {
      // Nothing older than before: new topics pushed this page down (read
      // the next), or the forum ignores `page`. Three in a row stop it.
      const int64_t stalls = c_.num("back_stall") + 1;
      if (stalls >= kMaxStalls) {
        return stop(std::move(page),
                    "backfill stopped: " + std::to_string(stalls) +
                        " pages of the topic list in a row held nothing older than the pages "
                        "before (the forum repeats pages or ignores `page`)");
      }
      c_.set("back_stall", stalls);
      c_.set("back", back_ + 1);
      page.cursor = c_.dump();
      return StepResult::finish(std::move(page));
    }
    c_.erase("back_stall");
    if (span.oldest) c_.set("back_oldest", *span.oldest);
    if (const auto stop_at = c_.opt_num("back_stop");
        stop_at && span.oldest && *span.oldest <= *stop_at) {
      // A backfill a long catch-up reopened has met the topics stored before.
      const auto then = parse_backfill_state(c_.str("back_then"));
      c_.erase("back").erase("back_stop").erase("back_then").erase("back_oldest");
      page.backfill_state = then.value_or(BackfillState::kComplete);
      page.cursor = c_.dump();
      return StepResult::finish(std::move(page));
    }
    if (a_.backfill_since && span.oldest && *span.oldest < *a_.backfill_since) {
      c_.erase("back").erase("back_oldest");
      page.backfill_state = BackfillState::kReachedStart;
      page.cursor = c_.dump();
      return StepResult::finish(std::move(page));
    }
    if (!full) return complete(std::move(page));
    c_.set("back", back_ + 1);
    page.backfill_state = BackfillState::kPending;
    page.cursor = c_.dump();
    return StepResult::finish(std::move(page));
  }

 private:
  StepResult complete(Page page) {
    c_.erase("back").erase("back_oldest").erase("back_stall").erase("back_stop").erase("back_then");
    page.backfill_state = BackfillState::kComplete;
    page.history_note = "paged back to the forum's first listed topic";
    page.cursor = c_.dump();
    return StepResult::finish(std::move(page));
  }

  StepResult stop(Page page, const std::string& why) {
    c_.erase("back").erase("back_oldest").erase("back_stall").erase("back_stop").erase("back_then");
    page.backfill_state = BackfillState::kIncomplete;
    page.history_note = why;
    page.batch.events.push_back({"history_incomplete", why});
    page.cursor = c_.dump();
    StepResult s = StepResult::finish(std::move(page));
    s.reason = why;
    return s;
  }

  AccountView a_;
  toolkit::CursorJson c_;
  discourse::Forum f_;
  int64_t back_ = 0;
};

// --- refresh ----------------------------------------------------------------

class Refresh : public ConnectorSession {
 public:
  explicit Refresh(AccountView a) : a_(std::move(a)), c_(toolkit::CursorJson::parse(a_.cursor)) {}

  StepResult start() override {
    auto f = discourse::forum_of(a_.handle);
    if (!f || !c_.has("polled") || a_.refresh_ids.empty()) return StepResult::finish();
    f_ = *f;
    return StepResult::send(get(list_url(f_, 0)));
  }

  StepResult on_response(const HttpResponse& r) override {
    if (checking_) return on_check(r);
    if (r.status != 200) return classify_error(r, "topic list (refresh)");
    auto list = discourse::parse_topic_list(r.body, f_.base);
    if (!list.ok())
      return StepResult::fail(FailureKind::kMalformed, list.error().message, r.status);
    Page page;
    for (const PostRecord& p : list->posts) seen_.insert(p.platform_post_id);
    for (const SkippedItem& s : list->skipped) seen_.insert(s.id);
    if (list->items == 0 && page_ == 0) {
      return StepResult::fail(FailureKind::kMalformed,
                              "the topic list came back empty for a window with " +
                                  std::to_string(a_.refresh_ids.size()) +
                                  " stored topics; nothing is marked deleted",
                              r.status);
    }
    const bool past_window =
        !list->posts.empty() && list->posts.back().created_at < a_.refresh_since;
    const bool end = !full_page(*list);
    page.batch.posts = std::move(list->posts);
    page.batch.skipped = std::move(list->skipped);
    if (!past_window && !end && page_ + 1 < kMaxRefreshPages) {
      ++page_;
      return StepResult::send(get(list_url(f_, page_)), std::move(page));
    }
    if (past_window || end) {
      for (const std::string& id : a_.refresh_ids) {
        if (!seen_.count(id)) suspects_.push_back(id);
      }
    }
    return next_check(std::move(page));
  }

 private:
  StepResult next_check(Page page) {
    if (!suspects_.empty() && checks_ < kMaxChecksPerUnit && parse_int64(suspects_.front())) {
      ++checks_;
      checking_ = true;
      return StepResult::send(get(f_.base + "/t/" + suspects_.front() + ".json"), std::move(page));
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
    if (r.status == 200) {
      auto t = discourse::parse_topic(r.body, f_.base);
      if (t.ok() && t->topic.platform_post_id == id) {
        page.batch.posts.push_back(std::move(t->topic));  // still there: current counts
      } else {
        page.batch.missing_post_ids.push_back(id);
      }
    } else if (topic_not_found(r)) {
      page.batch.deleted_post_ids.push_back(id);
    } else {
      page.batch.missing_post_ids.push_back(id);  // 403 and the rest: no evidence
    }
    return next_check(std::move(page));
  }

  AccountView a_;
  toolkit::CursorJson c_;
  discourse::Forum f_;
  int64_t page_ = 0;
  std::set<std::string> seen_;
  std::vector<std::string> suspects_;
  size_t checks_ = 0;
  bool checking_ = false;
};

// --- comments ---------------------------------------------------------------

discourse::Staff staff_of(const AccountView& a, const std::string& host) {
  discourse::Staff s;
  if (const auto it = a.settings.find("staff_usernames"); it != a.settings.end()) {
    for (std::string& n : discourse::names_for(it->second, host)) s.usernames.insert(std::move(n));
  }
  if (const auto it = a.settings.find("staff_groups"); it != a.settings.end()) {
    for (std::string& n : discourse::names_for(it->second, host)) s.groups.insert(std::move(n));
  }
  if (const auto it = a.settings.find("site_staff"); it != a.settings.end())
    s.site_staff = it->second != "false";
  return s;
}

class Comments : public ConnectorSession {
 public:
  explicit Comments(AccountView a) : a_(std::move(a)), c_(toolkit::CursorJson::parse(a_.cursor)) {
    for (const std::string& id : a_.comment_ids) {
      if (topics_.size() >= kMaxCommentTopics) break;
      if (parse_int64(id)) topics_.push_back(id);
    }
  }

  StepResult start() override {
    auto f = discourse::forum_of(a_.handle);
    if (!f || topics_.empty()) return StepResult::finish();
    f_ = *f;
    const auto url = parse_url(f_.base);
    staff_ = staff_of(a_, url ? url->host : "");
    groups_.assign(staff_.groups.begin(), staff_.groups.end());
    return next_group(Page{});
  }

  StepResult on_response(const HttpResponse& r) override {
    switch (state_) {
      case State::kGroup:
        return on_group(r);
      case State::kTopic:
        return on_topic(r);
      case State::kChunk:
        return on_chunk(r);
    }
    return StepResult::fail(FailureKind::kMalformed, "unexpected response");
  }

 private:
  enum class State { kGroup, kTopic, kChunk };

  // --- staff groups: members, page by page (optional requests)

  HttpRequest group_request() {
    state_ = State::kGroup;
    HttpRequest r = get(f_.base + "/groups/" + url_encode(group_) +
                        "/members.json?limit=" + std::to_string(kGroupPageSize) +
                        "&offset=" + std::to_string(group_offset_));
    r.optional = true;
    return r;
  }

  StepResult next_group(Page page) {
    if (groups_.empty()) return next_topic(std::move(page));
    group_ = groups_.front();
    groups_.erase(groups_.begin());
    group_offset_ = 0;
    group_pages_ = 0;
    return StepResult::send(group_request(), std::move(page));
  }

  StepResult on_group(const HttpResponse& r) {
    if (r.status == 429) {
      // An optional request sees the 429 itself: the forum's wait, from its
      // JSON body (extras.wait_seconds) or Retry-After.
      Throttle t;
      t.scope = Throttle::Scope::kHost;
      if (const auto e = discourse::parse_error(r.body); e && e->wait_seconds) {
        t.wait = *e->wait_seconds * kSecondMs;
      } else if (const auto ra = r.header("Retry-After")) {
        if (const auto s = parse_int64(trim(*ra)); s && *s >= 0 && *s < 86400)
          t.wait = *s * kSecondMs;
      }
      t.reason = "the forum asks to slow down (HTTP 429" +
                 std::string(r.header("Discourse-Rate-Limit-Error-Code")
                                 ? ", " + *r.header("Discourse-Rate-Limit-Error-Code")
                                 : "") +
                 ")";
      return StepResult::throttled(std::move(t), 429);
    }
    if (r.status == 403 || r.status == 404) {
      add_note(unit_notes_, "the members of staff group '" + group_ + "' are not public (HTTP " +
                                std::to_string(r.status) +
                                "): only posts showing it as primary group count as its");
      return next_group(Page{});
    }
    auto members = r.status == 200 ? discourse::parse_group_members(r.body)
                                   : Result<discourse::GroupMembers>(make_error(
                                         ErrorCode::kParse, "HTTP " + std::to_string(r.status)));
    if (!members.ok()) {
      // Transient or unreadable: an answer by a member could be missed, so
      // no topic of this unit is read completely.
      add_note(staff_gap_, "the members of staff group '" + group_ + "' could not be read (" +
                               (r.status == 0 ? r.transport_error : members.error().message) + ")");
      return next_group(Page{});
    }
    for (std::string& n : members->usernames) staff_.usernames.insert(std::move(n));
    group_offset_ += static_cast<int64_t>(members->items);
    ++group_pages_;
    const bool more = members->items > 0 &&
                      static_cast<int64_t>(members->items) >= kGroupPageSize &&
                      (!members->total || group_offset_ < *members->total);
    if (more && group_pages_ < kMaxGroupPages) return StepResult::send(group_request());
    if (more) add_note(staff_gap_, "staff group '" + group_ + "' has more members than are read");
    return next_group(Page{});
  }

  // --- topics

  StepResult send(HttpRequest request, Page page) {
    ++requests_;
    return StepResult::send(std::move(request), std::move(page));
  }

  StepResult next_topic(Page page) {
    if (next_ >= topics_.size()) {
      StepResult done = StepResult::finish(std::move(page));
      done.reason = unit_notes_;
      return done;
    }
    topic_ = topics_[next_++];
    requests_ = 0;
    notes_ = staff_gap_;
    opening_.clear();
    kept_.clear();
    pending_.clear();
    asked_.clear();
    received_.clear();
    state_ = State::kTopic;
    return send(get(f_.base + "/t/" + topic_ + ".json"), std::move(page));
  }

  void take_posts(std::vector<discourse::Post>& posts, Page& page) {
    for (discourse::Post& p : posts) {
      if (p.topic_id != 0 && std::to_string(p.topic_id) != topic_) {
        page.batch.skipped.push_back({p.id, "a post of topic " + std::to_string(p.topic_id) +
                                                " in the answer for topic " + topic_});
        foreign_ = true;
        continue;
      }
      if (!received_.insert(p.id).second) continue;
      if (!p.counts()) {
        // Hidden or deleted: gone from the thread (confirmed like any
        // missing comment). Whispers and small actions are never stored.
        if (p.hidden || p.deleted) page.batch.missing_comment_ids.push_back(p.id);
        continue;
      }
      if (p.post_number == 1) opening_ = p.id;
      page.batch.comments.push_back(discourse::to_comment(p, topic_, opening_, kept_, staff_));
      kept_.emplace_back(p.post_number, p.id);
    }
  }

  StepResult on_topic(const HttpResponse& r) {
    if (r.status != 200) {
      if (topic_not_found(r)) {
        Page page;
        page.batch.deleted_post_ids.push_back(topic_);  // the forum's own "not found"
        return next_topic(std::move(page));
      }
      if (r.status == 403 || r.status == 401) {
        add_note(unit_notes_, "topic " + topic_ + " was refused (HTTP " + std::to_string(r.status) +
                                  "): its posts cannot be read now");
        return next_topic(Page{});
      }
      return classify_error(r, "topic " + topic_);
    }
    auto view = discourse::parse_topic(r.body, f_.base);
    if (!view.ok() || view->topic.platform_post_id != topic_) {
      return end_topic(Page{}, "topic " + topic_ + " unreadable (" +
                                   (view.ok() ? "another topic's answer" : view.error().message) +
                                   ")");
    }
    Page page;
    page.batch.skipped = std::move(view->skipped);
    foreign_ = false;
    take_posts(view->posts, page);
    page.batch.posts.push_back(std::move(view->topic));  // current counts
    for (const std::string& id : view->stream) {
      if (!received_.count(id) && asked_.insert(id).second) pending_.push_back(id);
    }
    return next_chunk(std::move(page));
  }

  StepResult next_chunk(Page page) {
    if (pending_.empty()) return end_topic(std::move(page), "");
    if (requests_ >= kMaxRequestsPerTopic) {
      return end_topic(std::move(page), "topic " + topic_ + ": " + std::to_string(pending_.size()) +
                                            " posts not read (the per-topic limit of " +
                                            std::to_string(kMaxRequestsPerTopic) + " requests)");
    }
    std::string url = f_.base + "/t/" + topic_ + "/posts.json?";
    chunk_.clear();
    while (!pending_.empty() && chunk_.size() < kChunk) {
      url += std::string(chunk_.empty() ? "" : "&") + "post_ids%5B%5D=" + pending_.front();
      chunk_.push_back(pending_.front());
      pending_.erase(pending_.begin());
    }
    state_ = State::kChunk;
    return send(get(url), std::move(page));
  }

  StepResult on_chunk(const HttpResponse& r) {
    if (r.status == 404 && topic_not_found(r)) {
      Page page;
      page.batch.deleted_post_ids.push_back(topic_);  // deleted while being read
      return next_topic(std::move(page));
    }
    if (r.status != 200) return classify_error(r, "posts of topic " + topic_);
    auto chunk = discourse::parse_post_chunk(r.body);
    Page page;
    if (!chunk.ok()) {
      add_note(notes_, "posts of topic " + topic_ + " unreadable (" + chunk.error().message + ")");
      return next_chunk(std::move(page));
    }
    page.batch.skipped = std::move(chunk->skipped);
    take_posts(chunk->posts, page);
    return next_chunk(std::move(page));
  }

  StepResult end_topic(Page page, const std::string& note) {
    if (!note.empty()) add_note(notes_, note);
    size_t unanswered = 0;
    for (const std::string& id : asked_) {
      if (!received_.count(id)) ++unanswered;
    }
    if (unanswered > 0)
      add_note(notes_, std::to_string(unanswered) +
                           " posts of the topic's stream were not returned by posts.json");
    if (foreign_) add_note(notes_, "the answers held posts of other topics (left out)");
    CommentSweep sweep;
    sweep.on_post_id = topic_;
    sweep.result = notes_.empty() ? CommentSweepResult::kComplete : CommentSweepResult::kPartial;
    sweep.note = notes_;
    if (!notes_.empty() && notes_ != staff_gap_)
      add_note(unit_notes_, "topic " + topic_ + ": " + notes_);
    page.batch.comment_sweeps.push_back(std::move(sweep));
    foreign_ = false;
    return next_topic(std::move(page));
  }

  AccountView a_;
  toolkit::CursorJson c_;
  discourse::Forum f_;
  discourse::Staff staff_;
  State state_ = State::kGroup;
  std::vector<std::string> groups_;
  std::string group_;
  int64_t group_offset_ = 0;
  int group_pages_ = 0;
  std::string staff_gap_;  // why staff may be unknown: every sweep of the unit is partial
  std::vector<std::string> topics_;
  size_t next_ = 0;
  std::string topic_;
  int requests_ = 0;
  std::string opening_;
  std::vector<std::pair<int64_t, std::string>> kept_;
  std::vector<std::string> pending_;
  std::vector<std::string> chunk_;
  std::set<std::string> asked_;
  std::set<std::string> received_;
  bool foreign_ = false;
  std::string notes_;       // the current topic's
  std::string unit_notes_;  // the unit's
};

class DiscourseConnector : public Connector {
 public:
  std::string_view platform() const override { return "discourse"; }
  std::string host_for(const AccountView& account) const override {
    return toolkit::host_key(account.handle).value_or(account.handle);
  }
  std::unique_ptr<ConnectorSession> begin(const AccountView& account,
                                          WorkKind work) const override {
    return toolkit::session_for<Poll, Backfill, Refresh, Comments>(account, work);
  }
};

}  // namespace

PlatformDescriptor discourse_platform() {
  PlatformDescriptor d;
  d.id = "discourse";
  d.display_name = "Discourse";
  d.category = Category::kForum;
  d.earliest_item_ms = earliest_topic();
  d.canonical_handle = canonical_discourse_handle;
  d.capabilities.connector = true;
  d.capabilities.full_history = true;
  d.capabilities.comments = true;
  d.settings = {
      {"staff_usernames", SettingSpec::Type::kString,
       "usernames that answer for the municipality: \"name, name\" for every forum, "
       "\"host=name\" for one forum"},
      {"staff_groups", SettingSpec::Type::kString,
       "groups whose members answer for the municipality: \"group, group\" or \"host=group\""},
      {"site_staff", SettingSpec::Type::kBool,
       "whether the forum's own staff (admins, moderators) answer for the municipality "
       "(default true)"}};
  d.work = {{WorkKind::kPoll},
            {WorkKind::kRefresh, 24 * kHourMs},
            {WorkKind::kComments, 24 * kHourMs},
            // Comment backfill (engine): every topic's posts once, then every
            // defaults.comment_resweep_interval; idle checks every 6 h.
            {WorkKind::kCommentBackfill, 6 * kHourMs},
            {WorkKind::kBackfill}};
  // Half of Discourse's default per-IP limits (50 per 10 s, 200 a minute:
  // config/discourse_defaults.conf as quoted in the reference notes): 25
  // per 10 s is at most 150 a minute.
  d.rate_requests = kRateRequests;
  d.rate_window_ms = kRateWindow;
  d.note =
      "Discourse forums are read anonymously: topics as items, their posts as comments; staff "
      "are configured per forum (platforms.discourse.staff_usernames, staff_groups)";
  return d;
}

std::unique_ptr<Connector> make_discourse_connector() {
  return std::make_unique<DiscourseConnector>();
}

}  // namespace muni
