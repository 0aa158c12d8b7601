// PeerTube connector (content community).
//
// Endpoints (official REST API reference, docs.joinpeertube.org/api-rest-
// reference; the OpenAPI description support/doc/api/openapi.yaml of
// Chocobozzz/PeerTube, 7.0/7.1; no authentication for public data), always
// asked of the actor's home instance, the host of its handle (other
// instances only know what they federate):
//   GET /api/v1/config                          serverVersion: read once per
//       account cursor and again every kConfigRecheckPolls polls. Instances
//       differ: a video's `comments` count is sent from 7.2 on (before, it is
//       unknown, never 0), commentsPolicy replaced commentsEnabled in 6.2.
//       `status` shows the version as an event when it is first read or changes.
//   GET /api/v1/accounts/{name}                 Account: followersCount,
//       followingCount, createdAt, displayName, url.
//   GET /api/v1/video-channels/{name}           VideoChannel: the same, and
//       ownerAccount (whose comments are the channel's answers).
//   GET /api/v1/{accounts|video-channels}/{name}/videos?start=S&count=100&sort=-publishedAt
//       {total, data:[Video]}, newest first; count is at most 100 (openapi
//       components.parameters.count: "maximum: 100"); `start` is an offset.
//   GET /api/v1/videos/{uuid}                   VideoDetails: commentsPolicy
//       (or commentsEnabled), and the per-item evidence of a deletion
//       (404 problem "Video not found").
//   GET /api/v1/videos/{uuid}/comment-threads?start=S&count=100&sort=-createdAt
//       {total, data:[VideoComment]}: the thread roots, each with
//       totalReplies. Comments switched off answer 200 with total 0
//       (server/core/controllers/api/videos/comment.ts, listVideoThreads).
//   GET /api/v1/videos/{uuid}/comment-threads/{threadId}
//       the thread as a tree {comment, children:[{comment, children}]}.
//
// Handles (peertube_handle.h): "name@host" is read as an account, and as a
// channel when the instance knows no account of that name (one instance
// never gives both kinds the same name); "channel:name@host" and /c/
// addresses are channels only. The kind found is kept in the cursor.
//
// Offsets while videos arrive. Videos are listed newest first by offset, so
// a new upload shifts every older video one place down. The catch-up of a
// poll reads from offset 0 until it meets a video it knows (`known`: the
// newest ids stored, up to 10): a shift only repeats a video (the store
// upserts by id). Backfill keeps its place counted from the other end:
// `back` is the number of videos older than the next backfill page, which a
// new upload does not change. The next page is asked at
// start = total - back - kOverlap (total as last seen), and is only taken as
// progress when its top reaches `back` under the total the same answer
// gives; a list that shrank by more than kOverlap (deletions) is asked again
// at the corrected place. Backfill is complete when `back` reaches 0, with the
// list's total as the expected count (the store records the history as
// incomplete if fewer videos were stored). A catch-up longer than
// kMaxPagesPerPoll pages leaves the rest to backfill (which is reopened
// from that place), so no video between the two is skipped.
//
// Comments (kComments and kCommentBackfill, AccountView::comment_ids): for
// each listed video every thread root (offset paging, thread ids deduped),
// then every thread with replies as a tree. A comment is the account's own
// answer (by_account) when its account (name@host) is the account polled, or
// for a channel its ownerAccount: PeerTube channels cannot write comments,
// their owner does. Deleted comments (isDeleted, kept as tombstones while
// they have replies) are nobody's comment and never an answer; their ids go
// to missing_comment_ids, and replies below them answer the nearest comment
// above that is not deleted, so threads stay whole. A video with no threads
// is asked for its details: comments switched off give a kDisabled sweep.
// A tree with fewer nodes than its root's totalReplies (newer instances trim
// deep or wide trees), a thread list that ends before its total, or the
// per-video request limit give a kPartial sweep with the reason.
//
// Absence is not deletion. A refresh re-reads the newest videos over the
// refresh window; own videos of the window it did not list are suspects,
// each (at most kMaxChecksPerUnit) asked for by id: only the instance's own
// 404 problem for that video reports it deleted; a video shown is stored
// again (and so restored); anything else (403 for a video made private, an
// HTML page) only notes it missing.
//
// Errors are RFC 7807 application/problem+json ({type, title, status,
// detail, docs}; openapi "# Errors", samples in ../shared/api-samples/
// peertube/): 404 unknown account, channel or video; 403 with a type such as
// does_not_respect_follow_constraints (the instance refuses to show it);
// 401 a private instance; 429 and 5xx the engine handles (Retry-After).
// Rate limit: 50 requests per 10 seconds per IP on /api/v1/* by default,
// with X-RateLimit-Limit/Remaining/Reset (UNIX seconds) headers (openapi
// "# Rate limits"; admins can change it).
//
// Cursor (JSON): kind ("account" | "channel"), owner (name@host of the
// answering account), version (serverVersion, "?" when unreadable),
// config_in (polls until the configuration is read again), polled (1 after
// the first poll), known (newest ids, comma-separated), total (the list's
// total as last seen), back (videos older than the next backfill page;
// absent: no backfill to do), back_stall (backfill pages in a row without
// progress), empty_polls (empty first lists in a row).
#include "connectors/peertube/peertube_connector.h"

#include <algorithm>
#include <set>

#include "connectors/peertube/peertube_handle.h"
#include "connectors/peertube/peertube_parse.h"
#include "connectors/toolkit.h"
#include "core/strings.h"
#include "engine/page_guard.h"

namespace muni {

namespace {

constexpr int kPageSize = 100;           // the API's maximum `count`
constexpr int kMaxPagesPerPoll = 10;     // 1,000 new videos; the rest by backfill
constexpr int64_t kOverlap = 5;          // videos read twice at a backfill page's top
constexpr int kMaxStalls = 3;            // backfill pages without progress before giving up
constexpr size_t kKnownIds = 10;         // stop markers of the catch-up
constexpr int kConfigRecheckPolls = 50;  // the instance's version is read again after these
constexpr int kMaxRefreshPages = 5;
constexpr int kMaxChecksPerUnit = 10;
constexpr size_t kMaxCommentVideos = 20;         // videos per comment unit
constexpr int kMaxCommentRequestsPerVideo = 60;  // thread pages, trees and details per video

HttpRequest get(std::string url) { return toolkit::get(std::move(url)); }

TimeMs earliest_video() { return jan1_ms(2017); }  // PeerTube 1.0 came out in 2018

bool plausible_time(TimeMs t, TimeMs now) {
  return t >= earliest_video() && t <= now + kMaxFutureSkew;
}

std::vector<std::string> split_ids(const std::string& joined) {
  std::vector<std::string> out;
  for (const std::string& s : split(joined, ',')) {
    if (!s.empty()) out.push_back(s);
  }
  return out;
}

void add_note(std::string& notes, const std::string& note) {
  if (notes.size() < 2000) notes += (notes.empty() ? "" : "; ") + note;
}

// Any non-200 answer the engine passes on (429 and 5xx it keeps), read as
// an RFC 7807 problem where the instance sent one.
StepResult classify_error(const HttpResponse& r, const std::string& what) {
  const auto problem = peertube::parse_problem(r.body);
  StepResult f = toolkit::fail_for_status(r, what, peertube::error_text(r.body));
  if (r.status == 403 && problem &&
      problem->type.find("does_not_respect_follow_constraints") != std::string::npos)
    f.reason += " (the instance refuses to show it to anonymous readers)";
  if (r.status == 401) f.reason += " (a private instance: it requires a login for public data)";
  if (r.status == 404 && !problem)
    f.reason += " (without a PeerTube error body: is the host a PeerTube instance?)";
  return f;
}

// The instance's own "not found" for one video: a 404 with its problem body.
bool video_not_found(const HttpResponse& r) {
  if (r.status != 404) return false;
  const auto p = peertube::parse_problem(r.body);
  return p && (p->status == 404 || p->status == 0);
}

struct Target {
  std::string base;  // https://host
  std::string name;  // actor name on its instance
  bool channel = false;
};

std::string videos_url(const Target& t, int64_t start) {
  return t.base + (t.channel ? "/api/v1/video-channels/" : "/api/v1/accounts/") +
         url_encode(t.name) + "/videos?start=" + std::to_string(std::max<int64_t>(0, start)) +
         "&count=" + std::to_string(kPageSize) + "&sort=-publishedAt";
}

// Where the account lives and which kind it is (from the cursor once known).
std::optional<Target> target_of(const AccountView& a, const toolkit::CursorJson& c) {
  auto actor = peertube::actor_of(a.handle);
  if (!actor) return std::nullopt;
  Target t{actor->base_url, actor->name, actor->channel_only || c.str("kind") == "channel"};
  return t;
}

// The newest ids of a page whose dates can be true: the catch-up's markers.
std::string markers_of(const std::vector<PostRecord>& posts, TimeMs now) {
  std::vector<std::string> ids;
  for (const PostRecord& p : posts) {
    if (ids.size() >= kKnownIds) break;
    if (plausible_time(p.created_at, now)) ids.push_back(p.platform_post_id);
  }
  return join(ids, ",");
}

// --- poll -------------------------------------------------------------------

class Poll : public ConnectorSession {
 public:
  explicit Poll(AccountView a) : a_(std::move(a)), c_(toolkit::CursorJson::parse(a_.cursor)) {}

  StepResult start() override {
    auto t = target_of(a_, c_);
    if (!t)
      return StepResult::fail(FailureKind::kInvalidHandle,
                              "cannot derive the home instance of '" + a_.handle + "'");
    t_ = *t;
    if (c_.str("version").empty() || c_.num("config_in") <= 0) {
      state_ = State::kConfig;
      HttpRequest r = get(t_.base + "/api/v1/config");
      r.optional = true;  // an unreadable configuration costs the version, not the poll
      return StepResult::send(std::move(r));
    }
    c_.set("config_in", c_.num("config_in") - 1);
    return profile_request();
  }

  StepResult on_response(const HttpResponse& r) override {
    switch (state_) {
      case State::kConfig:
        return on_config(r);
      case State::kProfile:
        return on_profile(r);
      case State::kVideos:
        return on_videos(r);
    }
    return StepResult::fail(FailureKind::kMalformed, "unexpected response");
  }

 private:
  enum class State { kConfig, kProfile, kVideos };

  StepResult on_config(const HttpResponse& r) {
    std::string version = "?";
    if (r.status == 200) {
      auto v = peertube::parse_config(r.body);
      if (v.ok() && !v->empty() && v->size() < 64) version = *v;
    }
    if (version != c_.str("version")) {
      std::string detail;
      if (version == "?") {
        detail =
            "the instance's version could not be read (/api/v1/config); counts it does "
            "not send stay unknown";
      } else {
        detail = "the instance runs PeerTube " + version;
        const auto n = peertube::version_number(version);
        if (n && *n < peertube::kCommentsCountSince)
          detail +=
              ": it sends no comment count per video (PeerTube 7.2 and later do); those "
              "counts stay unknown, comments themselves are read";
      }
      pending_.batch.events.push_back({"instance_version", detail});
    }
    c_.set("version", version);
    c_.set("config_in", int64_t{kConfigRecheckPolls});
    return profile_request();
  }

  StepResult profile_request() {
    state_ = State::kProfile;
    return StepResult::send(get(t_.base +
                                (t_.channel ? "/api/v1/video-channels/" : "/api/v1/accounts/") +
                                url_encode(t_.name)));
  }

  StepResult on_profile(const HttpResponse& r) {
    if (r.status == 404 && !t_.channel && c_.str("kind").empty()) {
      // No account of that name: a channel's, then (one name, one actor).
      t_.channel = true;
      tried_account_ = true;
      return profile_request();
    }
    if (r.status != 200) {
      StepResult f = classify_error(r, t_.channel ? "channel" : "account");
      if (tried_account_ && r.status == 404)
        f.reason = "the instance knows neither an account nor a channel '" + t_.name + "' (" +
                   f.reason + ")";
      return f;
    }
    auto info = t_.channel ? peertube::parse_channel(r.body) : peertube::parse_account(r.body);
    if (!info.ok())
      return StepResult::fail(FailureKind::kMalformed, info.error().message, r.status);
    Page page = std::move(pending_);
    pending_ = Page{};
    const std::string kind = t_.channel ? "channel" : "account";
    if (c_.str("kind") != kind) {
      page.batch.events.push_back(
          {"resolved", a_.handle + " is the PeerTube " + kind + " " + info->snapshot.handle});
      c_.set("kind", kind);
    }
    if (!info->owner.empty()) c_.set("owner", info->owner);
    posts_count_ = info->snapshot.posts;
    page.platform_id = info->snapshot.platform_id;
    page.batch.snapshot = std::move(info->snapshot);
    page.cursor = c_.dump();
    first_ever_ = !c_.has("polled");
    known_ = split_ids(c_.str("known"));
    state_ = State::kVideos;
    return StepResult::send(get(videos_url(t_, 0)), std::move(page));
  }

  StepResult on_videos(const HttpResponse& r) {
    if (r.status != 200) return classify_error(r, "videos");
    auto list = peertube::parse_videos(r.body);
    if (!list.ok())
      return StepResult::fail(FailureKind::kMalformed, list.error().message, r.status);
    ++pages_;
    Page page;
    page.batch.skipped = std::move(list->skipped);
    const int64_t items = static_cast<int64_t>(list->items);
    const std::optional<int64_t> total = list->total;
    if (first_ever_) return first_page(std::move(page), std::move(*list), total);

    // A later poll: new videos until a known one. The first page's newest
    // videos become the markers once the catch-up is through.
    if (pages_ == 1) head_ = markers_of(list->posts, a_.now);
    bool reached = false;
    for (PostRecord& p : list->posts) {
      if (std::find(known_.begin(), known_.end(), p.platform_post_id) != known_.end()) {
        reached = true;
        break;
      }
      page.batch.posts.push_back(std::move(p));
    }
    if (total) c_.set("total", *total);
    const int64_t read_to = start_ + items;
    const bool end_of_list = items < kPageSize || (total && read_to >= *total);
    if (!reached && !end_of_list && pages_ < kMaxPagesPerPoll) {
      start_ = read_to;
      page.cursor = c_.dump();
      return StepResult::send(get(videos_url(t_, start_)), std::move(page));
    }
    if (!reached && !end_of_list) {
      // A long catch-up: what lies below is read by backfill, from here on.
      if (total) {
        const int64_t below = std::max<int64_t>(0, *total - read_to);
        if (below > c_.num("back", 0)) {
          c_.set("back", below);
          c_.set("back_stall", int64_t{0});
          page.backfill_state = BackfillState::kPending;
          page.history_note = "a catch-up of more than " +
                              std::to_string(kMaxPagesPerPoll * kPageSize) +
                              " new videos: backfill reads the rest";
        }
      }
    }
    if (!head_.empty()) c_.set("known", head_);
    page.cursor = c_.dump();
    return StepResult::finish(std::move(page));
  }

  // The first poll ever: the newest page is stored, backfill starts below it.
  StepResult first_page(Page page, peertube::VideoPage list, std::optional<int64_t> total) {
    const int64_t items = static_cast<int64_t>(list.items);
    if (items == 0) {
      // An empty list. The list's own total is no evidence of an empty
      // account (the answer in doubt is the one saying it); only the
      // profile's count is (a channel's videosCount; accounts send none),
      // else three empty answers in a row record the history as incomplete.
      (void)total;
      int empty = static_cast<int>(c_.num("empty_polls", 0));
      if (!(posts_count_ && *posts_count_ == 0)) ++empty;
      c_.set("empty_polls", int64_t{empty});
      const auto verdict = toolkit::empty_first_page(posts_count_, empty, "video list", "videos",
                                                     "private, unlisted or blocked videos");
      page.backfill_state = verdict.state;
      page.history_note = verdict.note;
      if (verdict.state == BackfillState::kComplete) {
        c_.set("polled", int64_t{1});
        page.expected_own_posts = 0;
      }
      page.cursor = c_.dump();
      return StepResult::finish(std::move(page));
    }
    c_.set("polled", int64_t{1}).erase("empty_polls");
    c_.set("known", markers_of(list.posts, a_.now));
    if (!total) {
      page.backfill_state = BackfillState::kIncomplete;
      page.history_note =
          "the instance sent no total with the video list: older videos cannot "
          "be paged safely";
      c_.erase("back");
    } else {
      c_.set("total", *total);
      const int64_t below = *total - items;
      if (below <= 0) {
        page.backfill_state = BackfillState::kComplete;
        page.history_note = "the whole video list fit on the first page";
        page.expected_own_posts = *total;
        c_.erase("back");
      } else if (a_.backfill_since && !list.posts.empty() &&
                 list.posts.back().created_at < *a_.backfill_since) {
        page.backfill_state = BackfillState::kReachedStart;
        c_.erase("back");
      } else {
        page.backfill_state = BackfillState::kPending;
        c_.set("back", below);
      }
    }
    page.batch.posts = std::move(list.posts);
    page.cursor = c_.dump();
    return StepResult::finish(std::move(page));
  }

  AccountView a_;
  toolkit::CursorJson c_;
  Target t_;
  State state_ = State::kConfig;
  Page pending_;
  bool tried_account_ = false;
  bool first_ever_ = false;
  std::optional<int64_t> posts_count_;
  std::vector<std::string> known_;
  std::string head_;
  int pages_ = 0;
  int64_t start_ = 0;
};

// --- backfill ---------------------------------------------------------------

// One page further back per unit, placed from the old end of the list (the
// top comment says why).
class Backfill : public ConnectorSession {
 public:
  explicit Backfill(AccountView a) : a_(std::move(a)), c_(toolkit::CursorJson::parse(a_.cursor)) {}

  StepResult start() override {
    const auto back = c_.opt_num("back");
    auto t = target_of(a_, c_);
    if (!back || *back <= 0 || !t || c_.str("kind").empty()) return StepResult::finish();
    t_ = *t;
    back_ = *back;
    start_ = std::max<int64_t>(0, c_.num("total", 0) - back_ - kOverlap);
    return StepResult::send(get(videos_url(t_, start_)));
  }

  StepResult on_response(const HttpResponse& r) override {
    if (r.status != 200) return classify_error(r, "backfill");
    auto list = peertube::parse_videos(r.body);
    if (!list.ok())
      return StepResult::fail(FailureKind::kMalformed, list.error().message, r.status);
    Page page;
    page.batch.skipped = std::move(list->skipped);
    const int64_t items = static_cast<int64_t>(list->items);
    if (!list->total) {
      page.backfill_state = BackfillState::kIncomplete;
      page.history_note = "backfill stopped: the instance sent no total with the video list";
      c_.erase("back");
      page.batch.posts = std::move(list->posts);
      page.cursor = c_.dump();
      return StepResult::finish(std::move(page));
    }
    const auto known = split_ids(c_.str("known"));
    const bool newest_again =
        start_ > 0 && std::any_of(list->posts.begin(), list->posts.end(), [&](const PostRecord& p) {
          return std::find(known.begin(), known.end(), p.platform_post_id) != known.end();
        });
    if (newest_again) {
      // The newest videos far down the list: the instance ignores `start`
      // (or more videos arrived since the last poll than lie above this
      // page). Paging on would read the top again and again.
      page.backfill_state = BackfillState::kIncomplete;
      page.history_note =
          "backfill stopped: the instance answered start=" + std::to_string(start_) +
          " with its newest videos (it ignores start); older history may be "
          "missing";
      page.batch.events.push_back({"history_incomplete", *page.history_note});
      c_.erase("back").erase("back_stall");
      page.batch.posts = std::move(list->posts);
      page.cursor = c_.dump();
      return StepResult::finish(std::move(page));
    }
    const int64_t total = *list->total;
    const int64_t top = total - start_;  // videos older than the page's first, plus the page
    c_.set("total", total);
    const int64_t below = top - items;
    if (top < back_ || items == 0 || below >= back_ || items > top) {
      // The page does not reach down from where backfill stands: the list
      // shrank, or the instance lists less than its total says, or more
      // than can lie below the offset asked for (an answer for another
      // offset). Asked again at the corrected place; given up after kMaxStalls.
      const int64_t stalls = c_.num("back_stall", 0) + 1;
      c_.set("back_stall", stalls);
      if (stalls >= kMaxStalls) {
        page.backfill_state = BackfillState::kIncomplete;
        page.history_note = "backfill stopped: the instance's video list says " +
                            std::to_string(total) + " videos but lists none older than offset " +
                            std::to_string(start_) + " that fit that total (asked " +
                            std::to_string(stalls) + " times)";
        page.batch.events.push_back({"history_incomplete", *page.history_note});
        c_.erase("back").erase("back_stall");
      }
      page.batch.posts = std::move(list->posts);
      page.cursor = c_.dump();
      return StepResult::finish(std::move(page));
    }
    c_.erase("back_stall");
    if (below <= 0) {
      page.backfill_state = BackfillState::kComplete;
      page.history_note = "paged back to the account's first public video";
      page.expected_own_posts = total;
      c_.erase("back");
    } else if (a_.backfill_since && !list->posts.empty() &&
               list->posts.back().created_at < *a_.backfill_since) {
      page.backfill_state = BackfillState::kReachedStart;
      c_.erase("back");
    } else {
      c_.set("back", below);
    }
    page.batch.posts = std::move(list->posts);
    page.cursor = c_.dump();
    return StepResult::finish(std::move(page));
  }

 private:
  AccountView a_;
  toolkit::CursorJson c_;
  Target t_;
  int64_t back_ = 0;
  int64_t start_ = 0;
};

// --- refresh ----------------------------------------------------------------

class Refresh : public ConnectorSession {
 public:
  explicit Refresh(AccountView a) : a_(std::move(a)), c_(toolkit::CursorJson::parse(a_.cursor)) {}

  StepResult start() override {
    auto t = target_of(a_, c_);
    if (!t || c_.str("kind").empty() || a_.refresh_ids.empty()) return StepResult::finish();
    t_ = *t;
    return StepResult::send(get(videos_url(t_, 0)));
  }

  StepResult on_response(const HttpResponse& r) override {
    if (checking_) return on_check(r);
    if (r.status != 200) return classify_error(r, "refresh");
    auto list = peertube::parse_videos(r.body);
    if (!list.ok())
      return StepResult::fail(FailureKind::kMalformed, list.error().message, r.status);
    ++pages_;
    Page page;
    for (const PostRecord& p : list->posts) seen_.insert(p.platform_post_id);
    for (const SkippedItem& s : list->skipped) seen_.insert(s.id);
    const bool past_window =
        !list->posts.empty() && list->posts.back().created_at < a_.refresh_since;
    const int64_t items = static_cast<int64_t>(list->items);
    const bool end = items < kPageSize || (list->total && start_ + items >= *list->total);
    page.batch.posts = std::move(list->posts);
    page.batch.skipped = std::move(list->skipped);
    if (items == 0 && pages_ == 1) {
      // Nothing listed for a window with videos: no reading at all.
      return StepResult::fail(FailureKind::kMalformed,
                              "the video list came back empty for a window with " +
                                  std::to_string(a_.refresh_ids.size()) +
                                  " stored videos; nothing is marked deleted",
                              r.status);
    }
    if (!past_window && !end && pages_ < kMaxRefreshPages) {
      start_ += items;
      return StepResult::send(get(videos_url(t_, start_)), std::move(page));
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
    if (!suspects_.empty() && checks_ < kMaxChecksPerUnit) {
      ++checks_;
      checking_ = true;
      return StepResult::send(get(t_.base + "/api/v1/videos/" + url_encode(suspects_.front())),
                              std::move(page));
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
      auto v = peertube::parse_video(r.body);
      if (v.ok() && v->post.platform_post_id == id) {
        page.batch.posts.push_back(std::move(v->post));  // still there: current counts
      } else {
        page.batch.missing_post_ids.push_back(id);
      }
    } else if (video_not_found(r)) {
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
  int64_t start_ = 0;
  std::set<std::string> seen_;
  std::vector<std::string> suspects_;
  int checks_ = 0;
  bool checking_ = false;
};

// --- comments ---------------------------------------------------------------

class Comments : public ConnectorSession {
 public:
  explicit Comments(AccountView a) : a_(std::move(a)), c_(toolkit::CursorJson::parse(a_.cursor)) {
    for (size_t i = 0; i < a_.comment_ids.size() && i < kMaxCommentVideos; ++i)
      videos_.push_back(a_.comment_ids[i]);
    owner_ = c_.str("owner");
  }

  StepResult start() override {
    auto t = target_of(a_, c_);
    // Before a poll has found the account's owner, no comment can be told
    // apart: the items stay unswept and come again.
    if (!t || owner_.empty()) return StepResult::finish();
    t_ = *t;
    return next_video(Page{});
  }

  StepResult on_response(const HttpResponse& r) override {
    switch (state_) {
      case State::kThreads:
        return on_threads(r);
      case State::kTree:
        return on_tree(r);
      case State::kDetails:
        return on_details(r);
    }
    return StepResult::fail(FailureKind::kMalformed, "unexpected response");
  }

 private:
  enum class State { kThreads, kTree, kDetails };

  std::string video_base() const { return t_.base + "/api/v1/videos/" + url_encode(video_); }

  StepResult send(HttpRequest request, Page page) {
    ++requests_;
    return StepResult::send(std::move(request), std::move(page));
  }

  HttpRequest threads_request() const {
    return get(video_base() + "/comment-threads?start=" + std::to_string(start_) +
               "&count=" + std::to_string(kPageSize) + "&sort=-createdAt");
  }

  StepResult on_threads(const HttpResponse& r) {
    if (r.status != 200) {
      if (video_not_found(r)) {
        Page page;
        page.batch.deleted_post_ids.push_back(video_);  // the instance's own "not found"
        return next_video(std::move(page));
      }
      if (r.status == 403 || r.status == 401) {
        // A video made private or held back: its comments cannot be read now.
        add_note(unit_notes_, "the comments of video " + video_ + " were refused (HTTP " +
                                  std::to_string(r.status) + " " + peertube::error_text(r.body) +
                                  ")");
        return next_video(Page{});
      }
      return classify_error(r, "comment threads");
    }
    auto list = peertube::parse_comment_threads(r.body, video_, owner_);
    if (!list.ok())
      return StepResult::fail(FailureKind::kMalformed, list.error().message, r.status);
    Page page;
    // The largest total any page said: a later page saying less while
    // listing nothing is no reason to believe the threads were all read.
    if (list->total) total_ = std::max(total_, *list->total);
    for (peertube::ThreadRoot& t : list->threads) {
      if (!threads_seen_.insert(t.id).second) continue;  // shifted by a new thread
      if (t.deleted) page.batch.missing_comment_ids.push_back(t.id);
      if (t.comment) page.batch.comments.push_back(std::move(*t.comment));
      if (t.total_replies > 0) trees_.push_back({t.id, t.total_replies});
    }
    const int64_t items = static_cast<int64_t>(list->items);
    start_ += items;
    const bool more = items > 0 && start_ < total_;
    if (more) {
      if (requests_ >= kMaxCommentRequestsPerVideo) {
        add_note(notes_, "thread list stopped at the per-video limit of " +
                             std::to_string(kMaxCommentRequestsPerVideo) + " requests");
      } else {
        return send(threads_request(), std::move(page));
      }
    } else if (items == 0 && start_ < total_) {
      add_note(notes_, "the instance says " + std::to_string(total_) + " threads but listed " +
                           std::to_string(threads_seen_.size()));
    }
    return next_tree(std::move(page));
  }

  StepResult next_tree(Page page) {
    if (!trees_.empty()) {
      if (requests_ >= kMaxCommentRequestsPerVideo) {
        add_note(notes_, "the replies of " + std::to_string(trees_.size()) +
                             " thread(s) not read: the per-video limit of " +
                             std::to_string(kMaxCommentRequestsPerVideo) + " requests");
        trees_.clear();
      } else {
        tree_ = trees_.front();
        trees_.erase(trees_.begin());
        state_ = State::kTree;
        return send(get(video_base() + "/comment-threads/" + url_encode(tree_.id)),
                    std::move(page));
      }
    }
    if (threads_seen_.empty()) {
      // No thread at all: none written, or comments switched off. The
      // thread list answers alike; the video's details tell.
      state_ = State::kDetails;
      return send(get(video_base()), std::move(page));
    }
    return finish_video(std::move(page), CommentSweepResult::kComplete);
  }

  StepResult on_tree(const HttpResponse& r) {
    Page page;
    if (r.status == 404) {
      // The thread went (deleted with all its replies) since the list.
      return next_tree(std::move(page));
    }
    if (r.status != 200) return classify_error(r, "comment thread");
    auto tree = peertube::parse_comment_tree(r.body, video_, owner_);
    if (!tree.ok()) {
      add_note(notes_, "thread " + tree_.id + " unreadable (" + tree.error().message + ")");
      return next_tree(std::move(page));
    }
    if (tree->descendants < tree_.replies) {
      add_note(notes_, "thread " + tree_.id + " showed " + std::to_string(tree->descendants) +
                           " of " + std::to_string(tree_.replies) +
                           " replies (newer instances trim deep or wide reply trees)");
    }
    page.batch.comments = std::move(tree->replies);
    page.batch.missing_comment_ids = std::move(tree->deleted_ids);
    return next_tree(std::move(page));
  }

  StepResult on_details(const HttpResponse& r) {
    if (video_not_found(r)) {
      Page page;
      page.batch.deleted_post_ids.push_back(video_);
      return next_video(std::move(page));
    }
    bool disabled = false;
    if (r.status == 200) {
      auto v = peertube::parse_video(r.body);
      disabled = v.ok() && v->comments_disabled.value_or(false);
    }
    // Other answers cannot tell "switched off" from "none written": none
    // were listed either way.
    return finish_video(Page{},
                        disabled ? CommentSweepResult::kDisabled : CommentSweepResult::kComplete);
  }

  StepResult finish_video(Page page, CommentSweepResult result) {
    CommentSweep sweep;
    sweep.on_post_id = video_;
    sweep.result = notes_.empty() ? result : CommentSweepResult::kPartial;
    sweep.note = notes_;
    if (!notes_.empty()) add_note(unit_notes_, "video " + video_ + ": " + notes_);
    page.batch.comment_sweeps.push_back(std::move(sweep));
    return next_video(std::move(page));
  }

  StepResult next_video(Page page) {
    if (next_ >= videos_.size()) {
      StepResult done = StepResult::finish(std::move(page));
      done.reason = unit_notes_;
      return done;
    }
    video_ = videos_[next_++];
    state_ = State::kThreads;
    start_ = 0;
    total_ = 0;
    requests_ = 0;
    notes_.clear();
    threads_seen_.clear();
    trees_.clear();
    return send(threads_request(), std::move(page));
  }

  struct Tree {
    std::string id;
    int64_t replies = 0;
  };

  AccountView a_;
  toolkit::CursorJson c_;
  Target t_;
  std::string owner_;
  std::vector<std::string> videos_;
  size_t next_ = 0;
  State state_ = State::kThreads;
  std::string video_;
  int64_t start_ = 0;
  int64_t total_ = 0;
  int requests_ = 0;
  std::string notes_;       // the current video's
  std::string unit_notes_;  // the unit's, for its result
  std::set<std::string> threads_seen_;
  std::vector<Tree> trees_;
  Tree tree_;
};

class PeerTubeConnector : public Connector {
 public:
  std::string_view platform() const override { return "peertube"; }
  std::string host_for(const AccountView& account) const override {
    const auto actor = peertube::actor_of(account.handle);
    return actor ? toolkit::host_key(actor->base_url).value_or(account.handle) : account.handle;
  }
  std::unique_ptr<ConnectorSession> begin(const AccountView& account,
                                          WorkKind work) const override {
    return toolkit::session_for<Poll, Backfill, Refresh, Comments>(account, work);
  }
};

}  // namespace

PlatformDescriptor peertube_platform() {
  PlatformDescriptor d;
  d.id = "peertube";
  d.display_name = "PeerTube";
  d.category = Category::kContentCommunity;
  d.earliest_item_ms = earliest_video();
  d.canonical_handle = canonical_peertube_handle;
  d.capabilities.connector = true;
  d.capabilities.full_history = true;
  d.capabilities.comments = true;
  d.work = {{WorkKind::kPoll},
            {WorkKind::kRefresh},
            {WorkKind::kComments, 24 * kHourMs},
            // Comment backfill (engine): every item's comments once, then
            // every defaults.comment_resweep_interval; idle checks every 6 h.
            {WorkKind::kCommentBackfill, 6 * kHourMs},
            {WorkKind::kBackfill}};
  // 50 requests per 10 seconds per IP on /api/v1/* by default (openapi
  // "# Rate limits"); the engine follows X-RateLimit-* where sent.
  d.rate_requests = 50;
  d.rate_window_ms = 10 * 1000;
  return d;
}

std::unique_ptr<Connector> make_peertube_connector() {
  return std::make_unique<PeerTubeConnector>();
}

}  // namespace muni
