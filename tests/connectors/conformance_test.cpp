// Conformance with real recorded responses: every file in
// ../shared/api-samples/mastodon/ and bluesky/ is parsed, and the recorded
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
