// The normalized, platform-neutral records connectors produce and the store
// keeps. A field the platform does not report stays empty (std::nullopt):
// muniscope never turns "unknown" into 0.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/time_util.h"

namespace muni {

// How a post relates to other posts. Exactly one kind per post; precedence
// when several apply: repost > reply > quote > original (a reply that also
// quotes is a reply, with quoted_post_id set).
enum class PostKind {
  kOriginal,      // the account's own new post
  kReplyOther,    // reply to a post of another account ("dialogue")
  kReplySelf,     // reply to one of the account's own posts (a thread)
  kReplyUnknown,  // reply whose parent's author cannot be determined
  kRepost,        // boost / repost / retweet of someone else's (or own) post
  kQuote,         // quote post
};

std::string_view post_kind_id(PostKind kind);  // "original", "reply_other", ...
std::optional<PostKind> parse_post_kind(std::string_view id);
// Own posts = originals + replies + quotes (everything but reposts).
inline bool is_own_post(PostKind k) { return k != PostKind::kRepost; }
inline bool is_reply(PostKind k) {
  return k == PostKind::kReplyOther || k == PostKind::kReplySelf || k == PostKind::kReplyUnknown;
}

// What is known about the post a reply answers.
enum class ParentState {
  kNone,     // not a reply
  kVisible,  // parent seen in the response (author and time known)
  kDeleted,  // parent deleted (Bluesky #notFoundPost)
  kBlocked,  // parent hidden by a block (Bluesky #blockedPost)
  kUnknown,  // only a reference (Mastodon in_reply_to_id)
};
std::string_view parent_state_id(ParentState s);

struct Engagement {
  std::optional<int64_t> likes;
  std::optional<int64_t> replies;
  std::optional<int64_t> reposts;
  std::optional<int64_t> quotes;
  std::optional<int64_t> views;
  bool operator==(const Engagement&) const = default;
  bool empty() const { return !likes && !replies && !reposts && !quotes && !views; }
};

// What kind of item a record is. Microblogs publish posts; YouTube videos,
// feeds and blogs articles, wikis edits, forums topics and comments.
// Metrics count every item type as the account's output.
inline constexpr const char* kItemPost = "post";
inline constexpr const char* kItemVideo = "video";
inline constexpr const char* kItemArticle = "article";
inline constexpr const char* kItemWikiEdit = "wiki_edit";
inline constexpr const char* kItemWikiPageCreated = "wiki_page_created";  // a wiki page's first revision
inline constexpr const char* kItemTopic = "topic";
inline constexpr const char* kItemComment = "comment";

struct PostRecord {
  std::string platform_post_id;  // stable id on the platform
  std::string item_type = kItemPost;  // kItem*
  std::string title;  // videos, articles, topics; "" for posts
  TimeMs created_at = 0;         // for reposts: the time of the repost
  PostKind kind = PostKind::kOriginal;
  // Reply parent, repost original or quoted post, depending on kind.
  std::string parent_post_id;
  std::string parent_author_id;
  std::optional<TimeMs> parent_created_at;
  ParentState parent_state = ParentState::kNone;
  std::string quoted_post_id;  // set for quotes (also quote-replies)
  std::string url;
  std::string text;      // plain text (HTML stripped, entities decoded)
  std::string language;  // BCP 47 as reported, "" if none
  bool has_link = false;
  bool has_media = false;
  int mentions = 0;  // other accounts mentioned
  std::optional<TimeMs> edited_at;
  // Engagement as observed now. Empty for reposts: the counts of a reposted
  // post belong to its author, not to the municipality.
  Engagement engagement;
  // Set by refreshes that only re-read counts (e.g. Bluesky getPosts): the
  // store then updates the counts of an existing post and nothing else.
  bool counts_only = false;
  // Independent evidence of when the post was made, where the platform has
  // one (a Mastodon Snowflake id, Bluesky's indexedAt). The page guard uses
  // it when created_at is implausible (before the platform existed, in the
  // future) and flags the post as corrected.
  std::optional<TimeMs> created_at_evidence;
  // PostQuality bits, set by the page guard (stored in posts.quality).
  uint32_t quality = 0;
};

// What the page guard (engine/page_guard.h) had to correct in a record.
enum PostQuality : uint32_t {
  kQualityTextRepaired = 1,      // invalid UTF-8 or NUL bytes replaced
  kQualityDateCorrected = 2,     // created_at implausible; taken from the evidence
  kQualityCountsRejected = 4,    // a negative or absurd count stored as unknown
  kQualityDateEstimated = 8,     // the item had no date: the time it was first seen
  // Set by a connector, not the guard: the platform shows the counts
  // abbreviated ("33.4K" views on Telegram), so they are approximate.
  kQualityCountsApproximate = 16,
};

// An item of a response that could not be read (no id, no readable date):
// skipped and reported, so one bad item never stalls the rest of the page.
struct SkippedItem {
  std::string id;  // the platform's id if it could be read, else ""
  std::string reason;
};

// A comment on one of the account's items: a citizen's, or the account's
// own answer, on platforms that show them (YouTube, Facebook, WordPress,
// Discourse). Comments are upserted: edits, counts and deletions are kept.
struct CommentRecord {
  // "" where the platform hides comment ids (Facebook without Page Public
  // Content Access): the store then derives a stable key from the item, the
  // author, the time and the text, and marks it derived.
  std::string platform_comment_id;
  std::string on_post_id;  // the account's item commented on
  std::string author_id;
  bool by_account = false;          // the account's own answer
  std::string reply_to_comment_id;  // "" for a top-level comment
  TimeMs created_at = 0;
  std::string text;
  std::optional<TimeMs> edited_at;
  std::optional<int64_t> likes;
};

// What one reading of an item's comments established (comment coverage).
// The store keeps, per item, when its comments were last read and how that
// reading ended; dialogue figures are unknown for periods with items whose
// comments were never read (docs/metrics.md, "Comment coverage").
enum class CommentSweepResult {
  kComplete,  // every thread and every reply of the item was read
  kPartial,   // the reading stopped early (a guard, a cap); what was read is stored
  kDisabled,  // the platform says comments are switched off for the item
};
std::string_view comment_sweep_result_id(CommentSweepResult r);  // "complete", "partial", "disabled"

struct CommentSweep {
  std::string on_post_id;  // the account's item
  CommentSweepResult result = CommentSweepResult::kComplete;
  std::string note;  // why partial, for status and logs
};

// How exact a reported count is. YouTube rounds subscriber counts to three
// significant figures; Telegram's preview page shows "33.4K".
enum class CountPrecision { kExact, kRounded, kApproximate };
std::string_view count_precision_id(CountPrecision p);  // "exact", "rounded", "approximate"

// An account counter beyond followers/following/posts (YouTube channel
// views, Facebook fan_count), with its precision.
struct AccountCounter {
  std::string name;  // "views", "fans", "likes"
  std::optional<int64_t> value;
  CountPrecision precision = CountPrecision::kExact;
};

// A profile observation.
struct AccountSnapshot {
  std::string platform_id;
  std::string handle;  // current handle on the platform
  std::string display_name;
  std::string profile_url;
  std::optional<int64_t> followers;
  CountPrecision followers_precision = CountPrecision::kExact;
  std::optional<int64_t> following;
  std::optional<int64_t> posts;
  std::vector<AccountCounter> counters;  // further counters, stored as their own series
  std::optional<TimeMs> created_at;
  bool created_at_day_precision = false;  // Mastodon rounds created_at to midnight
  std::optional<TimeMs> last_status_at;
};

// Something that happened to the account itself.
struct AccountEvent {
  std::string kind;  // "handle_changed", "moved", "history_incomplete", "resolved"
  std::string detail;
};

// Where backfill stands for an account.
enum class BackfillState {
  kPending,       // older history remains to be fetched
  kComplete,      // paged down to the account's first post
  kReachedStart,  // stopped at the configured start date
  kIncomplete,    // the platform stopped giving history early (see note)
};
std::string_view backfill_state_id(BackfillState s);
std::optional<BackfillState> parse_backfill_state(std::string_view id);

// One page worth of normalized records. The engine commits a batch together
// with the cursor that follows it in one transaction.
struct Batch {
  std::optional<AccountSnapshot> snapshot;
  std::vector<PostRecord> posts;
  std::vector<CommentRecord> comments;
  // Posts a listing that should contain them did not return (a refresh that
  // read the whole window, a batch lookup). Absence is no evidence: the store
  // only notes it (how often, since when). A connector that wants to know
  // asks the platform about that very item and reports deleted_post_ids.
  std::vector<std::string> missing_post_ids;
  // Posts the platform itself reports as gone, item by item: its own "not
  // found" for that id (HTTP 404/410 or the API's NotFound error for that
  // very post, a tombstone). Marked deleted at once, still revocable: a post
  // that any later listing shows again is restored.
  std::vector<std::string> deleted_post_ids;
  // Comments a complete reading of an item's comments did not return
  // (confirmed twice, like posts).
  std::vector<std::string> missing_comment_ids;
  // Items whose comments this page finished reading (comment coverage).
  std::vector<CommentSweep> comment_sweeps;
  std::vector<AccountEvent> events;
  std::vector<SkippedItem> skipped;  // reported, never stored
  bool empty() const {
    return !snapshot && posts.empty() && comments.empty() && deleted_post_ids.empty() &&
           missing_post_ids.empty() && missing_comment_ids.empty() && comment_sweeps.empty() &&
           events.empty();
  }
};

// A batch plus what follows it: the cursor to save, a newly resolved platform
// id, and where backfill stands. The engine commits a Page atomically.
struct Page {
  // In a batch session (several accounts in one unit of work): the account
  // the page belongs to; 0 means the session's own account.
  int64_t account_id = 0;
  Batch batch;
  std::optional<std::string> cursor;
  std::optional<std::string> platform_id;
  std::optional<BackfillState> backfill_state;
  std::optional<std::string> history_note;
  // With backfill_state kComplete: how many own posts (not reposts) the
  // platform says the account has. If fewer are stored, the store records the
  // history as kIncomplete instead (feeds that end early).
  std::optional<int64_t> expected_own_posts;
  bool empty() const {
    return batch.empty() && !cursor && !platform_id && !backfill_state && !history_note;
  }
};

}  // namespace muni
