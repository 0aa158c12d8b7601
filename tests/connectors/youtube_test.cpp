// YouTube: parsers over fixtures (every stored field), and the connector's
// sessions driven with fixture responses: the API path (channel, uploads,
// videos, backfill, batched refresh, comment sweep, quota and key errors)
// and the keyless channel feed.
#include <doctest/doctest.h>

#include <algorithm>
#include <functional>
#include <limits>

#include "connectors/builtin.h"
#include "connectors/toolkit.h"
#include "connectors/youtube/youtube_connector.h"
#include "connectors/youtube/youtube_handle.h"
#include "connectors/youtube/youtube_parse.h"
#include "engine/page_guard.h"
#include "test_support.h"

using namespace muni;
using muni::test::at;
using muni::test::fixture_response;
using muni::test::read_fixture;

namespace {

constexpr const char* kChannel = "UCm0sterSt4dtRathaus0Xyz";
constexpr const char* kUploads = "UUm0sterSt4dtRathaus0Xyz";
constexpr const char* kApi = "https://api.youtube.test/youtube/v3";

AccountView view(std::string cursor = "", bool key = true, int64_t id = 1) {
  AccountView v;
  v.account_id = id;
  v.platform = "youtube";
  v.handle = "@stadtmusterstadt";
  v.cursor = std::move(cursor);
  v.has_credential = key;
  v.base_url = kApi;
  v.now = at("2026-11-30T12:00:00Z");
  return v;
}

toolkit::CursorJson cursor_of(const StepResult& r) {
  REQUIRE(r.page.has_value());
  REQUIRE(r.page->cursor.has_value());
  return toolkit::CursorJson::parse(*r.page->cursor);
}

std::vector<std::string> ids_of(const std::vector<PostRecord>& posts) {
  std::vector<std::string> out;
  for (const auto& p : posts) out.push_back(p.platform_post_id);
  return out;
}

bool has_param(const HttpRequest& r, const std::string& param) {
  return r.url.find(param) != std::string::npos;
}

// The cursor after the first poll of the fixture channel.
std::string cursor_after_first_poll() {
  toolkit::CursorJson c;
  c.set("id", kChannel).set("uploads", kUploads).set("videos", int64_t{5});
  c.set("head", "Hb7QwErT9uY").set("head_at", at("2026-11-20T11:00:00Z"));
  c.set("back", "EAAaBlBUOkNBTQ").set("upcoming", "Pm4rKt0Vx2A");
  return c.dump();
}

}  // namespace

TEST_CASE("youtube: channels.list gives id, handle, creation, rounded subscribers and uploads") {
  auto list = youtube::parse_channels(read_fixture("youtube/channels_for_handle.json"));
  REQUIRE(list.ok());
  REQUIRE(list->size() == 1);
  const youtube::Channel& ch = list->front();
  CHECK(ch.snapshot.platform_id == kChannel);
  CHECK(ch.snapshot.handle == "@stadtmusterstadt");
  CHECK(ch.snapshot.display_name == "Stadt Musterstadt");
  CHECK(ch.snapshot.profile_url == std::string("https://www.youtube.com/channel/") + kChannel);
  CHECK(ch.snapshot.created_at == at("2014-03-12T09:15:02Z"));
  CHECK(ch.snapshot.followers == 1230);
  CHECK(ch.snapshot.followers_precision == CountPrecision::kRounded);
  CHECK(ch.snapshot.posts == 5);
  CHECK(ch.video_count == 5);
  CHECK(ch.uploads == kUploads);
  REQUIRE(ch.snapshot.counters.size() == 1);
  CHECK(ch.snapshot.counters[0].name == "views");
  CHECK(ch.snapshot.counters[0].value == 184502);

  auto hidden = youtube::parse_channels(read_fixture("youtube/channels_hidden_subscribers.json"));
  REQUIRE(hidden.ok());
  REQUIRE(hidden->size() == 1);
  CHECK_FALSE(hidden->front().snapshot.followers.has_value());  // "0" while hidden means nothing
  CHECK(hidden->front().snapshot.posts == 5);

  auto none = youtube::parse_channels(read_fixture("youtube/channels_not_found.json"));
  REQUIRE(none.ok());
  CHECK(none->empty());  // HTTP 200 without items: no such channel

  CHECK_FALSE(youtube::parse_channels(read_fixture("youtube/videos_page1.json")).ok());
  CHECK_FALSE(youtube::parse_channels("{\"kind\":\"youtube#channelListResponse\"").ok());
}

TEST_CASE("youtube: playlistItems take the video's own time, not the time it joined the list") {
  auto p1 = youtube::parse_playlist_items(read_fixture("youtube/playlist_items_page1.json"));
  REQUIRE(p1.ok());
  REQUIRE(p1->items.size() == 3);
  CHECK(p1->items[0].video_id == "Pm4rKt0Vx2A");
  CHECK_FALSE(p1->items[0].published_at.has_value());  // a premiere not yet aired
  CHECK(p1->items[1].video_id == "Hb7QwErT9uY");
  CHECK(p1->items[1].published_at == at("2026-11-20T11:00:00Z"));
  CHECK(p1->items[1].title == "Bürgerversammlung Neubaugebiet Süd – Aufzeichnung");
  CHECK(p1->next_page_token == "EAAaBlBUOkNBTQ");
  CHECK(p1->total == 6);
  auto p2 = youtube::parse_playlist_items(read_fixture("youtube/playlist_items_page2.json"));
  REQUIRE(p2.ok());
  CHECK(p2->items.size() == 3);
  CHECK(p2->next_page_token.empty());  // only prevPageToken: the last page
  auto empty = youtube::parse_playlist_items(read_fixture("youtube/playlist_items_empty.json"));
  REQUIRE(empty.ok());
  CHECK(empty->items.empty());
}

TEST_CASE(
    "youtube: videos.list counts are strings, hidden likes and closed comments stay unknown") {
  auto v1 = youtube::parse_videos(read_fixture("youtube/videos_page1.json"));
  REQUIRE(v1.ok());
  CHECK(v1->upcoming == std::vector<std::string>{"Pm4rKt0Vx2A"});
  REQUIRE(v1->posts.size() == 2);
  const PostRecord& hb = v1->posts[0];
  CHECK(hb.platform_post_id == "Hb7QwErT9uY");
  CHECK(hb.item_type == kItemVideo);
  CHECK(hb.kind == PostKind::kOriginal);
  CHECK(hb.title == "Bürgerversammlung Neubaugebiet Süd – Aufzeichnung");
  CHECK(hb.text.find("Unterlagen") != std::string::npos);
  CHECK(hb.url == "https://www.youtube.com/watch?v=Hb7QwErT9uY");
  CHECK(hb.created_at == at("2026-11-20T11:00:00Z"));
  CHECK(hb.language == "de");
  CHECK(hb.has_media);
  CHECK(hb.has_link);
  CHECK(hb.engagement.views == 412);
  CHECK(hb.engagement.likes == 17);
  CHECK(hb.engagement.replies == 6);
  CHECK_FALSE(hb.counts_only);
  const PostRecord& zx = v1->posts[1];
  CHECK_FALSE(zx.engagement.likes.has_value());  // likeCount absent: the owner hides it
  CHECK(zx.engagement.replies == 11);
  CHECK_FALSE(zx.has_link);

  auto v2 = youtube::parse_videos(read_fixture("youtube/videos_page2.json"));
  REQUIRE(v2.ok());
  REQUIRE(v2->posts.size() == 3);
  CHECK(v2->posts[1].platform_post_id == "Lp0oKiJ8uHy");
  CHECK_FALSE(v2->posts[1].engagement.replies.has_value());  // comments are off

  auto refresh = youtube::parse_videos(read_fixture("youtube/videos_refresh.json"), true);
  REQUIRE(refresh.ok());
  REQUIRE(refresh->posts.size() == 4);
  CHECK(refresh->posts[0].counts_only);
  CHECK(refresh->posts[0].engagement.views == 530);
}

TEST_CASE("youtube: comment threads and replies, with the channel's own answers marked") {
  auto page1 =
      youtube::parse_comment_threads(read_fixture("youtube/comment_threads_page1.json"), kChannel);
  REQUIRE(page1.ok());
  REQUIRE(page1->comments.size() == 4);
  const CommentRecord& question = page1->comments[0];
  CHECK(question.platform_comment_id == "UgzF3kP9qLm2xYvN8a54AaABAg");
  CHECK(question.on_post_id == "Hb7QwErT9uY");
  CHECK(question.author_id == "UCc1tizenAnnaBeispiel001");
  CHECK_FALSE(question.by_account);
  CHECK(question.reply_to_comment_id.empty());
  CHECK(question.created_at == at("2026-11-20T18:02:11Z"));
  CHECK(question.text == "Wann wird die Präsentation online gestellt?");
  CHECK(question.likes == 2);
  CHECK_FALSE(question.edited_at.has_value());
  const CommentRecord& answer = page1->comments[1];
  CHECK(answer.by_account);
  CHECK(answer.reply_to_comment_id == question.platform_comment_id);
  CHECK(answer.created_at == at("2026-11-21T08:30:45Z"));
  CHECK(page1->comments[2].edited_at == at("2026-11-20T20:17:30Z"));
  // Thread 2 says 3 replies but sends 1: the rest via comments.list.
  CHECK(page1->threads_with_more_replies == std::vector<std::string>{"UgwB7nQ2rTs5uVx1y4Z4AaABAg"});
  CHECK(page1->next_page_token == "QURTSl9pMnZUT2hzVTFFc0tjcnFqaWZ5");

  auto page2 =
      youtube::parse_comment_threads(read_fixture("youtube/comment_threads_page2.json"), kChannel);
  REQUIRE(page2.ok());
  REQUIRE(page2->comments.size() == 1);
  CHECK(page2->comments[0].by_account);  // the channel's own top-level comment
  CHECK(page2->next_page_token.empty());

  auto replies = youtube::parse_comments(read_fixture("youtube/comments_by_parent.json"), kChannel);
  REQUIRE(replies.ok());
  REQUIRE(replies->comments.size() == 3);
  CHECK(std::count_if(replies->comments.begin(), replies->comments.end(),
                      [](const CommentRecord& c) { return c.by_account; }) == 1);
  for (const auto& c : replies->comments) {
    CHECK(c.reply_to_comment_id == "UgwB7nQ2rTs5uVx1y4Z4AaABAg");
    CHECK(c.on_post_id == "Hb7QwErT9uY");
  }
}

TEST_CASE("youtube: error envelopes give the reason, HTML in messages becomes text") {
  auto quota = youtube::parse_error(read_fixture("youtube/error_403_quota_exceeded.json"));
  REQUIRE(quota.has_value());
  CHECK(quota->code == 403);
  CHECK(quota->reason == "quotaExceeded");
  CHECK(quota->message.find("<a") == std::string::npos);
  CHECK(quota->message.find("quota") != std::string::npos);
  auto key = youtube::parse_error(read_fixture("youtube/error_400_bad_key.json"));
  REQUIRE(key.has_value());
  CHECK(key->reason == "badRequest");
  CHECK(key->message == "API key not valid. Please pass a valid API key.");
  CHECK_FALSE(youtube::parse_error("<html>503</html>").has_value());
  CHECK_FALSE(youtube::parse_error(read_fixture("youtube/videos_page1.json")).has_value());
}

TEST_CASE("youtube: the keyless channel feed gives the UC id, Shorts links, views and likes") {
  auto feed = youtube::parse_feed(read_fixture("youtube/channel_feed.xml"));
  REQUIRE(feed.ok());
  CHECK(feed->snapshot.platform_id == kChannel);  // feed level lacks "UC"
  CHECK(feed->snapshot.display_name == "Stadt Musterstadt");
  CHECK(feed->snapshot.created_at == at("2014-03-12T09:15:02Z"));
  CHECK_FALSE(feed->snapshot.followers.has_value());  // the feed has no counts
  REQUIRE(feed->posts.size() == 3);
  const PostRecord& s = feed->posts[0];
  CHECK(s.platform_post_id == "Tn8sHort5vA");
  CHECK(s.url == "https://www.youtube.com/shorts/Tn8sHort5vA");
  CHECK(s.title == "Glühwein & Lichter: der Adventsmarkt in 30 Sekunden");
  CHECK(s.created_at == at("2026-11-27T15:01:42Z"));
  CHECK(s.engagement.views == 1893);
  CHECK(s.engagement.likes == 58);
  CHECK_FALSE(s.engagement.replies.has_value());
  CHECK(feed->posts[1].url == "https://www.youtube.com/watch?v=Hb7QwErT9uY");
  CHECK(feed->posts[2].engagement.likes == 0);
  CHECK_FALSE(youtube::parse_feed(read_fixture("rss/not_a_feed.html")).ok());
  CHECK_FALSE(youtube::parse_feed(read_fixture("rss/news_rss2.xml")).ok());
}

TEST_CASE("youtube: handles, channel URLs and legacy names become one canonical form") {
  CHECK(canonical_youtube_handle("UCm0sterSt4dtRathaus0Xyz").value() == kChannel);
  CHECK(canonical_youtube_handle("https://www.youtube.com/channel/UCm0sterSt4dtRathaus0Xyz")
            .value() == kChannel);
  CHECK(canonical_youtube_handle("@StadtMusterstadt").value() == "@stadtmusterstadt");
  CHECK(canonical_youtube_handle("youtube.com/@StadtMusterstadt").value() == "@stadtmusterstadt");
  CHECK(canonical_youtube_handle("https://m.youtube.com/user/StadtMuster").value() ==
        "user:StadtMuster");
  CHECK_FALSE(canonical_youtube_handle("https://www.youtube.com/c/StadtMuster").ok());
  CHECK_FALSE(canonical_youtube_handle("UCshort").ok());
  CHECK(is_youtube_channel_id(kChannel));
  CHECK_FALSE(is_youtube_channel_id("UUm0sterSt4dtRathaus0Xyz"));
}

TEST_CASE("youtube connector: the first poll resolves the handle and stores the newest page") {
  auto connector = make_youtube_connector();
  auto s = connector->begin(view(), WorkKind::kPoll);
  StepResult r = s->start();
  REQUIRE(r.request.has_value());
  CHECK(r.request->url == std::string(kApi) +
                              "/channels?part=snippet,contentDetails,statistics&forHandle=%40"
                              "stadtmusterstadt");
  CHECK(r.request->credential.kind == CredentialUse::Kind::kPlatform);
  CHECK(r.request->cost == 1);
  r = s->on_response(fixture_response(200, "youtube/channels_for_handle.json"));
  REQUIRE(r.request.has_value());
  REQUIRE(r.page.has_value());
  CHECK(r.page->platform_id == kChannel);
  REQUIRE(r.page->batch.snapshot.has_value());
  CHECK(r.page->batch.snapshot->followers == 1230);
  CHECK(has_param(*r.request, std::string("playlistId=") + kUploads));
  CHECK(has_param(*r.request, "maxResults=50"));
  r = s->on_response(fixture_response(200, "youtube/playlist_items_page1.json"));
  REQUIRE(r.request.has_value());
  CHECK(has_param(*r.request,
                  "/videos?part=snippet,statistics,contentDetails&id=Pm4rKt0Vx2A,"
                  "Hb7QwErT9uY,Zx1cVbN5mLk"));
  r = s->on_response(fixture_response(200, "youtube/videos_page1.json"));
  CHECK(r.done);
  CHECK(r.failure == FailureKind::kNone);
  REQUIRE(r.page.has_value());
  CHECK(ids_of(r.page->batch.posts) == std::vector<std::string>{"Hb7QwErT9uY", "Zx1cVbN5mLk"});
  CHECK(r.page->backfill_state == BackfillState::kPending);
  const auto c = cursor_of(r);
  CHECK(c.str("id") == kChannel);
  CHECK(c.str("head") == "Hb7QwErT9uY");  // the newest aired video, not the premiere
  CHECK(c.str("back") == "EAAaBlBUOkNBTQ");
  CHECK(c.str("upcoming") == "Pm4rKt0Vx2A");
  CHECK(c.num("videos") == 5);

  // A legacy user name and a channel id use the other filters.
  AccountView legacy = view();
  legacy.handle = "user:StadtMuster";
  CHECK(has_param(*connector->begin(legacy, WorkKind::kPoll)->start().request,
                  "forUsername=StadtMuster"));
  AccountView by_id = view();
  by_id.handle = kChannel;
  CHECK(has_param(*connector->begin(by_id, WorkKind::kPoll)->start().request,
                  std::string("&id=") + kChannel));
}

TEST_CASE("youtube connector: backfill pages to the end and checks the count") {
  auto connector = make_youtube_connector();
  auto s = connector->begin(view(cursor_after_first_poll()), WorkKind::kBackfill);
  StepResult r = s->start();
  REQUIRE(r.request.has_value());
  CHECK(has_param(*r.request, "pageToken=EAAaBlBUOkNBTQ"));
  r = s->on_response(fixture_response(200, "youtube/playlist_items_page2.json"));
  REQUIRE(r.request.has_value());
  CHECK(has_param(*r.request, "id=Qa2sDfG3hJk,Lp0oKiJ8uHy,Wq9eRtY6uIo"));
  r = s->on_response(fixture_response(200, "youtube/videos_page2.json"));
  CHECK(r.done);
  REQUIRE(r.page.has_value());
  CHECK(r.page->batch.posts.size() == 3);
  CHECK(r.page->backfill_state == BackfillState::kComplete);
  CHECK(r.page->expected_own_posts == 5);
  CHECK_FALSE(cursor_of(r).has("back"));

  // A page token YouTube no longer accepts ends backfill honestly.
  auto stale = connector->begin(view(cursor_after_first_poll()), WorkKind::kBackfill);
  (void)stale->start();
  r = stale->on_response(fixture_response(400, "youtube/error_400_invalid_page_token.json"));
  CHECK(r.done);
  CHECK(r.failure == FailureKind::kNone);
  REQUIRE(r.page.has_value());
  CHECK(r.page->backfill_state == BackfillState::kIncomplete);
  CHECK(r.page->history_note->find("page token") != std::string::npos);

  // Without a saved position there is nothing to do.
  CHECK(connector->begin(view(), WorkKind::kBackfill)->start().done);
}

TEST_CASE("youtube connector: later polls stop at the head and pick up premieres once aired") {
  auto connector = make_youtube_connector();
  auto s = connector->begin(view(cursor_after_first_poll()), WorkKind::kPoll);
  StepResult r = s->start();
  CHECK(has_param(*r.request, std::string("&id=") + kChannel));  // resolved: by id
  r = s->on_response(fixture_response(200, "youtube/channels_for_handle.json"));
  r = s->on_response(fixture_response(200, "youtube/playlist_items_page1.json"));
  REQUIRE(r.request.has_value());
  CHECK(has_param(*r.request, "&id=Pm4rKt0Vx2A"));  // only the premiere is asked about
  CHECK_FALSE(has_param(*r.request, "Hb7QwErT9uY"));
  r = s->on_response(fixture_response(200, "youtube/videos_premiere_aired.json"));
  CHECK(r.done);
  REQUIRE(r.page.has_value());
  CHECK(ids_of(r.page->batch.posts) == std::vector<std::string>{"Pm4rKt0Vx2A"});
  auto c = cursor_of(r);
  CHECK(c.str("upcoming").empty());
  CHECK(c.str("head") == "Hb7QwErT9uY");
  CHECK(c.str("back") == "EAAaBlBUOkNBTQ");  // backfill position untouched

  // Still upcoming: nothing stored, still watched.
  auto again = connector->begin(view(cursor_after_first_poll()), WorkKind::kPoll);
  (void)again->start();
  (void)again->on_response(fixture_response(200, "youtube/channels_for_handle.json"));
  (void)again->on_response(fixture_response(200, "youtube/playlist_items_page1.json"));
  r = again->on_response(fixture_response(200, "youtube/videos_page1.json"));
  REQUIRE(r.page.has_value());
  // The answer's other videos were not asked about this time, but are the
  // account's own: storing them again is harmless (upsert).
  for (const auto& p : r.page->batch.posts) CHECK(p.platform_post_id != "Pm4rKt0Vx2A");
  CHECK(cursor_of(r).str("upcoming") == "Pm4rKt0Vx2A");
}

TEST_CASE("youtube connector: a batched refresh reads 50 channels and their videos per call") {
  auto connector = make_youtube_connector();
  AccountView a = view(cursor_after_first_poll(), true, 11);
  a.refresh_ids = {"Hb7QwErT9uY", "Zx1cVbN5mLk", "Qa2sDfG3hJk", "Lp0oKiJ8uHy", "Wq9eRtY6uIo"};
  toolkit::CursorJson other;
  other.set("id", "UCanderesDorf0000000000A");
  AccountView b = view(other.dump(), true, 12);
  b.handle = "UCanderesDorf0000000000A";
  b.refresh_ids = {"Xy0AbCdEfGh"};
  auto s = connector->begin_batch({a, b}, WorkKind::kRefresh);
  StepResult r = s->start();
  REQUIRE(r.request.has_value());
  CHECK(has_param(*r.request, "/channels?"));
  CHECK(has_param(*r.request, kChannel));
  CHECK(has_param(*r.request, "UCanderesDorf0000000000A"));
  r = s->on_response(fixture_response(200, "youtube/channels_for_handle.json"));
  REQUIRE(r.request.has_value());
  CHECK(has_param(*r.request, "/videos?"));
  CHECK(has_param(*r.request, "Xy0AbCdEfGh"));
  // Only the channel that answered gets a snapshot.
  REQUIRE(r.more_pages.size() == 1);
  CHECK(r.more_pages[0].account_id == 11);
  CHECK(r.more_pages[0].batch.snapshot->followers == 1230);
  r = s->on_response(fixture_response(200, "youtube/videos_refresh.json"));
  // The counts come at once; the videos left out are only suspects: the
  // first is checked by itself (its channel's uploads playlist is known).
  REQUIRE(r.request.has_value());
  CHECK(r.request->url == std::string(kApi) + "/videos?part=id&id=Lp0oKiJ8uHy");
  CHECK(r.request->cost == 1);
  REQUIRE(r.more_pages.size() == 1);  // the other channel's only video was left out
  CHECK(r.more_pages[0].account_id == 11);
  CHECK(r.more_pages[0].batch.posts.size() == 4);
  for (const auto& post : r.more_pages[0].batch.posts) CHECK(post.counts_only);
  CHECK(r.more_pages[0].batch.missing_post_ids.empty());
  CHECK(r.more_pages[0].batch.deleted_post_ids.empty());
  // Not there by itself either: the channel's uploads, filtered by its id.
  r = s->on_response(fixture_response(200, "youtube/videos_none.json"));
  REQUIRE(r.request.has_value());
  CHECK(r.request->url == std::string(kApi) + "/playlistItems?part=id&playlistId=" + kUploads +
                              "&videoId=Lp0oKiJ8uHy");
  r = s->on_response(fixture_response(200, "youtube/playlist_items_empty.json"));
  CHECK(r.done);
  CHECK(r.failure == FailureKind::kNone);
  REQUIRE(r.more_pages.size() == 2);
  for (const Page& p : r.more_pages) {
    if (p.account_id == 11) {
      // Two separate answers about this one video: deleted.
      CHECK(p.batch.deleted_post_ids == std::vector<std::string>{"Lp0oKiJ8uHy"});
      CHECK(p.batch.missing_post_ids.empty());
    } else {
      // No uploads playlist known for the other channel (its channels.list
      // entry did not come): it cannot be checked, so it is only noted.
      CHECK(p.account_id == 12);
      CHECK(p.batch.deleted_post_ids.empty());
      CHECK(p.batch.missing_post_ids == std::vector<std::string>{"Xy0AbCdEfGh"});
    }
  }
  CHECK(r.reason.find("could not be checked") != std::string::npos);
}

namespace {

// A refresh of the fixture channel's five videos, up to the first deletion
// check (videos_refresh.json leaves out Lp0oKiJ8uHy).
std::unique_ptr<ConnectorSession> refresh_until_check(const Connector& connector,
                                                      std::vector<std::string> extra = {}) {
  AccountView a = view(cursor_after_first_poll(), true, 11);
  a.refresh_ids = {"Hb7QwErT9uY", "Zx1cVbN5mLk", "Qa2sDfG3hJk", "Lp0oKiJ8uHy", "Wq9eRtY6uIo"};
  a.refresh_ids.insert(a.refresh_ids.end(), extra.begin(), extra.end());
  auto s = connector.begin(a, WorkKind::kRefresh);
  (void)s->start();
  (void)s->on_response(fixture_response(200, "youtube/channels_for_handle.json"));
  return s;
}

bool any_marks(const StepResult& r) {
  std::vector<Page> pages = r.more_pages;
  if (r.page) pages.push_back(*r.page);
  for (const Page& p : pages) {
    if (!p.batch.deleted_post_ids.empty() || !p.batch.missing_post_ids.empty()) return true;
  }
  return false;
}

}  // namespace

TEST_CASE("youtube connector: absence is not deletion (issue #20, 1)") {
  auto connector = make_youtube_connector();

  SUBCASE("a batch answered with none of its videos is a degraded answer, nothing marked") {
    auto s = refresh_until_check(*connector);
    StepResult r = s->on_response(fixture_response(200, "youtube/videos_none.json"));
    // Unless the first is proven gone by itself: asked alone, it is there.
    REQUIRE(r.request.has_value());
    CHECK(r.request->url == std::string(kApi) + "/videos?part=id&id=Hb7QwErT9uY");
    CHECK_FALSE(any_marks(r));
    r = s->on_response(fixture_response(200, "youtube/videos_check_found.json"));
    CHECK(r.done);
    CHECK(r.failure == FailureKind::kServerError);
    CHECK(r.reason.find("videos.list returned none of the 5 requested videos, though "
                        "Hb7QwErT9uY is there") != std::string::npos);
    CHECK_FALSE(r.request.has_value());
    CHECK_FALSE(any_marks(r));
  }
  SUBCASE("the uploads still list the first video of an empty answer: degraded") {
    auto s = refresh_until_check(*connector);
    (void)s->on_response(fixture_response(200, "youtube/videos_none.json"));
    StepResult r = s->on_response(fixture_response(200, "youtube/videos_none.json"));
    REQUIRE(r.request.has_value());
    CHECK(has_param(*r.request, "videoId=Hb7QwErT9uY"));
    r = s->on_response(fixture_response(200, "youtube/playlist_items_check_found.json"));
    CHECK(r.failure == FailureKind::kServerError);
    CHECK_FALSE(any_marks(r));
  }
  SUBCASE("every video of the batch proven gone, one by one: all deleted") {
    auto s = refresh_until_check(*connector);
    StepResult r = s->on_response(fixture_response(200, "youtube/videos_none.json"));
    int requests = 0;
    while (r.request) {
      ++requests;
      r = s->on_response(fixture_response(200, has_param(*r.request, "/videos?")
                                                   ? "youtube/videos_none.json"
                                                   : "youtube/playlist_items_empty.json"));
    }
    CHECK(requests == 10);  // two checks for each of the five
    CHECK(r.done);
    CHECK(r.failure == FailureKind::kNone);
    REQUIRE(r.more_pages.size() == 1);
    CHECK(r.more_pages[0].batch.deleted_post_ids.size() == 5);
    CHECK(r.more_pages[0].batch.missing_post_ids.empty());
  }
  SUBCASE("the video alone comes back: not deleted, no further request") {
    auto s = refresh_until_check(*connector);
    (void)s->on_response(fixture_response(200, "youtube/videos_refresh.json"));
    const StepResult r = s->on_response(fixture_response(200, "youtube/videos_check_found.json"));
    CHECK(r.done);
    CHECK(r.failure == FailureKind::kNone);
    CHECK_FALSE(any_marks(r));
  }
  SUBCASE("the uploads still list it: not deleted") {
    auto s = refresh_until_check(*connector);
    (void)s->on_response(fixture_response(200, "youtube/videos_refresh.json"));
    (void)s->on_response(fixture_response(200, "youtube/videos_none.json"));
    const StepResult r =
        s->on_response(fixture_response(200, "youtube/playlist_items_check_found.json"));
    CHECK(r.done);
    CHECK_FALSE(any_marks(r));
  }
  SUBCASE("the uploads playlist is not found: no evidence, only noted") {
    auto s = refresh_until_check(*connector);
    (void)s->on_response(fixture_response(200, "youtube/videos_refresh.json"));
    (void)s->on_response(fixture_response(200, "youtube/videos_none.json"));
    const StepResult r =
        s->on_response(fixture_response(404, "youtube/error_404_playlist_not_found.json"));
    CHECK(r.done);
    CHECK(r.failure == FailureKind::kNone);
    REQUIRE(r.more_pages.size() == 1);
    CHECK(r.more_pages[0].batch.deleted_post_ids.empty());
    CHECK(r.more_pages[0].batch.missing_post_ids == std::vector<std::string>{"Lp0oKiJ8uHy"});
  }
  SUBCASE("at most 10 suspects are checked in one refresh; the rest are only noted") {
    std::vector<std::string> extra;
    for (int i = 0; i < 12; ++i) extra.push_back("Gh0st" + std::to_string(100000 + i));
    auto s = refresh_until_check(*connector, extra);
    StepResult r = s->on_response(fixture_response(200, "youtube/videos_refresh.json"));
    int checks = 0;
    while (r.request) {
      CHECK(has_param(*r.request, "/videos?part=id&id="));
      ++checks;
      r = s->on_response(fixture_response(200, "youtube/videos_check_found.json"));
    }
    CHECK(checks == 10);
    CHECK(r.done);
    REQUIRE(r.more_pages.size() == 1);
    CHECK(r.more_pages[0].batch.deleted_post_ids.empty());
    CHECK(r.more_pages[0].batch.missing_post_ids.size() == 3);  // 13 suspects, 10 checked
    CHECK(r.reason.find("3 video(s)") != std::string::npos);
  }
}

TEST_CASE("youtube connector: the comment sweep reads threads, pages and all replies") {
  auto connector = make_youtube_connector();
  AccountView v = view(cursor_after_first_poll());
  v.comment_ids = {"Hb7QwErT9uY", "Lp0oKiJ8uHy"};
  auto s = connector->begin(v, WorkKind::kComments);
  StepResult r = s->start();
  REQUIRE(r.request.has_value());
  CHECK(has_param(*r.request, "/commentThreads?part=snippet,replies"));
  CHECK(has_param(*r.request, "videoId=Hb7QwErT9uY"));
  std::vector<CommentRecord> all;
  auto take = [&](const StepResult& step) {
    if (step.page)
      all.insert(all.end(), step.page->batch.comments.begin(), step.page->batch.comments.end());
  };
  r = s->on_response(fixture_response(200, "youtube/comment_threads_page1.json"));
  take(r);
  REQUIRE(r.request.has_value());
  CHECK(has_param(*r.request, "pageToken=QURTSl9pMnZUT2hzVTFFc0tjcnFqaWZ5"));
  r = s->on_response(fixture_response(200, "youtube/comment_threads_page2.json"));
  take(r);
  REQUIRE(r.request.has_value());
  CHECK(has_param(*r.request, "/comments?part=snippet"));
  CHECK(has_param(*r.request, "parentId=UgwB7nQ2rTs5uVx1y4Z4AaABAg"));
  r = s->on_response(fixture_response(200, "youtube/comments_by_parent.json"));
  take(r);
  REQUIRE(r.request.has_value());
  CHECK(has_param(*r.request, "videoId=Lp0oKiJ8uHy"));
  // Comments are off on the second video: the sweep carries on and ends.
  r = s->on_response(fixture_response(403, "youtube/error_403_comments_disabled.json"));
  take(r);
  CHECK(r.done);
  CHECK(r.failure == FailureKind::kNone);
  // 5 from the threads (one reply sent twice), 3 from comments.list.
  CHECK(all.size() == 8);
  CHECK(std::count_if(all.begin(), all.end(),
                      [](const CommentRecord& c) { return c.by_account; }) == 3);
  for (const auto& c : all) CHECK(c.on_post_id == "Hb7QwErT9uY");
}

namespace {

// A fixture answer with its nextPageToken replaced ("" removes it).
HttpResponse with_token(const std::string& file, const std::string& token) {
  HttpResponse r = fixture_response(200, file);
  const size_t at = r.body.find("\"nextPageToken\"");
  if (at != std::string::npos) r.body.erase(at, r.body.find('\n', at) - at + 1);
  if (!token.empty()) {
    const size_t kind = r.body.find('\n', r.body.find("\"kind\"")) + 1;
    r.body.insert(kind, "  \"nextPageToken\": \"" + token + "\",\n");
  }
  return r;
}

// Drives a comment sweep of one video whose thread pages carry the given
// tokens (then none); answers replies with comments_by_parent.json. Returns
// the requests made and the final step.
std::pair<std::vector<std::string>, StepResult> sweep(
    const std::function<std::string(int)>& token_of_page) {
  auto connector = make_youtube_connector();
  AccountView v = view(cursor_after_first_poll());
  v.comment_ids = {"Hb7QwErT9uY"};
  auto s = connector->begin(v, WorkKind::kComments);
  std::vector<std::string> urls;
  StepResult r = s->start();
  int thread_pages = 0;
  while (r.request && urls.size() < 1000) {
    urls.push_back(r.request->url);
    if (has_param(*r.request, "/commentThreads?")) {
      r = s->on_response(
          with_token("youtube/comment_threads_page1.json", token_of_page(thread_pages++)));
    } else {
      r = s->on_response(fixture_response(200, "youtube/comments_by_parent.json"));
    }
    for (const Page& p : r.more_pages) CHECK(p.batch.missing_comment_ids.empty());
    if (r.page) CHECK(r.page->batch.missing_comment_ids.empty());
  }
  return {urls, r};
}

size_t count_with(const std::vector<std::string>& urls, const std::string& part) {
  return static_cast<size_t>(std::count_if(urls.begin(), urls.end(), [&](const std::string& u) {
    return u.find(part) != std::string::npos;
  }));
}

}  // namespace

TEST_CASE(
    "youtube connector: comment paging that repeats, circles or never ends is stopped (issue #20, "
    "4)") {
  SUBCASE("a token that repeats") {
    auto [urls, r] = sweep([](int) { return std::string("QURTSl9pMnZUT2hzVTFFc0tjcnFqaWZ5"); });
    CHECK(count_with(urls, "/commentThreads?") == 2);  // the first page, the token once
    CHECK(count_with(urls, "/comments?") == 1);        // the thread's replies are still read
    CHECK(r.done);
    CHECK(r.failure == FailureKind::kNone);
    CHECK(r.reason.find("comment threads of video Hb7QwErT9uY stopped: a page token came back") !=
          std::string::npos);
  }
  SUBCASE("tokens that go in circles") {
    auto [urls, r] = sweep([](int page) { return std::string(page % 2 == 0 ? "TokA" : "TokB"); });
    CHECK(count_with(urls, "/commentThreads?") == 3);  // none, A, B; then A again: stop
    CHECK(r.done);
    CHECK(r.reason.find("a page token came back") != std::string::npos);
  }
  SUBCASE("new tokens without end: at most 50 requests for the video") {
    auto [urls, r] = sweep([](int page) { return "Tok" + std::to_string(page); });
    CHECK(urls.size() == 50);
    CHECK(count_with(urls, "/commentThreads?") == 50);
    CHECK(r.done);
    CHECK(r.reason.find("stopped after 50 requests") != std::string::npos);
    CHECK(r.reason.find("replies of 1 thread(s)") != std::string::npos);
  }
  SUBCASE("an honest end") {
    auto [urls, r] = sweep([](int page) { return page == 0 ? std::string("T1") : std::string(); });
    CHECK(count_with(urls, "/commentThreads?") == 2);
    CHECK(r.reason.empty());
  }
}

TEST_CASE(
    "youtube connector: replies paging that repeats is stopped, an empty reading marks nothing") {
  auto connector = make_youtube_connector();
  AccountView v = view(cursor_after_first_poll());
  v.comment_ids = {"Hb7QwErT9uY", "Lp0oKiJ8uHy"};
  auto s = connector->begin(v, WorkKind::kComments);
  (void)s->start();
  StepResult r = s->on_response(with_token("youtube/comment_threads_page1.json", ""));
  REQUIRE(r.request.has_value());
  CHECK(has_param(*r.request, "/comments?"));
  r = s->on_response(with_token("youtube/comments_by_parent.json", "R1"));
  REQUIRE(r.request.has_value());
  CHECK(has_param(*r.request, "pageToken=R1"));
  r = s->on_response(with_token("youtube/comments_by_parent.json", "R1"));
  // The replies end there; the next video, whose reading comes back empty.
  REQUIRE(r.request.has_value());
  CHECK(has_param(*r.request, "videoId=Lp0oKiJ8uHy"));
  HttpResponse empty;
  empty.status = 200;
  empty.body =
      "{\"kind\":\"youtube#commentThreadListResponse\",\"etag\":\"e\",\"pageInfo\":"
      "{\"totalResults\":0,\"resultsPerPage\":100},\"items\":[]}";
  r = s->on_response(empty);
  CHECK(r.done);
  REQUIRE(r.page.has_value());
  CHECK(r.page->batch.comments.empty());
  CHECK(r.page->batch.missing_comment_ids.empty());  // no evidence of anything
  CHECK(r.reason.find("the replies of comment UgwB7nQ2rTs5uVx1y4Z4AaABAg on video Hb7QwErT9uY "
                      "stopped: a page token came back") != std::string::npos);
}

TEST_CASE("youtube connector: a future-dated upload never becomes the head (issue #20, 5)") {
  auto connector = make_youtube_connector();
  // Poll 1: a video dated 9999-12-31 above the stored head.
  auto s = connector->begin(view(cursor_after_first_poll()), WorkKind::kPoll);
  (void)s->start();
  (void)s->on_response(fixture_response(200, "youtube/channels_for_handle.json"));
  StepResult r = s->on_response(fixture_response(200, "youtube/playlist_items_future_dated.json"));
  REQUIRE(r.request.has_value());
  CHECK(has_param(*r.request, "&id=Fz9Fut9Ure0,Pm4rKt0Vx2A"));  // and the watched premiere
  r = s->on_response(fixture_response(200, "youtube/videos_future_dated.json"));
  CHECK(r.done);
  auto c = cursor_of(r);
  CHECK(c.str("head") == "Hb7QwErT9uY");
  CHECK(c.num("head_at") == at("2026-11-20T11:00:00Z"));
  CHECK(c.str("known") == "Hb7QwErT9uY");
  CHECK(c.str("pending").empty());

  // Poll 2: the next real upload, above the future-dated one, is asked for
  // and becomes the head.
  auto s2 = connector->begin(view(c.dump()), WorkKind::kPoll);
  (void)s2->start();
  (void)s2->on_response(fixture_response(200, "youtube/channels_for_handle.json"));
  r = s2->on_response(fixture_response(200, "youtube/playlist_items_after_future.json"));
  REQUIRE(r.request.has_value());
  CHECK(has_param(*r.request, "&id=Nw4RealUp1d,Fz9Fut9Ure0"));
  r = s2->on_response(fixture_response(200, "youtube/videos_after_future.json"));
  CHECK(r.done);
  REQUIRE(r.page.has_value());
  CHECK(ids_of(r.page->batch.posts) == std::vector<std::string>{"Nw4RealUp1d", "Fz9Fut9Ure0"});
  c = cursor_of(r);
  CHECK(c.str("head") == "Nw4RealUp1d");
  CHECK(c.num("head_at") == at("2026-11-29T10:00:00Z"));
  CHECK(c.str("known") == "Nw4RealUp1d,Hb7QwErT9uY");
}

TEST_CASE("youtube connector: the catch-up stops at a known video, not at one item's date") {
  auto connector = make_youtube_connector();
  // The stored head's time is later than the new upload's (a clock that ran
  // ahead, a backdated upload): the new upload is still asked for.
  toolkit::CursorJson c = toolkit::CursorJson::parse(cursor_after_first_poll());
  c.set("head_at", at("2026-11-29T23:00:00Z"));
  auto s = connector->begin(view(c.dump()), WorkKind::kPoll);
  (void)s->start();
  (void)s->on_response(fixture_response(200, "youtube/channels_for_handle.json"));
  StepResult r = s->on_response(fixture_response(200, "youtube/playlist_items_after_future.json"));
  REQUIRE(r.request.has_value());
  CHECK(has_param(*r.request, "&id=Nw4RealUp1d,Fz9Fut9Ure0"));

  // Every known video has gone: a page whose dated videos are all older than
  // the head ends the catch-up.
  toolkit::CursorJson gone = toolkit::CursorJson::parse(cursor_after_first_poll());
  gone.set("known", "Gone0000001,Gone0000002").set("head", "Gone0000001");
  gone.set("head_at", at("2026-11-25T00:00:00Z"));
  auto s2 = connector->begin(view(gone.dump()), WorkKind::kPoll);
  (void)s2->start();
  (void)s2->on_response(fixture_response(200, "youtube/channels_for_handle.json"));
  r = s2->on_response(with_token("youtube/playlist_items_page2.json", "NextPage"));
  REQUIRE(r.request.has_value());
  r = s2->on_response(fixture_response(200, "youtube/videos_page2.json"));
  CHECK(r.done);  // not read on to NextPage
  CHECK(cursor_of(r).str("pending").empty());
}

TEST_CASE("youtube connector: an uploads catch-up whose page token comes back ends, markers kept") {
  auto connector = make_youtube_connector();
  toolkit::CursorJson c = toolkit::CursorJson::parse(cursor_after_first_poll());
  c.set("head", "Old00000000")
      .set("known", "Old00000000")
      .set("head_at", at("2020-01-01T00:00:00Z"));
  auto s = connector->begin(view(c.dump()), WorkKind::kPoll);
  (void)s->start();
  (void)s->on_response(fixture_response(200, "youtube/channels_for_handle.json"));
  StepResult r = s->on_response(fixture_response(200, "youtube/playlist_items_page1.json"));
  r = s->on_response(fixture_response(200, "youtube/videos_page1.json"));
  REQUIRE(r.request.has_value());
  CHECK(has_param(*r.request, "pageToken=EAAaBlBUOkNBTQ"));
  CHECK(cursor_of(r).str("pending") == "EAAaBlBUOkNBTQ");
  r = s->on_response(with_token("youtube/playlist_items_page2.json", "EAAaBlBUOkNBTQ"));
  r = s->on_response(fixture_response(200, "youtube/videos_page2.json"));
  CHECK(r.done);
  CHECK(r.failure == FailureKind::kNone);
  CHECK(r.reason.find("uploads catch-up stopped: playlistItems gave a page token it had given "
                      "before") != std::string::npos);
  const auto after = cursor_of(r);
  CHECK(after.str("pending").empty());
  CHECK(after.str("known") == "Old00000000");  // the next poll reads from the top again
  CHECK(after.str("head") == "Old00000000");
}

TEST_CASE("youtube connector: a catch-up that outruns the channel's videoCount ends") {
  auto connector = make_youtube_connector();
  // Two pages read by earlier polls; the channel has 5 videos: at most 3 pages.
  toolkit::CursorJson c = toolkit::CursorJson::parse(cursor_after_first_poll());
  c.set("head", "Old00000000")
      .set("known", "Old00000000")
      .set("head_at", at("2020-01-01T00:00:00Z"));
  c.set("pending", "P2").set("pending_pages", int64_t{2});
  auto s = connector->begin(view(c.dump()), WorkKind::kPoll);
  (void)s->start();
  StepResult r = s->on_response(fixture_response(200, "youtube/channels_for_handle.json"));
  REQUIRE(r.request.has_value());
  CHECK(has_param(*r.request, "pageToken=P2"));
  r = s->on_response(with_token("youtube/playlist_items_page2.json", "P3"));
  r = s->on_response(fixture_response(200, "youtube/videos_page2.json"));
  CHECK(r.done);
  CHECK(r.reason.find("the catch-up read 3 pages without meeting a known video") !=
        std::string::npos);
  const auto after = cursor_of(r);
  CHECK(after.str("pending").empty());
  CHECK_FALSE(after.has("pending_pages"));
  CHECK(after.str("known") == "Old00000000");
}

TEST_CASE("youtube connector: a head dated 9999 by an earlier version is dropped, not kept") {
  auto connector = make_youtube_connector();
  toolkit::CursorJson c = toolkit::CursorJson::parse(cursor_after_first_poll());
  c.set("head", "Fz9Fut9Ure0").set("head_at", at("9999-12-31T00:00:00Z"));
  auto s = connector->begin(view(c.dump()), WorkKind::kPoll);
  (void)s->start();
  (void)s->on_response(fixture_response(200, "youtube/channels_for_handle.json"));
  StepResult r = s->on_response(fixture_response(200, "youtube/playlist_items_after_future.json"));
  REQUIRE(r.request.has_value());  // read past the old head, not stopped at it
  CHECK(has_param(*r.request, "&id=Nw4RealUp1d,Fz9Fut9Ure0,Hb7QwErT9uY"));
  r = s->on_response(fixture_response(200, "youtube/videos_after_future.json"));
  REQUIRE(r.request.has_value());  // no marker yet: on to the end of the uploads
  CHECK(has_param(*r.request, "pageToken=EAAaBlBUOkNBTQ"));
  r = s->on_response(fixture_response(200, "youtube/playlist_items_page2.json"));
  r = s->on_response(fixture_response(200, "youtube/videos_page2.json"));
  CHECK(r.done);
  const auto after = cursor_of(r);
  CHECK(after.str("head") == "Nw4RealUp1d");
  CHECK(after.str("known").find("Fz9Fut9Ure0") == std::string::npos);
  CHECK(after.str("pending").empty());
}

TEST_CASE("youtube connector: backfill whose page tokens go in circles ends as incomplete") {
  auto connector = make_youtube_connector();
  std::string cursor = cursor_after_first_poll();  // back = EAAaBlBUOkNBTQ
  // Pages A -> B -> A: B's answer names A's token again.
  const std::vector<std::string> answers = {"TokB", "EAAaBlBUOkNBTQ"};
  StepResult r;
  for (const std::string& next : answers) {
    auto s = connector->begin(view(cursor), WorkKind::kBackfill);
    REQUIRE(s->start().request.has_value());
    r = s->on_response(with_token("youtube/playlist_items_page2.json", next));
    r = s->on_response(fixture_response(200, "youtube/videos_page2.json"));
    REQUIRE(r.done);
    cursor = *r.page->cursor;
  }
  CHECK(r.page->backfill_state == BackfillState::kIncomplete);
  CHECK(r.page->history_note->find("goes in circles") != std::string::npos);
  CHECK_FALSE(cursor_of(r).has("back"));
  CHECK_FALSE(cursor_of(r).has("back_trail"));
}

TEST_CASE("youtube: every count goes through the saturating parser (issue #20, 8)") {
  auto threads = youtube::parse_comment_threads(
      read_fixture("youtube/comment_threads_absurd_counts.json"), kChannel);
  REQUIRE(threads.ok());
  REQUIRE(threads->comments.size() == 4);
  CHECK(threads->comments[0].likes == -5);
  CHECK(threads->comments[1].likes == std::numeric_limits<int64_t>::max());
  CHECK(threads->comments[2].likes == -8446744073709551617LL);  // a string: the sign is kept
  CHECK(threads->comments[3].likes == std::numeric_limits<int64_t>::max());
  auto channels = youtube::parse_channels(read_fixture("youtube/channels_absurd_counts.json"));
  REQUIRE(channels.ok());
  REQUIRE(channels->size() == 1);
  const AccountSnapshot& snap = channels->front().snapshot;
  CHECK(snap.counters.at(0).value == -8446744073709551617LL);
  CHECK(snap.followers == std::numeric_limits<int64_t>::max());
  CHECK(snap.posts == -3);

  // Through the page guard, none of them is stored as a number.
  Page page;
  page.batch.comments = threads->comments;
  page.batch.snapshot = snap;
  const PageAudit audit = guard_page(page, jan1_ms(2004), at("2026-11-30T12:00:00Z"));
  CHECK(audit.counts_rejected == 7);
  for (const CommentRecord& comment : page.batch.comments) CHECK_FALSE(comment.likes.has_value());
  CHECK_FALSE(page.batch.snapshot->counters.at(0).value.has_value());
  CHECK_FALSE(page.batch.snapshot->followers.has_value());
  CHECK_FALSE(page.batch.snapshot->posts.has_value());

  // The keyless feed's counts take the same parser.
  std::string feed = read_fixture("youtube/channel_feed.xml");
  const size_t views = feed.find("views=\"1893\"");
  REQUIRE(views != std::string::npos);
  feed.replace(views, 12, "views=\"99999999999999999999\"");
  auto parsed = youtube::parse_feed(feed);
  REQUIRE(parsed.ok());
  CHECK(parsed->posts[0].engagement.views == std::numeric_limits<int64_t>::max());
}

TEST_CASE("youtube connector: a 403 without a reason is retried soon, not auth_required") {
  auto connector = make_youtube_connector();
  for (const std::string& body :
       {std::string(), std::string("{\"error\":{\"code\":403,\"message\":\"Forbidden\"}}"),
        std::string("<html><body>403 Forbidden</body></html>")}) {
    CAPTURE(body);
    auto s = connector->begin(view(), WorkKind::kPoll);
    (void)s->start();
    HttpResponse forbidden;
    forbidden.status = 403;
    forbidden.body = body;
    const StepResult r = s->on_response(forbidden);
    CHECK(r.done);
    CHECK(r.failure == FailureKind::kServerError);
    CHECK(r.reason.find("HTTP 403 without a reason") != std::string::npos);
    CHECK_FALSE(r.throttle.has_value());
  }
  // With a reason, YouTube's word stands: quota and key as before.
  auto s = connector->begin(view(), WorkKind::kPoll);
  (void)s->start();
  CHECK(s->on_response(fixture_response(403, "youtube/error_403_quota_exceeded.json")).throttle);
}

TEST_CASE("youtube connector: quota, key and channel errors") {
  auto connector = make_youtube_connector();
  auto answer = [&](int status, const std::string& file) {
    auto s = connector->begin(view(), WorkKind::kPoll);
    (void)s->start();
    return s->on_response(fixture_response(status, file));
  };
  StepResult quota = answer(403, "youtube/error_403_quota_exceeded.json");
  CHECK(quota.done);
  CHECK(quota.failure == FailureKind::kNone);
  REQUIRE(quota.throttle.has_value());
  CHECK(quota.throttle->scope == Throttle::Scope::kCredential);
  CHECK_FALSE(quota.throttle->wait.has_value());  // until the budget resets
  CHECK(answer(400, "youtube/error_400_bad_key.json").failure == FailureKind::kAuthFailed);
  const StepResult missing = answer(200, "youtube/channels_not_found.json");
  CHECK(missing.failure == FailureKind::kNotFound);
  CHECK(missing.reason.find("@stadtmusterstadt") != std::string::npos);
  CHECK(answer(200, "rss/not_a_feed.html").failure == FailureKind::kMalformed);

  // A channel that never uploaded: its uploads playlist is not found.
  auto s = connector->begin(view(), WorkKind::kPoll);
  (void)s->start();
  (void)s->on_response(fixture_response(200, "youtube/channels_for_handle.json"));
  StepResult r = s->on_response(fixture_response(404, "youtube/error_404_playlist_not_found.json"));
  CHECK(r.done);
  REQUIRE(r.page.has_value());
  CHECK(r.page->backfill_state == BackfillState::kComplete);
}

TEST_CASE("youtube connector: without a key, the channel feed (conditional, 404 retried)") {
  auto connector = make_youtube_connector();
  AccountView v = view("", false);
  v.handle = kChannel;
  v.settings["feed_base_url"] = "https://feeds.youtube.test/";
  CHECK(connector->host_for(v) == "feeds.youtube.test");
  CHECK(connector->host_for(view()) == "api.youtube.test");
  auto s = connector->begin(v, WorkKind::kPoll);
  StepResult r = s->start();
  REQUIRE(r.request.has_value());
  CHECK(r.request->url ==
        std::string("https://feeds.youtube.test/feeds/videos.xml?channel_id=") + kChannel);
  CHECK(r.request->conditional);
  CHECK(r.request->credential.kind != CredentialUse::Kind::kPlatform);
  r = s->on_response(fixture_response(200, "youtube/channel_feed.xml"));
  CHECK(r.done);
  REQUIRE(r.page.has_value());
  CHECK(r.page->batch.posts.size() == 3);
  CHECK(r.page->backfill_state == BackfillState::kIncomplete);
  CHECK(r.page->history_note->find("15") != std::string::npos);

  auto gone = connector->begin(v, WorkKind::kPoll);
  (void)gone->start();
  CHECK(gone->on_response(fixture_response(404, "rss/not_a_feed.html")).failure ==
        FailureKind::kServerError);
  auto unchanged = connector->begin(v, WorkKind::kPoll);
  (void)unchanged->start();
  HttpResponse not_modified;
  not_modified.status = 304;
  StepResult nm = unchanged->on_response(not_modified);
  CHECK(nm.done);
  REQUIRE(nm.page.has_value());
  CHECK(nm.page->batch.posts.empty());

  AccountView at_handle = view("", false);  // an @handle needs the API
  CHECK(connector->begin(at_handle, WorkKind::kPoll)->start().failure ==
        FailureKind::kInvalidHandle);
  // History, refreshes and comments need the API: nothing to do without a key.
  CHECK(connector->begin(v, WorkKind::kBackfill)->start().done);
  CHECK(connector->begin(v, WorkKind::kComments)->start().done);
}

TEST_CASE("youtube: the descriptor states costs, budget and work intervals") {
  const PlatformDescriptor* d = platform_registry().find("youtube");
  REQUIRE(d != nullptr);
  CHECK(d->category == Category::kContentCommunity);
  CHECK(d->capabilities.credential_optional);
  REQUIRE(d->budgets.size() == 1);
  CHECK(d->budgets[0].units == 10000);
  CHECK(d->budgets[0].zone == "America/Los_Angeles");
  CHECK(d->auth.kind == AuthStyle::Kind::kQueryParameter);
  CHECK(d->auth.parameter == "key");
  const WorkSpec* refresh = d->work_spec(WorkKind::kRefresh);
  REQUIRE(refresh != nullptr);
  CHECK(refresh->batch == 50);
}
