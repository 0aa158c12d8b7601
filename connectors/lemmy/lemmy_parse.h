// Lemmy HTTP API answers -> normalized records. Pure functions over
// response text. The shapes are lemmy-js-client's types: release/v0.19
// (API v3, Lemmy 0.19: src/types/PostView.ts, Post.ts, PostAggregates.ts,
// CommentView.ts, Comment.ts, CommentAggregates.ts, CommunityView.ts,
// CommunityAggregates.ts, PersonView.ts, Person.ts, GetPostsResponse.ts,
// GetCommentsResponse.ts, GetPersonDetailsResponse.ts, GetSiteResponse.ts)
// and main (Lemmy 1.0), which renamed `published` to `published_at`,
// `updated` to `updated_at`, `actor_id` to `ap_id` and moved the counts
// from the `counts` objects into the post, comment, community and person
// themselves. Both are read: the new name first, then the old. Facts and
// sources: ../shared/reference/platform-api-open.md §4a; fixtures:
// tests/fixtures/lemmy/SOURCES.md.
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "core/model.h"
#include "core/result.h"

namespace muni::lemmy {

// An error body: {"error": "<snake_case LemmyErrorType>", "message"?}
// (LemmyNet/lemmy crates/utils/src/error.rs: serde tag "error", content
// "message"; 404 for not_found, 401 for incorrect_login, 400 otherwise).
struct ApiError {
  std::string error;
  std::string message;
};
std::optional<ApiError> parse_error(std::string_view body);
// "rate_limit_error (reason)" for failure reasons; "" when unreadable.
std::string error_text(std::string_view body);
// The instance refuses for its rate limit: Lemmy 0.19's 400
// {"error":"rate_limit_error"} (its limiter answers LemmyErrorType::
// RateLimitError through the usual error response,
// crates/utils/src/rate_limit/mod.rs), and a 429, which newer releases send
// (with or without {"error":"too_many_requests"}; the engine handles a 429
// itself before the connector sees it).
bool is_rate_limit(int status, std::string_view body);

// GET /api/v3/site: `version` ("0.19.5", "1.0.0"); "" when missing.
Result<std::string> parse_site_version(std::string_view body);
// "0.19.5" -> major * 1000 + minor (19); nullopt when unreadable.
std::optional<int> version_number(std::string_view version);

// The configured staff persons that apply to an account on `account_host`
// ("host" or "host:port"): `setting` is a comma-separated list of names
// ("alice" on the account's instance, "alice@other.host" anywhere), each
// list optionally scoped to one instance ("lemmy.example=alice, bob"
// applies on lemmy.example only). Returned as lower-case "name@host".
std::set<std::string> staff_persons_for(std::string_view setting, std::string_view account_host);

// GET /api/v3/community?name=: community_view{community, counts}.
struct CommunityInfo {
  AccountSnapshot snapshot;  // platform_id: "!name@host"
  int64_t id = 0;            // the instance-local community id (post/list's community_id)
  bool deleted = false;
  bool removed = false;
};
Result<CommunityInfo> parse_community(std::string_view body);

// A post of a listing (PostView).
struct PostItem {
  PostRecord post;        // item type "post", id = the post's id on the home instance
  std::string creator;    // "name@host" of its creator
  bool featured = false;  // pinned in the community or on the instance (listed first)
  bool gone = false;      // deleted by its creator or removed by a moderator
};
// GET /api/v3/post/list: {posts: [PostView], next_page?}.
struct PostList {
  std::vector<PostItem> posts;
  std::vector<SkippedItem> skipped;
  size_t items = 0;       // entries of `posts`, read or skipped
  std::string next_page;  // the page_cursor of the next page ("" when none)
};
Result<PostList> parse_posts(std::string_view body);
// GET /api/v3/post?id=: {post_view, ...}.
Result<PostItem> parse_post(std::string_view body);

// A comment (CommentView): the tree position from its `path`.
struct CommentItem {
  std::string id;
  std::string post_id;
  std::string creator;  // "name@host"
  // The ids above it, root first ("0.12.34.56" -> {"12", "34"} for 56).
  std::vector<std::string> ancestors;
  bool gone = false;  // deleted or removed: no comment of anyone's, never an answer
  std::optional<TimeMs> post_created_at;
  std::string post_creator_id;  // the post's creator (instance-local person id)
  std::string creator_id;
  CommentRecord comment;  // reply_to_comment_id and by_account set by the caller
};
struct CommentList {
  std::vector<CommentItem> comments;
  std::vector<SkippedItem> skipped;
  size_t items = 0;
  std::string next_page;
};
// GET /api/v3/comment/list: {comments: [CommentView], next_page?}.
Result<CommentList> parse_comments(std::string_view body);

// GET /api/v3/user?username=: person_view{person, counts}, posts, comments.
struct PersonPage {
  AccountSnapshot snapshot;  // platform_id: "@name@host"
  std::string key;           // "name@host"
  std::string person_id;     // instance-local id
  bool deleted = false;
  bool banned = false;
  PostList posts;
  CommentList comments;
};
Result<PersonPage> parse_person(std::string_view body);

// The records of one post's comments, read completely: each comment answers
// the nearest comment above it (its path) that is not gone; one with none
// answers `opening` (the post's opening as a comment, "" for the account's
// own posts), else the thread's root id (which names the thread). Gone
// comments are left out and listed in `gone_ids`. `staff` decides by_account.
struct Thread {
  std::vector<CommentRecord> comments;
  std::vector<std::string> gone_ids;
};
Thread assemble_thread(const std::vector<CommentItem>& items, const std::string& opening,
                       const std::set<std::string>& staff);

// The id of a post's opening as a comment (a post a citizen opened is a
// thread of its own: docs/metrics.md, "Answered").
std::string opening_id(std::string_view post_id);

}  // namespace muni::lemmy
