// PeerTube REST API answers -> normalized records. Pure functions over
// response text. Field meanings follow the official REST API reference
// (docs.joinpeertube.org/api-rest-reference, the OpenAPI description
// support/doc/api/openapi.yaml of Chocobozzz/PeerTube) and the server's
// models (packages/models/src: actors/account.model.ts,
// videos/channel/video-channel.model.ts, videos/video.model.ts,
// videos/comment/video-comment.model.ts, server/server-config.model.ts);
// the recorded answers are in ../shared/api-samples/peertube/. Fixtures and
// their sources: tests/fixtures/peertube/SOURCES.md.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/model.h"
#include "core/result.h"

namespace muni::peertube {

// An RFC 7807 problem (application/problem+json): every PeerTube error body
// since 4.0 ({"type","title","status","detail","docs"} and optionally "code",
// "instance", "invalid-params"); older instances send {"error": "..."}, which
// is read as the detail.
struct Problem {
  int status = 0;
  std::string title;
  std::string detail;
  std::string type;
  std::string code;
};
std::optional<Problem> parse_problem(std::string_view body);
// "Not Found: Video not found" for failure reasons ("" when unreadable).
std::string error_text(std::string_view body);

// An account (GET /api/v1/accounts/{name}) or a video channel
// (GET /api/v1/video-channels/{handle}).
struct ActorInfo {
  AccountSnapshot snapshot;  // platform_id: "name@host" or "channel:name@host"
  std::string name;
  std::string host;
  // The account whose comments are the account's own answers, "name@host"
  // lower-cased: the account itself, or the channel's ownerAccount ("" when
  // a channel names none).
  std::string owner;
};
Result<ActorInfo> parse_account(std::string_view body);
Result<ActorInfo> parse_channel(std::string_view body);

// A page of GET /api/v1/{accounts,video-channels}/{name}/videos: {"total",
// "data": [Video]}. `publishedAt` is the item's time (createdAt is the
// upload draft, originallyPublishedAt an imported video's original date).
// Counts: views, likes, and `comments` (PeerTube >= 7.2; absent before:
// unknown, never 0).
struct VideoPage {
  std::optional<int64_t> total;
  std::vector<PostRecord> posts;  // item type "video", id = the video's uuid
  std::vector<SkippedItem> skipped;
  size_t items = 0;  // entries of `data`, read or skipped
};
Result<VideoPage> parse_videos(std::string_view body, bool counts_only = false);

// GET /api/v1/videos/{id}: one video, and whether its comments are switched
// off (commentsPolicy.id 2 "Disabled" since PeerTube 6.2, commentsEnabled
// false before; nullopt when it says neither).
struct VideoDetails {
  PostRecord post;
  std::optional<bool> comments_disabled;
};
Result<VideoDetails> parse_video(std::string_view body);

// GET /api/v1/videos/{id}/comment-threads: {"total", "data": [VideoComment]}
// (the thread roots). A deleted root (isDeleted, kept while it has replies)
// is no comment of anyone's: it is listed as deleted, its id still names
// the thread.
struct ThreadRoot {
  std::string id;
  bool deleted = false;
  int64_t total_replies = 0;             // every comment below the root
  std::optional<CommentRecord> comment;  // unset when deleted or unreadable
};
struct ThreadPage {
  std::optional<int64_t> total;
  std::vector<ThreadRoot> threads;
  size_t items = 0;  // entries of `data`
};
// `owner`: ActorInfo::owner; a comment whose account is it is by_account.
Result<ThreadPage> parse_comment_threads(std::string_view body, std::string_view video_id,
                                         std::string_view owner);

// GET /api/v1/videos/{id}/comment-threads/{threadId}: the tree
// {"comment", "children": [{"comment", "children"}]}. The replies below the
// root, each answering its parent in the tree; a reply below a deleted
// comment answers the nearest comment above it that is not deleted (the
// thread's root id when there is none), so the thread stays whole.
struct ThreadTree {
  std::vector<CommentRecord> replies;    // not deleted, below the root
  std::vector<std::string> deleted_ids;  // tombstones (isDeleted) below the root
  int64_t descendants = 0;               // every node below the root, deleted included
};
Result<ThreadTree> parse_comment_tree(std::string_view body, std::string_view video_id,
                                      std::string_view owner);

// GET /api/v1/config: serverVersion ("7.2.0"); "" when it is missing.
Result<std::string> parse_config(std::string_view body);
// "7.2.0" -> major * 1000 + minor (7002); nullopt when unreadable.
std::optional<int> version_number(std::string_view version);
// The version from which a video's `comments` count is sent.
constexpr int kCommentsCountSince = 7002;

}  // namespace muni::peertube
