// Bluesky AppView (AT Protocol XRPC) responses -> normalized records. Pure
// functions over response text. Shapes follow the lexicons
// app.bsky.actor.defs#profileViewDetailed and app.bsky.feed.defs
// (feedViewPost, postView, reasonRepost, notFoundPost, blockedPost); the
// fixtures and their sources are in tests/fixtures/bluesky/SOURCES.md.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/json.h"
#include "core/model.h"
#include "core/result.h"

namespace muni::bluesky {

// app.bsky.actor.getProfile -> snapshot (platform_id = DID). Every count may
// be absent in the lexicon; absent stays std::nullopt.
Result<AccountSnapshot> parse_profile(std::string_view body);
// app.bsky.actor.getProfiles ({"profiles": [profileViewDetailed...]}, up to
// 25 actors): the usable profiles; actors the AppView does not know are
// simply absent from the answer.
Result<std::vector<AccountSnapshot>> parse_profiles(std::string_view body);

struct FeedItem {
  PostRecord post;
  std::string key;     // stable identity of the feed entry (post URI, or the repost's)
  TimeMs sort_at = 0;  // the feed's order: repost time, or min(createdAt, indexedAt)
};

struct FeedPage {
  std::vector<FeedItem> items;
  std::vector<SkippedItem> skipped;  // entries that could not be read
  std::string cursor;                // "" when the feed says there is no more
};

// app.bsky.feed.getAuthorFeed. `own_did` is the polled account. Fails only
// when the body is not a feed; an unreadable entry is skipped and reported.
Result<FeedPage> parse_author_feed(std::string_view body, std::string_view own_did);
// One feedViewPost.
Result<FeedItem> parse_feed_item(const JsonValue& item, std::string_view own_did);

// app.bsky.feed.getPosts: current counts of the given posts, as counts-only
// records (PostRecord::counts_only).
Result<std::vector<PostRecord>> parse_posts_counts(std::string_view body);

// What the AppView says about one post, asked by URI
// (app.bsky.feed.getPostThread?uri=U&depth=0&parentHeight=0), as evidence
// about a post that getPosts left out:
//   kShown      200 with a threadViewPost whose post is that URI: it exists
//               (the post is a counts-only record with its current counts)
//   kNotFound   400 with the XRPC error "NotFound" (the AppView's answer for
//               a post it does not have: "Post not found: at://..."), or 200
//               with a #notFoundPost for that URI, which the lexicon allows
//   kNoEvidence anything else (#blockedPost, another URI, other errors,
//               a body that is not JSON)
struct PostCheck {
  enum class Verdict { kShown, kNotFound, kNoEvidence } verdict = Verdict::kNoEvidence;
  PostRecord post;     // kShown
  std::string detail;  // kNoEvidence: why the answer proves nothing
};
PostCheck read_post_thread(int http_status, std::string_view body, std::string_view uri);

struct XrpcError {
  std::string error;    // "InvalidRequest", "AccountTakedown", ...
  std::string message;  // "Profile not found"
};
// {"error": "...", "message": "..."}; nullopt when the body is not one.
std::optional<XrpcError> parse_error(std::string_view body);

// "at://did:plc:abc/app.bsky.feed.post/3k..." -> "did:plc:abc"
std::string did_of_uri(std::string_view at_uri);
// "at://did/app.bsky.feed.post/rkey" -> "https://bsky.app/profile/did/post/rkey"
std::string web_url_of(std::string_view at_uri);

}  // namespace muni::bluesky
