// YouTube connector (content community).
//
// With an API key (YouTube Data API v3, developers.google.com/youtube/v3/docs;
// every call below costs 1 quota unit, developers.google.com/youtube/v3/
// determine_quota_cost):
//   channels?part=snippet,contentDetails,statistics&forHandle=@x | forUsername=x | id=UC,...
//       resolves the channel (HTTP 200 without `items` means no such
//       channel), profile counts as strings: subscriberCount rounded to three
//       significant figures (hidden when hiddenSubscriberCount), videoCount,
//       viewCount; snippet.publishedAt is the channel's creation;
//       contentDetails.relatedPlaylists.uploads is the uploads playlist.
//   playlistItems?part=contentDetails,snippet&playlistId=UU...&maxResults=50&pageToken=T
//       the uploads, newest first in practice (not a documented guarantee),
//       nextPageToken absent on the last page; contentDetails.videoPublishedAt
//       is the video's time (snippet.publishedAt is when it joined the list).
//   videos?part=snippet,statistics,contentDetails&id=v1,...,v50
//       counts as strings; likeCount absent when hidden, commentCount when
//       comments are off; liveBroadcastContent upcoming/live: not published yet.
//   commentThreads?part=snippet,replies&videoId=V&maxResults=100&order=time
//   comments?part=snippet&parentId=T&maxResults=100
//       citizens' comments and the channel's answers (a reply whose
//       authorChannelId.value is the channel); the replies part of a thread
//       is a subset, the rest comes from comments.list.
//   videos?part=id&id=V and playlistItems?part=id&playlistId=UU...&videoId=V
//       the per-item evidence of a deletion (below). `videoId` is
//       playlistItems.list's documented filter: "only the playlist items that
//       contain the specified video".
// Counts (statistics, comment likes, pageInfo) are read by json_count only
// (core/json.h: saturating, negative stays negative); the page guard
// (engine/page_guard.h) stores a negative or absurd one as unknown.
// Quota: 10,000 units a day per project, reset at midnight Pacific Time; a
// 403 with reason quotaExceeded parks the key until then (other platforms
// carry on). Errors: 400 keyInvalid / badRequest "API key not valid", 403
// accessNotConfigured / forbidden: the key is rejected; 403
// commentsDisabled: that video has no comments. A 403 that names no reason
// (an empty body, an envelope without errors[].reason) is not YouTube
// refusing the key, which it always explains: it is reported as "HTTP 403
// without a reason" and retried like a server error, not parked for a day
// as auth_required.
//
// Absence is not deletion. videos.list leaves out ids it cannot return, but
// a degraded or hostile server leaves out ids too (it once answered no items
// twice, and 112 videos were marked deleted). So:
//   - ids left out of an otherwise good answer are suspects. At most
//     kMaxDeletionChecks of them per unit are checked one by one: a video is
//     deleted only when videos.list for that id alone returns no item AND the
//     channel's uploads playlist filtered by videoId returns no item. Either
//     one showing the video means it is not deleted. Suspects beyond the
//     limit, or of a channel whose uploads playlist is unknown, are only
//     noted (Batch::missing_post_ids, which never deletes);
//   - a refresh batch answered with none of its ids is a degraded answer: the
//     unit fails (server_error, "videos.list returned none of the N requested
//     videos") and nothing is marked. Only when its first video is proven
//     gone by the same two checks (a channel that deleted its only recent
//     video) is the answer taken as true, and the others become suspects;
//   - comments are never marked missing: a comment reading that returns
//     nothing for a video that had comments is no evidence of anything.
//
// Paging guards. Every paged sequence (the uploads catch-up, comment threads
// of a video, replies of a thread) keeps the page tokens it was given; a
// token that comes back (repeating or going in circles) ends that sequence
// with the reason in the unit's result. One video's comments take at most
// kMaxCommentPagesPerVideo requests per sweep; a catch-up at most
// kMaxPagesPerPoll pages per poll and, over several polls, about the
// channel's videoCount / 50 pages. Backfill reads one page per unit; the
// cursor keeps the tokens of its last 20 pages, and a token among them ends
// backfill as incomplete, with the reason.
//
// Head and catch-up. A poll reads the uploads from the top until it meets a
// video it knows: `known` holds the newest stored videos whose date was
// plausible (after 2004, at most the page guard's skew after the engine's
// now). A video the page guard rejects (dated 9999-12-31) therefore never
// becomes head or marker, and the catch-up stops at a known id, never at one
// item's date: only when every known video has gone does a page whose dated
// videos are all older than the head end it.
//
// Without a key: the channel feed /feeds/videos.xml?channel_id=UC...
// (?user=Name for legacy names): the newest 15 videos with views
// (media:statistics) and likes (media:starRating count), no history, no
// comments; an @handle cannot be resolved without the API. The feed has had
// outages answering 404 for existing channels, so a 404 from it is retried,
// never taken as proof that the channel is gone. Cache-Control: max-age=900
// (polling more often than every 15 minutes sees cached answers).
//
// Cursor: id (UC...), uploads (UU...), polled (the first poll has run),
// known (up to 10 ids: the newest videos stored with a plausible date,
// newest first; the catch-up's stop markers), head / head_at (the first of
// them and its time), pending (page token of an unfinished catch-up),
// pending_known / pending_head_at (the markers to adopt when it is through),
// pending_pages (its pages so far), back (page token of the next backfill
// page), back_trail (the tokens of the last 20 backfill pages), videos (the channel's videoCount at
// the last profile read), upcoming (premieres and streams announced but not aired: asked about on
// every poll until they are).
#include "connectors/youtube/youtube_connector.h"

#include <algorithm>
#include <deque>
#include <map>
#include <set>

#include "connectors/toolkit.h"
#include "connectors/youtube/youtube_handle.h"
#include "connectors/youtube/youtube_parse.h"
#include "core/strings.h"
#include "engine/page_guard.h"

namespace muni {

namespace {

constexpr const char* kDefaultApi = "https://www.googleapis.com/youtube/v3";
constexpr const char* kDefaultFeedBase = "https://www.youtube.com";
constexpr int kPageSize = 50;              // maxResults limit of playlistItems.list and videos.list
constexpr int kMaxPagesPerPoll = 10;       // 500 new videos; the rest next poll
constexpr int64_t kMaxCatchUpPages = 400;  // over several polls, whatever videoCount says
constexpr size_t kKnownIds = 10;           // stop markers of the catch-up
constexpr size_t kMaxCommentVideos = 20;   // videos per comment sweep
constexpr int kMaxCommentPagesPerVideo = 50;  // requests (threads and replies) per video per sweep
constexpr size_t kMaxDeletionChecks = 10;     // suspects checked per refresh (2 units each)

std::string api_of(const AccountView& a) { return a.base_url.value_or(kDefaultApi); }
std::string feed_of(const AccountView& a) {
  const auto it = a.settings.find("feed_base_url");
  std::string base = it != a.settings.end() && !it->second.empty() ? it->second : kDefaultFeedBase;
  while (!base.empty() && base.back() == '/') base.pop_back();
  return base;
}

HttpRequest api_get(std::string url) {
  HttpRequest r = toolkit::get(std::move(url));
  r.credential.kind = CredentialUse::Kind::kPlatform;  // the key, as a query parameter
  r.cost = 1;
  return r;
}

TimeMs earliest_video() { return jan1_ms(2004); }  // YouTube went online in 2005

// Whether a video's time can be true: not before YouTube, not later than the
// page guard accepts (engine/page_guard.h). Only such a video may become a
// stop marker of the catch-up.
bool plausible_time(TimeMs t, TimeMs now) {
  return t >= earliest_video() && t <= now + kMaxFutureSkew;
}

std::vector<std::string> split_ids(const std::string& joined) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start < joined.size()) {
    size_t comma = joined.find(',', start);
    if (comma == std::string::npos) comma = joined.size();
    if (comma > start) out.push_back(joined.substr(start, comma - start));
    start = comma + 1;
  }
  return out;
}

std::string join_plain(const std::vector<std::string>& ids) {
  std::string out;
  for (const std::string& id : ids) out += (out.empty() ? "" : ",") + id;
  return out;
}

std::string join_ids(const std::vector<std::string>& ids) {
  std::string out;
  for (const std::string& id : ids) out += (out.empty() ? "" : ",") + url_encode(id);
  return out;
}

bool contains(const std::vector<std::string>& v, const std::string& id) {
  return std::find(v.begin(), v.end(), id) != v.end();
}

// "a; b" for notes gathered along a unit of work.
void add_note(std::string& notes, const std::string& note) {
  if (notes.size() < 2000) notes += (notes.empty() ? "" : "; ") + note;
}

// Failures of the Data API, read from its error envelope.
StepResult api_failure(const HttpResponse& r, const std::string& what) {
  const auto e = youtube::parse_error(r.body);
  const std::string reason = e ? e->reason : "";
  const std::string detail = e ? reason + (e->message.empty() ? "" : ": " + e->message) : "";
  if (reason == "quotaExceeded" || reason == "dailyLimitExceeded" ||
      reason == "rateLimitExceeded") {
    Throttle t;
    t.scope = reason == "rateLimitExceeded" ? Throttle::Scope::kHost : Throttle::Scope::kCredential;
    if (reason == "rateLimitExceeded") t.wait = kMinuteMs;
    t.reason = "YouTube Data API " + reason + " (HTTP " + std::to_string(r.status) + ")";
    return StepResult::throttled(std::move(t), r.status);
  }
  if (reason == "keyInvalid" || reason == "keyExpired" || reason == "accessNotConfigured" ||
      reason == "forbidden" || (r.status == 400 && detail.find("API key") != std::string::npos)) {
    return StepResult::fail(FailureKind::kAuthFailed,
                            what + ": the API key was rejected (" + detail + ")", r.status);
  }
  if (r.status == 403 && reason.empty()) {
    // YouTube explains every refusal of a key or a quota in errors[].reason;
    // a 403 without one (an empty body, a proxy's page) says nothing about
    // the key. Retried like a server error, not parked a day as auth_required.
    const std::string message = e && !e->message.empty() ? " (" + e->message + ")" : "";
    return StepResult::fail(FailureKind::kServerError,
                            what + ": HTTP 403 without a reason" + message +
                                "; taken as a passing fault and retried, not as a refused key",
                            r.status);
  }
  if (r.status == 404)
    return StepResult::fail(FailureKind::kNotFound, what + ": HTTP 404 " + detail, r.status);
  return toolkit::fail_for_status(r, what, detail);
}

// --- with an API key ------------------------------------------------------

// Poll: the channel, then new uploads (newest first, until a known video)
// with their counts; the first poll ever stores the newest page and starts
// backfill below it.
class ApiPoll : public ConnectorSession {
 public:
  explicit ApiPoll(AccountView a) : a_(std::move(a)), c_(toolkit::CursorJson::parse(a_.cursor)) {
    known_ = split_ids(c_.str("known"));
    if (known_.empty() && !c_.str("head").empty()) {
      // A cursor of an earlier version: the head is the only marker, and it
      // counts only if its time is plausible (earlier versions made a video
      // dated 9999 the head, which hid every later upload). Without markers
      // the catch-up reads the uploads to their end once.
      c_.set("polled", int64_t{1});
      if (plausible_time(c_.num("head_at"), a_.now)) {
        known_.push_back(c_.str("head"));
        c_.set("known", c_.str("head"));
      } else {
        c_.erase("head").erase("head_at");
      }
    }
  }

  StepResult start() override {
    std::string filter;
    const std::string id = c_.str("id").empty() ? a_.platform_id : c_.str("id");
    if (!id.empty()) {
      filter = "id=" + url_encode(id);
    } else if (starts_with(a_.handle, "@")) {
      filter = "forHandle=" + url_encode(a_.handle);
    } else if (starts_with(a_.handle, "user:")) {
      filter = "forUsername=" + url_encode(a_.handle.substr(5));
    } else {
      filter = "id=" + url_encode(a_.handle);
    }
    state_ = State::kChannel;
    return StepResult::send(
        api_get(api_of(a_) + "/channels?part=snippet,contentDetails,statistics&" + filter));
  }

  StepResult on_response(const HttpResponse& r) override {
    switch (state_) {
      case State::kChannel:
        return on_channel(r);
      case State::kPlaylist:
        return on_playlist(r);
      case State::kVideos:
        return on_videos(r);
    }
    return StepResult::fail(FailureKind::kMalformed, "unexpected response");
  }

 private:
  enum class State { kChannel, kPlaylist, kVideos };

  StepResult on_channel(const HttpResponse& r) {
    if (r.status != 200) return api_failure(r, "channels");
    auto channels = youtube::parse_channels(r.body);
    if (!channels.ok())
      return StepResult::fail(FailureKind::kMalformed, channels.error().message, r.status);
    if (channels->empty()) {
      return StepResult::fail(
          FailureKind::kNotFound,
          "YouTube knows no channel " + a_.handle + " (channels.list answered without items)",
          r.status);
    }
    const youtube::Channel& ch = channels->front();
    Page page;
    if (c_.str("id").empty())
      page.batch.events.push_back({"resolved", a_.handle + " is " + ch.snapshot.platform_id});
    c_.set("id", ch.snapshot.platform_id);
    if (!ch.uploads.empty()) c_.set("uploads", ch.uploads);
    c_.set("videos", ch.video_count);
    page.platform_id = ch.snapshot.platform_id;
    page.batch.snapshot = ch.snapshot;
    page.cursor = c_.dump();
    if (c_.str("uploads").empty()) {
      // A channel without an uploads playlist has no videos.
      page.backfill_state = BackfillState::kComplete;
      page.history_note = "the channel has no uploads playlist (no public videos)";
      return StepResult::finish(std::move(page));
    }
    first_ever_ = known_.empty() && !c_.has("polled");
    const std::string pending = first_ever_ ? "" : c_.str("pending");
    if (!pending.empty()) tokens_.insert(pending);
    return StepResult::send(playlist_request(pending), std::move(page));
  }

  HttpRequest playlist_request(const std::string& token) {
    state_ = State::kPlaylist;
    std::string url = api_of(a_) + "/playlistItems?part=contentDetails,snippet&playlistId=" +
                      url_encode(c_.str("uploads")) + "&maxResults=" + std::to_string(kPageSize);
    if (!token.empty()) url += "&pageToken=" + url_encode(token);
    return api_get(std::move(url));
  }

  StepResult on_playlist(const HttpResponse& r) {
    if (r.status == 404) {
      // The uploads playlist of a channel that never uploaded (playlistNotFound).
      Page page;
      page.backfill_state = BackfillState::kComplete;
      page.history_note = "the channel has no public videos";
      return StepResult::finish(std::move(page));
    }
    if (r.status != 200) return api_failure(r, "playlistItems");
    auto list = youtube::parse_playlist_items(r.body);
    if (!list.ok())
      return StepResult::fail(FailureKind::kMalformed, list.error().message, r.status);
    ++pages_;
    list_ = std::move(*list);
    // New items: all of the first page ever; otherwise until a known video.
    new_ids_.clear();
    reached_ = false;
    for (const youtube::PlaylistItem& item : list_.items) {
      if (!first_ever_ && contains(known_, item.video_id)) {
        reached_ = true;
        break;
      }
      new_ids_.push_back(item.video_id);
    }
    if (!first_ever_ && !reached_ && passed_head()) reached_ = true;
    // Scheduled premieres and streams seen before: asked about again in the
    // same videos.list call, so that they are stored once they have aired
    // (they may sit below the head by then).
    std::vector<std::string> ask = new_ids_;
    for (const std::string& id : watched_) {
      if (ask.size() >= static_cast<size_t>(kPageSize)) break;
      if (!contains(ask, id)) ask.push_back(id);
    }
    asked_.insert(ask.begin(), ask.end());
    if (ask.empty()) return after_videos(Page{});
    state_ = State::kVideos;
    return StepResult::send(
        api_get(api_of(a_) + "/videos?part=snippet,statistics,contentDetails&id=" + join_ids(ask)));
  }

  // Every known video has gone (deleted, made private), so the catch-up
  // cannot meet one: it ends on a page whose dated videos are all older than
  // the head. One item's date never decides this (a page with one video
  // dated in the future, or none dated at all, reads on).
  bool passed_head() const {
    const auto head_at = c_.opt_num("head_at");
    if (!head_at || !plausible_time(*head_at, a_.now)) return false;
    bool dated = false;
    for (const youtube::PlaylistItem& item : list_.items) {
      if (!item.published_at) continue;
      if (*item.published_at >= *head_at) return false;
      dated = true;
    }
    return dated;
  }

  StepResult on_videos(const HttpResponse& r) {
    if (r.status != 200) return api_failure(r, "videos");
    auto videos = youtube::parse_videos(r.body);
    if (!videos.ok())
      return StepResult::fail(FailureKind::kMalformed, videos.error().message, r.status);
    Page page;
    for (const PostRecord& p : videos->posts) {
      if (plausible_time(p.created_at, a_.now)) plausible_[p.platform_post_id] = p.created_at;
    }
    page.batch.posts = std::move(videos->posts);
    page.batch.skipped = std::move(videos->skipped);
    upcoming_.insert(videos->upcoming.begin(), videos->upcoming.end());
    return after_videos(std::move(page));
  }

  // The page's videos that may become stop markers: published, with a
  // plausible time in videos.list, in the playlist's order (newest first).
  std::vector<std::string> markers_of_page() const {
    std::vector<std::string> out;
    for (const youtube::PlaylistItem& item : list_.items) {
      if (plausible_.count(item.video_id) && !upcoming_.count(item.video_id) &&
          !contains(out, item.video_id))
        out.push_back(item.video_id);
    }
    return out;
  }

  void set_known(std::vector<std::string> known, std::optional<TimeMs> head_at) {
    if (known.size() > kKnownIds) known.resize(kKnownIds);
    c_.set("known", join_plain(known));
    if (!known.empty() && head_at) {
      c_.set("head", known.front());
      c_.set("head_at", *head_at);
    }
  }

  void end_catch_up() {
    c_.erase("pending").erase("pending_known").erase("pending_head_at").erase("pending_pages");
    c_.erase("pending_head");  // written by earlier versions
  }

  // At most about the channel's videoCount / 50 pages, however many polls a
  // catch-up takes: a token that circles through more pages than one poll
  // reads is caught here.
  int64_t catch_up_cap() const {
    const auto videos = c_.opt_num("videos");
    if (!videos || *videos < 0) return kMaxCatchUpPages;
    return std::min<int64_t>(kMaxCatchUpPages, *videos / kPageSize + 3);
  }

  // The page's videos are in hand: move the cursor past them, in the same
  // commit, and decide whether to read on.
  StepResult after_videos(Page page) {
    update_watched();
    const std::vector<std::string> markers = markers_of_page();
    if (first_ever_) {
      // The newest plausible videos become the markers; backfill continues below.
      set_known(markers, markers.empty() ? std::nullopt
                                         : std::optional<TimeMs>(plausible_.at(markers.front())));
      c_.set("polled", int64_t{1});
      end_catch_up();
      c_.set("back", list_.next_page_token);
      if (list_.next_page_token.empty()) {
        page.backfill_state = BackfillState::kComplete;
        page.expected_own_posts = c_.opt_num("videos");
      } else if (a_.backfill_since && !list_.items.empty() && list_.items.back().published_at &&
                 *list_.items.back().published_at < *a_.backfill_since) {
        page.backfill_state = BackfillState::kReachedStart;
        c_.erase("back");
      } else {
        page.backfill_state = BackfillState::kPending;
      }
      page.cursor = c_.dump();
      return StepResult::finish(std::move(page));
    }
    // The newest plausible videos of this catch-up become markers once it
    // is through (never a premiere that has not aired, never a video whose
    // date the page guard rejects).
    std::vector<std::string> pending = split_ids(c_.str("pending_known"));
    if (pending.empty() && !c_.str("pending_head").empty() &&
        plausible_time(c_.num("pending_head_at"), a_.now)) {
      pending.push_back(c_.str("pending_head"));  // a cursor of an earlier version
    }
    for (const std::string& id : markers) {
      if (pending.size() >= kKnownIds || contains(pending, id)) continue;
      if (pending.empty()) c_.set("pending_head_at", plausible_.at(id));
      pending.push_back(id);
    }
    c_.set("pending_known", join_plain(pending));
    c_.set("pending_pages", c_.num("pending_pages") + 1);

    const std::string next = list_.next_page_token;
    if (reached_ || next.empty()) {
      if (!pending.empty()) {
        std::vector<std::string> known = pending;
        for (const std::string& id : known_) {
          if (!contains(known, id)) known.push_back(id);
        }
        set_known(std::move(known), c_.num("pending_head_at"));
      }
      end_catch_up();
      page.cursor = c_.dump();
      return StepResult::finish(std::move(page));
    }
    const bool circles = !tokens_.insert(next).second;
    if (circles || c_.num("pending_pages") >= catch_up_cap()) {
      // The known videos cannot be reached this way. The markers stay as
      // they were, so the next poll reads from the top again; the videos read
      // so far are stored.
      const std::string why =
          circles ? "playlistItems gave a page token it had given before (the paging repeats "
                    "or goes in circles)"
                  : "the catch-up read " + std::to_string(c_.num("pending_pages")) +
                        " pages without meeting a known video, more than the channel's " +
                        "videoCount allows";
      end_catch_up();
      page.cursor = c_.dump();
      StepResult done = StepResult::finish(std::move(page));
      done.reason = "uploads catch-up stopped: " + why + "; the next poll starts from the top";
      return done;
    }
    c_.set("pending", next);
    page.cursor = c_.dump();
    if (pages_ >= kMaxPagesPerPoll) return StepResult::finish(std::move(page));  // next poll
    return StepResult::send(playlist_request(next), std::move(page));
  }

  // The watch list of unaired premieres: the ones asked about that are
  // still upcoming, plus the old ones not asked about this time.
  void update_watched() {
    std::vector<std::string> next;
    for (const std::string& id : watched_) {
      if (!asked_.count(id) && next.size() < kMaxWatched) next.push_back(id);
    }
    for (const std::string& id : upcoming_) {
      if (next.size() < kMaxWatched && !contains(next, id)) next.push_back(id);
    }
    watched_ = next;
    c_.set("upcoming", join_plain(watched_));
  }

  static constexpr size_t kMaxWatched = 20;

  AccountView a_;
  toolkit::CursorJson c_;
  std::vector<std::string> known_;
  std::vector<std::string> watched_ = split_ids(c_.str("upcoming"));
  std::set<std::string> asked_;
  std::set<std::string> tokens_;  // page tokens given in this catch-up
  State state_ = State::kChannel;
  youtube::PlaylistPage list_;
  std::vector<std::string> new_ids_;
  std::set<std::string> upcoming_;
  std::map<std::string, TimeMs> plausible_;  // published videos with a plausible time
  bool first_ever_ = false;
  bool reached_ = false;
  int pages_ = 0;
};

// Backfill: one page of the uploads playlist further back, with its counts.
class ApiBackfill : public ConnectorSession {
 public:
  explicit ApiBackfill(AccountView a)
      : a_(std::move(a)), c_(toolkit::CursorJson::parse(a_.cursor)) {}

  StepResult start() override {
    if (c_.str("uploads").empty() || c_.str("back").empty()) return StepResult::finish();
    return StepResult::send(api_get(
        api_of(a_) +
        "/playlistItems?part=contentDetails,snippet&playlistId=" + url_encode(c_.str("uploads")) +
        "&maxResults=" + std::to_string(kPageSize) + "&pageToken=" + url_encode(c_.str("back"))));
  }

  StepResult on_response(const HttpResponse& r) override {
    if (!list_) return on_playlist(r);
    return on_videos(r);
  }

 private:
  StepResult on_playlist(const HttpResponse& r) {
    if (r.status == 400) {
      const auto e = youtube::parse_error(r.body);
      if (e && e->reason == "invalidPageToken") {
        // The saved position is no longer valid: say so, never guess.
        Page page;
        c_.erase("back");
        page.backfill_state = BackfillState::kIncomplete;
        page.history_note = "backfill stopped: YouTube no longer accepts the saved page token";
        page.cursor = c_.dump();
        return StepResult::finish(std::move(page));
      }
    }
    if (r.status != 200) return api_failure(r, "playlistItems (backfill)");
    auto list = youtube::parse_playlist_items(r.body);
    if (!list.ok())
      return StepResult::fail(FailureKind::kMalformed, list.error().message, r.status);
    list_ = std::move(*list);
    std::vector<std::string> ids;
    for (const auto& item : list_->items) ids.push_back(item.video_id);
    if (ids.empty()) return finish_page(Page{});
    return StepResult::send(
        api_get(api_of(a_) + "/videos?part=snippet,statistics,contentDetails&id=" + join_ids(ids)));
  }

  StepResult on_videos(const HttpResponse& r) {
    if (r.status != 200) return api_failure(r, "videos (backfill)");
    auto videos = youtube::parse_videos(r.body);
    if (!videos.ok())
      return StepResult::fail(FailureKind::kMalformed, videos.error().message, r.status);
    Page page;
    page.batch.posts = std::move(videos->posts);
    page.batch.skipped = std::move(videos->skipped);
    return finish_page(std::move(page));
  }

  StepResult finish_page(Page page) {
    const std::string next = list_->next_page_token;
    if (next.empty()) {
      c_.erase("back");
      page.backfill_state = BackfillState::kComplete;
      page.expected_own_posts = c_.opt_num("videos");
      page.history_note = "paged to the end of the uploads playlist";
    } else if (next == c_.str("back")) {
      c_.erase("back").erase("back_trail");
      page.backfill_state = BackfillState::kIncomplete;
      page.history_note = "backfill stopped: the page token came back unchanged";
    } else if (contains(split_ids(c_.str("back_trail")), next)) {
      // A token of an earlier backfill page: the paging goes in circles.
      c_.erase("back").erase("back_trail");
      page.backfill_state = BackfillState::kIncomplete;
      page.history_note =
          "backfill stopped: playlistItems gave a page token of an earlier page again (the paging "
          "goes in circles); older history may be missing";
    } else if (a_.backfill_since && !list_->items.empty() && list_->items.back().published_at &&
               *list_->items.back().published_at < *a_.backfill_since) {
      c_.erase("back");
      page.backfill_state = BackfillState::kReachedStart;
    } else {
      // The tokens of the last pages, so that a circle longer than one step
      // is seen (one page per unit: the engine never sees a request twice).
      std::vector<std::string> trail = split_ids(c_.str("back_trail"));
      trail.push_back(c_.str("back"));
      if (trail.size() > kBackTrail) trail.erase(trail.begin());
      c_.set("back_trail", join_plain(trail));
      c_.set("back", next);
    }
    if (!c_.has("back")) c_.erase("back_trail");
    page.cursor = c_.dump();
    return StepResult::finish(std::move(page));
  }

  static constexpr size_t kBackTrail = 20;

  AccountView a_;
  toolkit::CursorJson c_;
  std::optional<youtube::PlaylistPage> list_;
};

// Refresh, for up to 50 channels at once: one channels.list for all their
// profile counts, then videos.list for their recent videos, 50 ids a call,
// then the deletion checks of the videos left out (see the top comment:
// absence is not deletion). Each account's records come in its own page.
class ApiRefresh : public ConnectorSession {
 public:
  explicit ApiRefresh(std::vector<AccountView> accounts) : accounts_(std::move(accounts)) {
    for (const AccountView& a : accounts_) {
      const toolkit::CursorJson c = toolkit::CursorJson::parse(a.cursor);
      if (!c.str("id").empty()) channel_of_[c.str("id")] = a.account_id;
      uploads_of_[a.account_id] = c.str("uploads");
      for (const std::string& v : a.refresh_ids) {
        if (video_owner_.emplace(v, a.account_id).second) videos_.push_back(v);
      }
    }
  }

  StepResult start() override {
    if (channel_of_.empty()) return next_videos();
    state_ = State::kChannels;
    std::vector<std::string> ids;
    for (const auto& [id, account] : channel_of_) ids.push_back(id);
    return StepResult::send(
        api_get(api_of(accounts_.front()) +
                "/channels?part=snippet,contentDetails,statistics&id=" + join_ids(ids)));
  }

  StepResult on_response(const HttpResponse& r) override {
    switch (state_) {
      case State::kChannels:
        return on_channels(r);
      case State::kVideos:
        return on_videos(r);
      case State::kCheckVideo:
        return on_check_video(r);
      case State::kCheckUploads:
        return on_check_uploads(r);
    }
    return StepResult::fail(FailureKind::kMalformed, "unexpected response");
  }

 private:
  enum class State { kChannels, kVideos, kCheckVideo, kCheckUploads };

  StepResult on_channels(const HttpResponse& r) {
    if (r.status != 200) return api_failure(r, "channels (refresh)");
    auto channels = youtube::parse_channels(r.body);
    if (!channels.ok())
      return StepResult::fail(FailureKind::kMalformed, channels.error().message, r.status);
    std::vector<Page> pages;
    for (youtube::Channel& ch : *channels) {
      const auto it = channel_of_.find(ch.snapshot.platform_id);
      if (it == channel_of_.end()) continue;  // not asked for: never stored
      if (uploads_of_[it->second].empty()) uploads_of_[it->second] = ch.uploads;
      Page page;
      page.account_id = it->second;
      page.batch.snapshot = std::move(ch.snapshot);
      pages.push_back(std::move(page));
    }
    StepResult step = next_videos();
    for (Page& p : pages) step.more_pages.push_back(std::move(p));
    return step;
  }

  StepResult next_videos() {
    if (pos_ >= videos_.size()) return next_check();
    batch_.assign(videos_.begin() + static_cast<long>(pos_),
                  videos_.begin() + static_cast<long>(std::min(videos_.size(), pos_ + kPageSize)));
    pos_ += batch_.size();
    state_ = State::kVideos;
    return StepResult::send(
        api_get(api_of(accounts_.front()) +
                "/videos?part=snippet,statistics,contentDetails&id=" + join_ids(batch_)));
  }

  StepResult on_videos(const HttpResponse& r) {
    if (r.status != 200) return api_failure(r, "videos (refresh)");
    auto videos = youtube::parse_videos(r.body, /*counts_only=*/true);
    if (!videos.ok())
      return StepResult::fail(FailureKind::kMalformed, videos.error().message, r.status);
    std::map<int64_t, Page> pages;
    std::set<std::string> returned;
    for (PostRecord& p : videos->posts) {
      const auto owner = video_owner_.find(p.platform_post_id);
      if (owner == video_owner_.end()) continue;  // not asked for: never stored
      returned.insert(p.platform_post_id);
      pages[owner->second].batch.posts.push_back(std::move(p));
    }
    for (const std::string& id : videos->upcoming) {
      if (video_owner_.count(id)) returned.insert(id);
    }
    if (returned.empty()) {
      // Not one of the ids came back: a degraded answer (issue #20 saw it
      // twice in a row while the uploads still listed every video), never
      // evidence that they are gone, unless the first of them is proven
      // gone by itself (a channel that deleted its only recent video).
      const std::string& first = batch_.front();
      if (checks_ >= kMaxDeletionChecks || uploads_of_[video_owner_[first]].empty())
        return degraded("", r.status);
      probing_ = true;
      return check(first);
    }
    // Left out of an otherwise good answer: suspects, checked one by one.
    for (const std::string& id : batch_) {
      if (!returned.count(id)) suspects_.push_back(id);
    }
    StepResult step = next_videos();
    for (auto& [account, page] : pages) {
      page.account_id = account;
      step.more_pages.push_back(std::move(page));
    }
    return step;
  }

  StepResult degraded(const std::string& detail, int status) const {
    return StepResult::fail(FailureKind::kServerError,
                            "videos.list returned none of the " + std::to_string(batch_.size()) +
                                " requested videos" + detail +
                                " (a degraded answer: nothing is marked missing or deleted)",
                            status);
  }

  // The next suspect to check, or the end of the unit with what the checks
  // found.
  StepResult next_check() {
    while (!suspects_.empty()) {
      const std::string id = suspects_.front();
      suspects_.pop_front();
      const int64_t owner = video_owner_[id];
      if (checks_ >= kMaxDeletionChecks || uploads_of_[owner].empty()) {
        // Not checked this time: noted only (the store never deletes on this).
        evidence_[owner].batch.missing_post_ids.push_back(id);
        ++unchecked_;
        continue;
      }
      return check(id);
    }
    StepResult done = StepResult::finish();
    for (auto& [account, page] : evidence_) {
      page.account_id = account;
      done.more_pages.push_back(std::move(page));
    }
    if (unchecked_ > 0) {
      done.reason = std::to_string(unchecked_) +
                    " video(s) left out of videos.list could not be checked this time (at most " +
                    std::to_string(kMaxDeletionChecks) +
                    " checks per refresh, and only with the channel's uploads playlist); noted, "
                    "not marked deleted";
    }
    return done;
  }

  // Evidence 1: videos.list for the suspect alone.
  StepResult check(const std::string& id) {
    suspect_ = id;
    ++checks_;
    state_ = State::kCheckVideo;
    return StepResult::send(
        api_get(api_of(accounts_.front()) + "/videos?part=id&id=" + url_encode(id)));
  }

  StepResult on_check_video(const HttpResponse& r) {
    if (r.status != 200) return api_failure(r, "videos (deletion check)");
    auto n = youtube::count_items(r.body, "youtube#videoListResponse");
    if (!n.ok()) return StepResult::fail(FailureKind::kMalformed, n.error().message, r.status);
    if (*n > 0) return after_check(Verdict::kThere, r.status);  // the batch answer was wrong
    state_ = State::kCheckUploads;
    return StepResult::send(api_get(
        api_of(accounts_.front()) + "/playlistItems?part=id&playlistId=" +
        url_encode(uploads_of_[video_owner_[suspect_]]) + "&videoId=" + url_encode(suspect_)));
  }

  // Evidence 2: the channel's uploads, filtered by the suspect's id.
  StepResult on_check_uploads(const HttpResponse& r) {
    // The uploads playlist itself not found: no evidence either way.
    if (r.status == 404) return after_check(Verdict::kUnknown, r.status);
    if (r.status != 200) return api_failure(r, "playlistItems (deletion check)");
    auto n = youtube::count_items(r.body, "youtube#playlistItemListResponse");
    if (!n.ok()) return StepResult::fail(FailureKind::kMalformed, n.error().message, r.status);
    // Neither the video itself nor the channel's uploads show it: deleted
    // (or made private), on evidence about this one video.
    return after_check(*n > 0 ? Verdict::kThere : Verdict::kGone, r.status);
  }

  enum class Verdict { kThere, kGone, kUnknown };

  StepResult after_check(Verdict verdict, int status) {
    const int64_t owner = video_owner_[suspect_];
    if (verdict == Verdict::kGone) evidence_[owner].batch.deleted_post_ids.push_back(suspect_);
    if (verdict == Verdict::kUnknown) {
      evidence_[owner].batch.missing_post_ids.push_back(suspect_);
      ++unchecked_;
    }
    if (!probing_) return next_check();
    // The check of an empty batch answer's first video: only its proven
    // absence makes the answer plausible; the others are then suspects.
    probing_ = false;
    if (verdict == Verdict::kThere) return degraded(", though " + suspect_ + " is there", status);
    if (verdict == Verdict::kUnknown) return degraded("", status);
    for (const std::string& id : batch_) {
      if (id != suspect_) suspects_.push_back(id);
    }
    return next_videos();
  }

  std::vector<AccountView> accounts_;
  std::map<std::string, int64_t> channel_of_;   // channel id -> account
  std::map<int64_t, std::string> uploads_of_;   // account -> uploads playlist
  std::map<std::string, int64_t> video_owner_;  // video id -> account
  std::vector<std::string> videos_;
  std::vector<std::string> batch_;
  size_t pos_ = 0;
  State state_ = State::kVideos;
  std::deque<std::string> suspects_;
  std::string suspect_;
  bool probing_ = false;  // checking the first video of a batch answered with none
  size_t checks_ = 0;
  int unchecked_ = 0;
  std::map<int64_t, Page> evidence_;  // deleted and unchecked ids, per account
};

// Comment sweep: the comment threads of the account's recent videos, with
// every reply, so that citizens' questions and the channel's answers (and
// how long they took) are stored. Comments are never reported missing: an
// answer without them is no evidence (see the top comment).
class ApiComments : public ConnectorSession {
 public:
  explicit ApiComments(AccountView a)
      : a_(std::move(a)), channel_(toolkit::CursorJson::parse(a_.cursor).str("id")) {
    for (size_t i = 0; i < a_.comment_ids.size() && i < kMaxCommentVideos; ++i)
      videos_.push_back(a_.comment_ids[i]);
  }

  StepResult start() override { return next_video(Page{}); }

  StepResult on_response(const HttpResponse& r) override {
    if (r.status != 200) {
      const auto e = youtube::parse_error(r.body);
      if (e && e->reason == "commentsDisabled") {
        Page page;
        page.batch.comment_sweeps.push_back({video_, CommentSweepResult::kDisabled, ""});
        return next_video(std::move(page));  // nothing to read on this video
      }
      if (e && e->reason == "videoNotFound") return next_video(Page{});
      return api_failure(r, in_replies_ ? "comments" : "commentThreads");
    }
    auto page = in_replies_ ? youtube::parse_comments(r.body, channel_)
                            : youtube::parse_comment_threads(r.body, channel_);
    if (!page.ok())
      return StepResult::fail(FailureKind::kMalformed, page.error().message, r.status);
    Page out;
    out.batch.comments = std::move(page->comments);
    for (CommentRecord& c : out.batch.comments) {
      if (c.on_post_id.empty()) c.on_post_id = video_;
    }
    if (!in_replies_) {
      for (const std::string& t : page->threads_with_more_replies) {
        if (threads_seen_.insert(t).second) threads_.push_back(t);
      }
    }
    const std::string& next = page->next_page_token;
    const std::string what = in_replies_
                                 ? "the replies of comment " + thread_ + " on video " + video_
                                 : "the comment threads of video " + video_;
    if (!next.empty()) {
      if (!tokens_.insert(next).second) {
        partial(what + " stopped: a page token came back (the paging repeats or goes in circles)");
      } else if (requests_ >= kMaxCommentPagesPerVideo) {
        partial(what + " stopped after " + std::to_string(kMaxCommentPagesPerVideo) +
                " requests for the video (the per-video limit of a sweep)");
      } else {
        return send(request(next), std::move(out));
      }
    }
    // This sequence has ended: the replies of the next thread, or the next video.
    tokens_.clear();
    if (!threads_.empty()) {
      if (requests_ >= kMaxCommentPagesPerVideo) {
        partial("the replies of " + std::to_string(threads_.size()) + " thread(s) on video " +
                video_ + " not read: the per-video limit of " +
                std::to_string(kMaxCommentPagesPerVideo) + " requests was reached");
        threads_.clear();
      } else {
        in_replies_ = true;
        thread_ = threads_.back();
        threads_.pop_back();
        return send(request(""), std::move(out));
      }
    }
    // Every thread and reply of the video read (or as much as the guards
    // allowed): its comment coverage.
    out.batch.comment_sweeps.push_back(
        {video_, video_note_.empty() ? CommentSweepResult::kComplete : CommentSweepResult::kPartial,
         video_note_});
    return next_video(std::move(out));
  }

 private:
  // The current video's reading stops early: it is covered partially.
  void partial(const std::string& why) {
    add_note(notes_, why);
    add_note(video_note_, why);
  }

  HttpRequest request(const std::string& token) const {
    std::string url =
        in_replies_
            ? api_of(a_) + "/comments?part=snippet&maxResults=100&parentId=" + url_encode(thread_)
            : api_of(a_) +
                  "/commentThreads?part=snippet,replies&maxResults=100&"
                  "order=time&videoId=" +
                  url_encode(video_);
    if (!token.empty()) url += "&pageToken=" + url_encode(token);
    return api_get(std::move(url));
  }

  StepResult send(HttpRequest request, Page page) {
    ++requests_;
    return StepResult::send(std::move(request), std::move(page));
  }

  StepResult next_video(Page page) {
    if (next_ >= videos_.size() || channel_.empty()) {
      StepResult done = StepResult::finish(std::move(page));
      done.reason = notes_;
      return done;
    }
    video_ = videos_[next_++];
    video_note_.clear();
    in_replies_ = false;
    requests_ = 0;
    tokens_.clear();
    threads_.clear();
    threads_seen_.clear();
    return send(request(""), std::move(page));
  }

  AccountView a_;
  std::string channel_;
  std::vector<std::string> videos_;
  size_t next_ = 0;
  std::string video_;
  std::vector<std::string> threads_;
  std::set<std::string> threads_seen_;
  std::string thread_;
  bool in_replies_ = false;
  int requests_ = 0;              // for the current video
  std::set<std::string> tokens_;  // page tokens given in the current sequence
  std::string notes_;
  std::string video_note_;  // why the current video's reading stopped early
};

// --- without a key ----------------------------------------------------------

constexpr const char* kFeedNote =
    "without an API key only YouTube's channel feed is read: the newest 15 videos with views and "
    "likes, from the first poll on; older history and comments need a key "
    "(platforms.youtube.credential)";

class FeedPoll : public toolkit::ConditionalFeedSession {
 public:
  explicit FeedPoll(AccountView a) : a_(std::move(a)) {}

  StepResult start() override {
    const std::string id = a_.platform_id.empty() ? a_.handle : a_.platform_id;
    std::string query;
    if (is_youtube_channel_id(id)) {
      query = "channel_id=" + url_encode(id);
    } else if (starts_with(a_.handle, "user:")) {
      query = "user=" + url_encode(a_.handle.substr(5));
    } else {
      return StepResult::fail(FailureKind::kInvalidHandle,
                              "a YouTube @handle can only be resolved with an API key; configure "
                              "platforms.youtube.credential, or give the channel id (UC...)");
    }
    return StepResult::send(
        toolkit::conditional_get(feed_of(a_) + "/feeds/videos.xml?" + query,
                                 "application/atom+xml, application/xml;q=0.9, */*;q=0.1"));
  }

 private:
  Page unchanged() override {
    Page page;
    page.backfill_state = BackfillState::kIncomplete;
    page.history_note = kFeedNote;
    return page;
  }

  StepResult on_status(const HttpResponse& r) override {
    if (r.status == 404) {
      return StepResult::fail(FailureKind::kServerError,
                              "the channel feed answered 404; YouTube's feed has had outages "
                              "answering 404 for existing channels, so this is retried, not "
                              "taken as proof that the channel is gone",
                              r.status);
    }
    return toolkit::fail_for_status(r, "channel feed");
  }

  StepResult on_feed(const HttpResponse& r) override {
    Page page = unchanged();
    auto feed = youtube::parse_feed(r.body);
    if (!feed.ok())
      return StepResult::fail(FailureKind::kMalformed, feed.error().message, r.status);
    if (!feed->snapshot.platform_id.empty() && a_.platform_id.empty()) {
      page.platform_id = feed->snapshot.platform_id;
      page.batch.events.push_back({"resolved", a_.handle + " is " + feed->snapshot.platform_id});
    }
    page.batch.snapshot = std::move(feed->snapshot);
    page.batch.posts = std::move(feed->posts);
    page.batch.skipped = std::move(feed->skipped);
    return StepResult::finish(std::move(page));
  }

  AccountView a_;
};

class YouTubeConnector : public Connector {
 public:
  std::string_view platform() const override { return "youtube"; }
  std::string host_for(const AccountView& account) const override {
    return toolkit::host_key(account.has_credential ? api_of(account) : feed_of(account))
        .value_or("youtube");
  }
  std::unique_ptr<ConnectorSession> begin(const AccountView& account,
                                          WorkKind work) const override {
    if (!account.has_credential) {
      if (work == WorkKind::kPoll) return std::make_unique<FeedPoll>(account);
      return std::make_unique<toolkit::IdleSession>();  // history, refreshes and comments need the
                                                        // API
    }
    switch (work) {
      case WorkKind::kPoll:
        return std::make_unique<ApiPoll>(account);
      case WorkKind::kBackfill:
        return std::make_unique<ApiBackfill>(account);
      case WorkKind::kRefresh:
        return std::make_unique<ApiRefresh>(std::vector<AccountView>{account});
      case WorkKind::kComments:
      case WorkKind::kCommentBackfill:
        return std::make_unique<ApiComments>(account);
    }
    return std::make_unique<toolkit::IdleSession>();
  }
  std::unique_ptr<ConnectorSession> begin_batch(const std::vector<AccountView>& accounts,
                                                WorkKind work) const override {
    if (work == WorkKind::kRefresh && accounts.front().has_credential)
      return std::make_unique<ApiRefresh>(accounts);
    return begin(accounts.front(), work);
  }
};

}  // namespace

PlatformDescriptor youtube_platform() {
  PlatformDescriptor d;
  d.id = "youtube";
  d.display_name = "YouTube";
  d.category = Category::kContentCommunity;
  d.earliest_item_ms = earliest_video();
  d.canonical_handle = canonical_youtube_handle;
  d.capabilities.connector = true;
  d.capabilities.full_history = true;  // with an API key
  d.capabilities.comments = true;      // with an API key
  d.capabilities.credential_optional = true;
  d.settings = {{"feed_base_url", SettingSpec::Type::kString,
                 "base URL of the keyless channel feed (default https://www.youtube.com)"}};
  // Quota: every list call costs 1 of 10,000 daily units. A poll costs
  // about 3 (channel, uploads page, videos), so polls every 6 hours, a
  // batched refresh (50 channels a call) and a daily comment sweep keep 400
  // channels under the default quota (docs/platforms.md).
  d.work = {{WorkKind::kPoll, 6 * kHourMs},
            {WorkKind::kRefresh, 24 * kHourMs, 50},
            {WorkKind::kComments, 24 * kHourMs},
            // Comment backfill: every video's comments once, then every
            // 30 days (defaults.comment_resweep_interval); when nothing is
            // due it looks again after 6 hours.
            {WorkKind::kCommentBackfill, 6 * kHourMs},
            {WorkKind::kBackfill}};
  d.budgets = {{BudgetSpec::Policy::kDaily, 10000, "America/Los_Angeles", 0,
                "developers.google.com/youtube/v3/determine_quota_cost: 10,000 units a day, "
                "reset at midnight Pacific Time"}};
  d.auth = {AuthStyle::Kind::kQueryParameter, "key"};
  d.default_base_url = kDefaultApi;
  d.note = kFeedNote;
  return d;
}

std::unique_ptr<Connector> make_youtube_connector() { return std::make_unique<YouTubeConnector>(); }

}  // namespace muni
