// Conformance with real recorded responses: every file in
// ../shared/api-samples/{mastodon,bluesky,youtube,youtube-rss,rss}/ is parsed, and the recorded
// posts are classified as the research notes describe them
// (../shared/api-samples/SOURCES.md). Skips, with a message, when the shared
// folder is not next to the project.
#include <doctest/doctest.h>

#include <algorithm>
#include <filesystem>
#include <map>

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "connectors/bluesky/bluesky_parse.h"
#include "connectors/mastodon/mastodon_parse.h"
#include "connectors/rss/rss_parse.h"
#include "connectors/youtube/youtube_parse.h"
#include "core/json.h"
#include "test_support.h"

using namespace muni;

namespace {

std::vector<std::filesystem::path> json_files(const std::filesystem::path& dir) {
  std::vector<std::filesystem::path> out;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    const std::string name = e.path().filename().string();
    if (e.path().extension() == ".json" && name.find(".headers.") == std::string::npos)
      out.push_back(e.path());
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

TEST_CASE("conformance: the recorded Mastodon responses") {
  auto dir = test::shared_samples("mastodon");
  if (!dir) {
    MESSAGE("skipped: ../shared/api-samples/mastodon not present");
    return;
  }
  const auto files = json_files(*dir);
  REQUIRE(files.size() >= 10);
  int parsed = 0;
  for (const auto& f : files) {
    CAPTURE(f.filename().string());
    const std::string body = test::read_file(f.string());
    const std::string name = f.filename().string();
    if (name.find("not_found") != std::string::npos) {
      CHECK_FALSE(mastodon::error_text(body).empty());
      ++parsed;
    } else if (name.find("account") == 0 && name.find("statuses") == std::string::npos) {
      auto a = mastodon::parse_account(body);
      REQUIRE(a.ok());
      CHECK_FALSE(a->snapshot.platform_id.empty());
      ++parsed;
    } else if (name.rfind("doc_get_account", 0) == 0) {
      REQUIRE(mastodon::parse_account(body).ok());
      ++parsed;
    } else if (name.find("statuses") != std::string::npos) {
      auto doc = parse_json(body);
      REQUIRE(doc.ok());
      const std::string own = json_string((**doc)[0]["account"], "id").value_or("");
      auto posts = mastodon::parse_statuses(body, own);
      REQUIRE(posts.ok());
      CHECK(posts->skipped.empty());
      for (const auto& p : posts->posts) CHECK(p.kind == PostKind::kOriginal);  // "Toot number N"
      ++parsed;
    } else {
      auto doc = parse_json(body);
      REQUIRE(doc.ok());
      const std::string own = json_string((**doc)["account"], "id").value_or("");
      auto p = mastodon::parse_status(**doc, own);
      REQUIRE(p.ok());
      if (name == "status_reply_to_other_account.json") {
        CHECK(p->kind == PostKind::kReplyOther);
        CHECK(p->parent_created_at.has_value());
        CHECK(*p->parent_created_at <= p->created_at);
      } else if (name == "status_self_reply.json") {
        CHECK(p->kind == PostKind::kReplySelf);
        CHECK(p->parent_created_at == test::at("2026-08-01T13:51:00.535Z"));
      } else if (name == "status_reblog_boost.json") {
        CHECK(p->kind == PostKind::kRepost);
        CHECK(p->engagement.empty());
      } else if (name == "status_edited.json") {
        CHECK(p->kind == PostKind::kOriginal);
        CHECK(p->edited_at.has_value());
      } else if (name == "doc_status_entity_example.json") {
        CHECK(p->kind == PostKind::kOriginal);
        CHECK(p->has_link);
        CHECK(p->engagement == Engagement{11, 5, 6, 2, std::nullopt});
      } else {
        FAIL_CHECK("a new sample file: add its expected classification");
      }
      ++parsed;
    }
  }
  CHECK(parsed == static_cast<int>(files.size()));
}

TEST_CASE("conformance: the recorded Bluesky responses") {
  auto dir = test::shared_samples("bluesky");
  if (!dir) {
    MESSAGE("skipped: ../shared/api-samples/bluesky not present");
    return;
  }
  const auto files = json_files(*dir);
  REQUIRE(files.size() >= 8);
  for (const auto& f : files) {
    CAPTURE(f.filename().string());
    const std::string body = test::read_file(f.string());
    const std::string name = f.filename().string();
    if (name == "getAuthorFeed.json") {
      // The page of chriskenny.bsky.social: 50 items, 24 replies (1 self-reply,
      // 3 to deleted parents), 7 reposts (SOURCES.md); 7 quotes and 12
      // originals by the lexicon's embed types.
      const std::string own = "did:plc:wpe35pganb6d4pg4ekmfy6u5";
      auto page = bluesky::parse_author_feed(body, own);
      REQUIRE(page.ok());
      CHECK(page->items.size() == 50);
      CHECK(page->cursor == "2024-03-21T23:36:16.378Z");
      std::map<PostKind, int> n;
      int deleted_parents = 0;
      for (const auto& item : page->items) {
        ++n[item.post.kind];
        if (item.post.parent_state == ParentState::kDeleted) ++deleted_parents;
        if (item.post.kind == PostKind::kReplyOther) CHECK(item.post.parent_created_at.has_value());
        if (item.post.kind == PostKind::kRepost) CHECK(item.post.engagement.empty());
      }
      CHECK(n[PostKind::kReplyOther] == 20);
      CHECK(n[PostKind::kReplySelf] == 1);
      CHECK(n[PostKind::kReplyUnknown] == 3);
      CHECK(deleted_parents == 3);
      CHECK(n[PostKind::kRepost] == 7);
      CHECK(n[PostKind::kQuote] == 7);
      CHECK(n[PostKind::kOriginal] == 12);
      // The microsecond createdAt is read, truncated to milliseconds.
      bool micro = false;
      for (const auto& item : page->items)
        micro = micro || item.post.created_at == test::at("2024-06-05T21:01:56.189Z");
      CHECK(micro);
    } else if (name == "getProfiles.json") {
      auto doc = parse_json(body);
      REQUIRE(doc.ok());
      rapidjson::StringBuffer buf;
      rapidjson::Writer<rapidjson::StringBuffer> w(buf);
      (**doc)["profiles"][0].Accept(w);
      auto p = bluesky::parse_profile(buf.GetString());
      REQUIRE(p.ok());
      CHECK(p->handle == "chriskenny.bsky.social");
      CHECK(p->followers.has_value());
      CHECK(p->posts.has_value());
    } else if (name.rfind("error_", 0) == 0) {
      auto e = bluesky::parse_error(body);
      REQUIRE(e.has_value());
      CHECK(e->error == "InvalidRequest");
    } else if (name == "resolveHandle.json") {
      auto doc = parse_json(body);
      REQUIRE(doc.ok());
      CHECK(json_string(**doc, "did").value_or("").rfind("did:plc:", 0) == 0);
    } else if (name.rfind("lexicon_", 0) == 0) {
      // The lexicons the parser follows: the fields it reads exist there.
      CHECK(parse_json(body).ok());
      if (name == "lexicon_app.bsky.feed.defs.json") {
        for (const char* field :
             {"likeCount", "replyCount", "repostCount", "quoteCount", "indexedAt"}) {
          CHECK(body.find(field) != std::string::npos);
        }
        CHECK(body.find("notFoundPost") != std::string::npos);
        CHECK(body.find("reasonRepost") != std::string::npos);
      }
    } else {
      FAIL_CHECK("a new sample file: add its expectations");
    }
  }
}

TEST_CASE("conformance: the recorded YouTube Data API responses") {
  auto dir = test::shared_samples("youtube");
  if (!dir) {
    MESSAGE("skipped: ../shared/api-samples/youtube not present");
    return;
  }
  const auto files = json_files(*dir);
  REQUIRE(files.size() >= 10);
  for (const auto& f : files) {
    const std::string name = f.filename().string();
    CAPTURE(name);
    const std::string body = test::read_file(f.string());
    if (name == "channels_list_multi_parts.json") {
      auto list = youtube::parse_channels(body);
      REQUIRE(list.ok());
      REQUIRE(list->size() == 2);
      CHECK((*list)[0].snapshot.platform_id == "UCK8sQmJBp8GCxrOtXWBpyEA");
      CHECK((*list)[0].snapshot.handle == "@google");
      CHECK((*list)[0].snapshot.followers == 10700000);  // rounded by YouTube
      CHECK((*list)[0].snapshot.followers_precision == CountPrecision::kRounded);
      CHECK((*list)[0].snapshot.created_at == test::at("2005-09-18T22:37:10Z"));
      CHECK((*list)[1].uploads == "UU_x5XG1OV2P6uZZ5FSM9Ttw");
      CHECK((*list)[1].video_count == 5652);
    } else if (name == "channels_list_single_statistics.json") {
      auto list = youtube::parse_channels(body);
      REQUIRE(list.ok());
      REQUIRE(list->size() == 1);
      // The 2019 shape: customUrl without '@', publishedAt with milliseconds.
      CHECK(list->front().snapshot.handle.rfind('@', 0) == 0);
      CHECK(list->front().snapshot.created_at.has_value());
    } else if (name.rfind("playlistItems_list_page", 0) == 0) {
      auto page = youtube::parse_playlist_items(body);
      REQUIRE(page.ok());
      CHECK_FALSE(page->items.empty());
      // part=snippet only: the video id comes from resourceId, and without
      // contentDetails the video's own time stays unknown (never the time
      // it joined the playlist).
      for (const auto& item : page->items) {
        CHECK(item.video_id.size() == 11);
        CHECK_FALSE(item.published_at.has_value());
      }
      CHECK(page->next_page_token.empty() == (name == "playlistItems_list_page2.json"));
      CHECK(page->total == 13);
    } else if (name == "videos_list_statistics.json") {
      auto videos = youtube::parse_videos(body);
      REQUIRE(videos.ok());
      REQUIRE(videos->posts.size() == 1);
      const PostRecord& v = videos->posts[0];
      CHECK(v.platform_post_id == "D-lhorsDlUQ");
      CHECK(v.created_at == test::at("2019-03-21T20:37:49Z"));
      CHECK(v.engagement.views == 7920);
      CHECK(v.engagement.likes == 190);
      CHECK(v.engagement.replies == 32);
      CHECK(v.language == "en");
    } else if (name == "commentThreads_list_by_video_page1.json") {
      auto page = youtube::parse_comment_threads(body, "UC_x5XG1OV2P6uZZ5FSM9Ttw");
      REQUIRE(page.ok());
      CHECK(page->comments.size() == 5);
      // One thread reports 2 replies but the answer has no replies part.
      CHECK(page->threads_with_more_replies.size() == 1);
      CHECK_FALSE(page->next_page_token.empty());
      for (const auto& c : page->comments) {
        CHECK_FALSE(c.by_account);
        CHECK(c.author_id.rfind("UC", 0) == 0);
      }
    } else if (name == "commentThread_with_replies_item.json") {
      // A single thread (not a list answer): wrapped as one.
      const std::string list =
          "{\"kind\":\"youtube#commentThreadListResponse\",\"items\":[" + body + "]}";
      auto page = youtube::parse_comment_threads(list, "UCsl2A_QzcSnFD2hpCyVwXxA");
      REQUIRE(page.ok());
      REQUIRE(page->comments.size() == 2);
      CHECK(page->comments[1].by_account);  // the reply's author is the given channel
      CHECK(page->comments[1].reply_to_comment_id == page->comments[0].platform_comment_id);
      CHECK(page->threads_with_more_replies.empty());
    } else if (name == "comments_list_by_parentId_page1.json") {
      auto page = youtube::parse_comments(body, "");
      REQUIRE(page.ok());
      CHECK(page->comments.size() == 2);
      for (const auto& c : page->comments) CHECK_FALSE(c.reply_to_comment_id.empty());
      CHECK_FALSE(page->next_page_token.empty());
    } else if (name.rfind("error_", 0) == 0) {
      auto e = youtube::parse_error(body);
      REQUIRE(e.has_value());
      CHECK(e->code >= 400);
      CHECK_FALSE(e->reason.empty());
      CHECK(e->message.find("\u003c") == std::string::npos);
      CHECK(e->message.find('<') == std::string::npos);
      if (name == "error_403_quotaExceeded.json") CHECK(e->reason == "quotaExceeded");
    } else {
      FAIL_CHECK("a new sample file: add its expectations");
    }
  }
}

TEST_CASE("conformance: the recorded YouTube channel feeds") {
  auto dir = test::shared_samples("youtube-rss");
  if (!dir) {
    MESSAGE("skipped: ../shared/api-samples/youtube-rss not present");
    return;
  }
  int feeds = 0;
  for (const auto& e : std::filesystem::directory_iterator(*dir)) {
    const std::string name = e.path().filename().string();
    CAPTURE(name);
    const std::string body = test::read_file(e.path().string());
    if (e.path().extension() == ".xml") {
      auto feed = youtube::parse_feed(body);
      REQUIRE(feed.ok());
      ++feeds;
      CHECK(feed->snapshot.platform_id == "UCsXVk37bltHxD1rDPwtNM8Q");  // "UC" restored
      CHECK(feed->snapshot.created_at == test::at("2013-07-09T20:17:20Z"));
      CHECK(feed->posts.size() == 15);
      CHECK(feed->skipped.empty());
      int shorts = 0;
      for (const auto& p : feed->posts) {
        CHECK(p.engagement.views.has_value());
        CHECK(p.engagement.likes.has_value());
        CHECK(p.created_at > test::at("2024-01-01T00:00:00Z"));
        shorts += p.url.find("/shorts/") != std::string::npos;
      }
      CHECK(shorts == (name.find("2025-07-12") != std::string::npos ? 10 : 8));
    } else if (e.path().extension() == ".html") {
      CHECK_FALSE(youtube::parse_feed(body).ok());  // the 404 page is HTML
    }
  }
  CHECK(feeds == 2);
}

TEST_CASE("conformance: the RSS and Atom documentation examples") {
  auto dir = test::shared_samples("rss");
  if (!dir) {
    MESSAGE("skipped: ../shared/api-samples/rss not present");
    return;
  }
  int parsed = 0;
  for (const auto& e : std::filesystem::directory_iterator(*dir)) {
    const std::string name = e.path().filename().string();
    CAPTURE(name);
    auto feed = rss::parse_feed(test::read_file(e.path().string()), "http://example.org/feed", 0);
    REQUIRE(feed.ok());
    ++parsed;
    REQUIRE_FALSE(feed->items.empty());
    const PostRecord& first = feed->items[0];
    CHECK(first.text.find('<') == std::string::npos);
    if (name.find("rss20") != std::string::npos) {
      CHECK(feed->format == rss::Format::kRss2);
      CHECK(first.platform_post_id == "http://example.org/guid/1");
      CHECK(first.created_at == test::at("2002-09-05T00:00:01Z"));
      CHECK(first.has_media);  // enclosure
      CHECK(first.text == "Watch out for nasty tricks");  // the span and its style are gone
    } else if (name.find("atom10") != std::string::npos) {
      CHECK(feed->format == rss::Format::kAtom);
      CHECK(first.url == "http://example.org/entry/3");  // through xml:base
      CHECK(first.created_at == test::at("2005-11-09T00:23:47Z"));
      CHECK(first.edited_at == test::at("2005-11-09T11:56:34Z"));
      CHECK(first.has_media);  // rel="enclosure"
    } else {
      CHECK(feed->format == rss::Format::kRss1);
      CHECK(first.created_at > 0);
      CHECK((first.quality & kQualityDateEstimated) == 0);  // dc:date read
    }
  }
  CHECK(parsed == 3);
}
