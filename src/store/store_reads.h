// Read queries of the store for metrics, series and the CLI, as a contract:
// callers get plain rows, never SQL or a database handle. Together with
// store_export.h these are every read the product makes (Store::db() is for
// tests). Errors come back as values (kStorage), so a damaged store gives a
// message, not an exception.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/model.h"
#include "core/result.h"
#include "core/time_util.h"

namespace muni {

class Store;

// --- what metrics read of one account ------------------------------------
struct ActivityPost {
  TimeMs created_at = 0;
  PostKind kind = PostKind::kOriginal;
  bool parent_is_other = false;  // the parent's (repost's original's) author is another account
  std::optional<TimeMs> parent_created_at;
  int mentions = 0;
  std::optional<int64_t> likes, replies, reposts;
};

struct ActivityComment {
  std::string id;
  bool by_account = false;
  std::string reply_to;
  TimeMs created_at = 0;
};

// When an item's comments were last read (table posts, comment coverage).
struct ItemCommentSweep {
  TimeMs created_at = 0;
  std::optional<TimeMs> swept_at;  // never read: nullopt
  bool complete = false;           // read completely, or comments disabled
};

struct FollowerSample {
  TimeMs at = 0;
  int64_t followers = 0;
};

struct AccountActivity {
  std::vector<ActivityPost> posts;                    // [from, to), ascending created_at
  std::optional<TimeMs> first_own_post;               // earliest own post ever stored
  std::optional<TimeMs> last_own_post_before_window;  // latest own post before `from`
  std::vector<FollowerSample> followers;              // every sample, ascending
  std::vector<std::pair<TimeMs, TimeMs>> spans;       // coverage spans, ascending
  std::vector<ActivityComment> comments;              // [from, to), when asked for
  // Comment coverage, when asked for: every own item (not deleted) created
  // before `to`, ascending created_at, with when its comments were last read
  // and whether that reading was complete (or comments are disabled).
  // Without it, "no comments" could mean "never read", not "none".
  std::vector<ItemCommentSweep> comment_sweeps;
};

// Reads AccountActivity for many accounts with statements prepared once (a
// national metrics run reads thousands of accounts).
class ActivityReader {
 public:
  explicit ActivityReader(Store& store);
  ~ActivityReader();
  ActivityReader(const ActivityReader&) = delete;
  ActivityReader& operator=(const ActivityReader&) = delete;

  // `platform_id` tells the account's own posts' parents from others'.
  Result<AccountActivity> read(int64_t account_id, const std::string& platform_id, TimeMs from,
                               TimeMs to, bool with_comments);

 private:
  struct Statements;
  std::unique_ptr<Statements> st_;
  std::string error_;  // why the statements could not be prepared
};

// --- series and CLI ------------------------------------------------------
// Earliest post or account sample of the account (series' default start).
Result<std::optional<TimeMs>> first_observation(Store& store, int64_t account_id);

struct CountsSample {
  std::optional<int64_t> followers, following, posts;
};
// The latest account sample observed before `before`, if any.
Result<std::optional<CountsSample>> counts_before(Store& store, int64_t account_id, TimeMs before);
// Account samples observed in [from, to).
Result<int64_t> count_account_samples(Store& store, int64_t account_id, TimeMs from, TimeMs to);
// Posts created in [from, to) by kind id ("original", "repost", ...).
Result<std::map<std::string, int64_t>> post_kind_counts(Store& store, int64_t account_id,
                                                        TimeMs from, TimeMs to);

// Engagement of own posts (reposts excluded) created in [from, to). A sum is
// nullopt when no post had that count; `*_known` counts posts that had it.
struct EngagementTotals {
  int64_t own_posts = 0;
  std::optional<int64_t> likes, replies, reposts;
  int64_t likes_known = 0, replies_known = 0, reposts_known = 0;
};
Result<EngagementTotals> engagement_totals(Store& store, int64_t account_id, TimeMs from,
                                           TimeMs to);

// The follower count of the account's latest sample that has one.
Result<std::optional<int64_t>> latest_followers(Store& store, int64_t account_id);

struct AccountEventRow {
  TimeMs observed_at = 0;
  std::string kind;  // "renamed", "moved", "platform_id_changed", ...
  std::string detail;
};
// Identity events of the account, oldest first.
Result<std::vector<AccountEventRow>> account_events(Store& store, int64_t account_id);

// Row counts of the main tables, in a fixed order (`store info`).
Result<std::vector<std::pair<std::string, int64_t>>> table_row_counts(Store& store);

}  // namespace muni
