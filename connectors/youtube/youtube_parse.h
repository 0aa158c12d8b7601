// YouTube Data API v3 answers and the channel feed -> normalized records.
// Pure functions over response text. Field meanings follow the official
// reference (developers.google.com/youtube/v3/docs: channels, playlistItems,
// videos, commentThreads, comments, errors) and the recorded answers in
// ../shared/api-samples/youtube*/; fixtures and their sources are in
// tests/fixtures/youtube/SOURCES.md.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/model.h"
#include "core/result.h"

namespace muni::youtube {

struct Channel {
  AccountSnapshot snapshot;  // platform_id = channel id; followers rounded (3 significant figures)
  std::string uploads;       // contentDetails.relatedPlaylists.uploads ("UU...")
  std::optional<int64_t> video_count;
};

// channels.list: every channel of the answer. An answer without `items`
// (how YouTube says "no such channel", with HTTP 200) is an empty list.
Result<std::vector<Channel>> parse_channels(std::string_view body);

struct PlaylistItem {
  std::string video_id;
  std::optional<TimeMs> published_at;  // contentDetails.videoPublishedAt (the video's time)
  std::string title;
};

struct PlaylistPage {
  std::vector<PlaylistItem> items;
  std::string next_page_token;   // "" on the last page
  std::optional<int64_t> total;  // pageInfo.totalResults
};

// playlistItems.list (part contentDetails, snippet).
Result<PlaylistPage> parse_playlist_items(std::string_view body);

struct Videos {
  std::vector<PostRecord> posts;      // published videos, item type "video"
  std::vector<std::string> upcoming;  // scheduled premieres and live streams not yet over
  std::vector<SkippedItem> skipped;
};

// videos.list (part snippet, statistics, contentDetails). Counts arrive as
// strings; likeCount is absent when the owner hides it, commentCount when
// comments are off: absent stays unknown. `counts_only` marks the records
// for a refresh.
Result<Videos> parse_videos(std::string_view body, bool counts_only = false);

struct CommentPage {
  std::vector<CommentRecord> comments;
  // Threads whose replies were not all included (totalReplyCount larger
  // than the replies sent): their ids, for comments.list?parentId=.
  std::vector<std::string> threads_with_more_replies;
  std::string next_page_token;
};

// commentThreads.list (part snippet, replies). `channel_id` is the polled
// channel: its own comments and replies are marked by_account (the channel
// answered when a reply's authorChannelId.value equals it).
Result<CommentPage> parse_comment_threads(std::string_view body, std::string_view channel_id);
// comments.list?parentId= : replies of one thread.
Result<CommentPage> parse_comments(std::string_view body, std::string_view channel_id);

// How many items an answer of `kind` ("youtube#videoListResponse",
// "youtube#playlistItemListResponse") holds, whatever its parts: the
// per-item evidence of a deletion check asks for part=id only, and any item
// at all counts as "still there".
Result<size_t> count_items(std::string_view body, std::string_view kind);

// The error envelope {"error": {"code", "message", "errors": [{"reason", ...}]}}.
struct ApiError {
  int code = 0;
  std::string
      reason;  // errors[0].reason: quotaExceeded, keyInvalid, badRequest, commentsDisabled, ...
  std::string message;  // as sent (may hold escaped HTML: never shown raw)
};
std::optional<ApiError> parse_error(std::string_view body);

// The keyless channel feed (Atom): the newest 15 videos with views and likes.
struct Feed {
  AccountSnapshot snapshot;  // platform_id = "UC" + the feed's yt:channelId
  std::vector<PostRecord> posts;
  std::vector<SkippedItem> skipped;
};
Result<Feed> parse_feed(std::string_view body);

}  // namespace muni::youtube
