// The time-series store: one SQLite database (WAL mode), schema versioned by
// migrations in PRAGMA user_version. The only code in muniscope that writes
// SQL. docs/store.md documents the schema for people who read the database
// directly from R, Python or DuckDB.
//
// Crash safety: commit_page() writes a page's records and the cursor that
// follows them in one transaction, so after a crash at any instant the saved
// cursor always matches the stored posts; posts are unique per
// (account, platform post id), so a page fetched twice is upserted, never
// duplicated. synchronous=NORMAL in WAL mode survives any process crash
// (kill -9); a power loss may lose the last commits, never consistency.
//
// Thread safety: a Store is one connection; use it from one thread. Open
// another Store (read-only) for concurrent readers such as the CLI.
#pragma once

#include <SQLiteCpp/Database.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "config/config.h"
#include "core/account_state.h"
#include "core/model.h"
#include "core/result.h"
#include "core/time_util.h"

namespace muni {

// The latest schema version; docs/store.md describes this version.
constexpr int kSchemaVersion = 4;

enum class OpenMode {
  kReadWrite,  // creates the file and runs migrations as needed
  kReadOnly,   // requires an existing store at a version this build understands
};

// An account as the engine and CLI see it: configuration plus saved state.
struct StoredAccount {
  int64_t id = 0;
  std::string municipality_id;
  std::string platform;
  std::string category;
  std::string handle;  // canonical configured handle
  std::string account_key;
  std::string role;
  std::string source;
  std::optional<DurationMs> interval_ms;
  std::optional<CivilDate> backfill_since;
  bool follow_moves = true;
  bool active = true;
  // Resolved identity and profile.
  std::string platform_id;
  std::string current_handle;
  std::string display_name;
  std::string profile_url;
  std::optional<TimeMs> created_at;
  bool created_at_day_precision = false;
  std::optional<TimeMs> last_status_at;
  // Polling state.
  std::string cursor;
  BackfillState backfill_state = BackfillState::kPending;
  std::string history_note;
  AccountRuntime runtime;
  int64_t own_posts_stored = 0;  // filled by load_accounts
  // The profile's count of posts at its latest sample (statuses_count,
  // postsCount, videoCount; nullopt when it gives none), filled by
  // load_accounts with the post counts: the engine ranks backfill by it.
  std::optional<int64_t> profile_posts;
  std::string_view state_id() const { return account_state_id(runtime.state); }
  // Set when this account turned out to be the same platform account as
  // another one configured under a different spelling: it is not polled and
  // counts once, as the other.
  std::optional<int64_t> duplicate_of;
};

// How often a comment must be missing from a complete reading of its item's
// comments, in separate units of work, before it is marked deleted
// (Batch::missing_comment_ids). Posts are never deleted for being missing:
// only per-item evidence deletes them (Batch::deleted_post_ids).
constexpr int kDeletionConfirmations = 2;

struct PageCounts {
  int posts_new = 0;
  int posts_updated = 0;
  int posts_deleted = 0;  // deletions confirmed by this page
  int comments = 0;       // comments stored or updated
  int comment_sweeps = 0;  // items whose comment coverage this page recorded
  int engagement_samples = 0;
  int account_samples = 0;
};

struct PollLogEntry {
  int64_t account_id = 0;
  std::string work;  // poll, backfill, refresh
  TimeMs started_at = 0;
  TimeMs ended_at = 0;
  std::string outcome;  // ok, not_modified, transport_error, server_error, not_found, ...
  int http_status = 0;
  std::string error;
  int posts_new = 0;
  int posts_updated = 0;
  int requests = 0;
  int items_skipped = 0;  // items of the responses that could not be stored
  std::string notes;      // what the page guard corrected or skipped, for people
};

struct HostStatusRow {
  std::string host;
  std::string platform;
  int limit = 0;       // requests per window in force (0 unknown)
  int remaining = -1;  // -1 unknown
  DurationMs window_ms = 0;
  std::optional<TimeMs> reset_at;
  std::optional<TimeMs> wait_until;  // requests held back until then
  std::string budget_source;         // "config", "headers", "default"
  int in_flight = 0;
  int queued = 0;
  int64_t requests_total = 0;
  int64_t rate_limited_total = 0;
  TimeMs updated_at = 0;
};

struct SyncSummary {
  int municipalities = 0;
  int municipalities_deactivated = 0;
  int accounts_added = 0;
  int accounts_updated = 0;
  int accounts_deactivated = 0;
};

struct MunicipalityRow {
  std::string id, name, ags, kind, state;
  std::optional<int64_t> population;
  std::vector<std::string> labels;
  bool active = true;
  int accounts = 0;
};

struct RetentionSummary {
  int64_t engagement_samples_deleted = 0;
  int64_t account_samples_deleted = 0;
  int64_t poll_log_deleted = 0;
  int64_t bytes_before = 0;
  int64_t bytes_after = 0;
};

// One retention pass, applied in bounded steps (Store::retention_step) so that
// a caller with an event loop keeps serving HTTP between them: a single
// statement over a national store held the daemon's loop for 23 s.
// Sample series are thinned in ranges of series ids; each range is one
// transaction, and the window rules partition by series, so a pass in many
// steps deletes exactly what one statement would.
class RetentionPass {
 public:
  RetentionPass(const RetentionSettings& settings, TimeMs now) : settings_(settings), now_(now) {}
  bool done() const { return phase_ == Phase::kDone; }
  const RetentionSummary& summary() const { return summary_; }
  // How far the pass is, 0..100 (four phases of equal weight), and the
  // phase's name, for progress lines.
  int percent_done() const;
  const char* phase_name() const;

 private:
  friend class Store;
  enum class Phase { kStart, kPostSamples, kAccountSamples, kPollLog, kVacuum, kDone };
  RetentionSettings settings_;
  TimeMs now_;
  Phase phase_ = Phase::kStart;
  int64_t next_id_ = 0;  // first series id (or poll_log id) of the next step
  int64_t last_id_ = 0;  // highest id present when the phase began
  RetentionSummary summary_;
};

// Samples per retention step in the daemon. bench/bench_metrics.cpp measures
// the longest step on a national store (docs/performance.md).
constexpr int64_t kRetentionSamplesPerStep = 50'000;

// A quota budget as saved (engine/budget.h) and shown by `status`.
struct BudgetRow {
  std::string scope;  // "youtube#default"
  std::string platform;
  std::string policy;  // daily, monthly, rolling_24h
  int64_t units = 0;
  int64_t spent = 0;
  std::optional<TimeMs> period_start;
  std::optional<TimeMs> blocked_until;
  std::optional<TimeMs> next_reset;
  std::string log;
  TimeMs updated_at = 0;
};

struct HttpCacheEntry {
  std::string etag;
  std::string last_modified;
};

class Store {
 public:
  static Result<std::unique_ptr<Store>> open(const std::string& path, OpenMode mode);
  ~Store();
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  const std::string& path() const { return path_; }
  int schema_version() const;

  // Upserts municipalities and accounts from the config. Accounts or
  // municipalities no longer configured are marked inactive and keep their
  // history.
  Result<SyncSummary> sync_config(const Config& config, TimeMs now);

  // --- engine -----------------------------------------------------------
  // with_post_counts fills own_posts_stored (one index range count per
  // account: cheap for a daemon's accounts, skipped by bulk readers).
  Result<std::vector<StoredAccount>> load_accounts(bool active_only, bool with_post_counts = true);
  Result<PageCounts> commit_page(int64_t account_id, const Page& page, TimeMs now);
  Status save_account_runtime(int64_t account_id, const AccountRuntime& rt, TimeMs now);
  // Records that `account_id` is the same platform account as `primary_id`
  // (nullopt: it is not, or no longer, a duplicate).
  Status set_duplicate_of(int64_t account_id, std::optional<int64_t> primary_id);
  Status log_poll(const PollLogEntry& entry);
  // A successful poll at `at`: extends the account's latest observation span
  // when it ended no more than `max_gap` before, else opens a new span.
  Status extend_coverage(int64_t account_id, TimeMs at, DurationMs max_gap);
  // Own posts (not reposts) created at or after `since`, newest first;
  // posts marked deleted are included, so a deletion can be revoked.
  Result<std::vector<std::string>> recent_post_ids(int64_t account_id, TimeMs since, size_t limit);
  // Comment backfill: own items (not reposts, not deleted) created at or
  // after `since` whose comments were never read, newest first, then those
  // last read before `swept_before`, longest unread first; at most `limit`.
  Result<std::vector<std::string>> comment_sweep_due(int64_t account_id, TimeMs since,
                                                     TimeMs swept_before, size_t limit);
  // How far comment coverage is for an account's items created at or after
  // `since` (status: "comments read for 120 of 200 items").
  struct CommentProgress {
    int64_t items = 0;       // own items, not deleted
    int64_t swept = 0;       // whose comments were read at least once
    int64_t due = 0;         // never read, or last read before `swept_before`
  };
  Result<CommentProgress> comment_progress(int64_t account_id, TimeMs since, TimeMs swept_before);
  Status save_hosts(const std::vector<HostStatusRow>& hosts);
  Status save_budgets(const std::vector<BudgetRow>& budgets);
  Result<std::vector<BudgetRow>> load_budgets();
  Result<std::optional<HttpCacheEntry>> http_cache_get(const std::string& url);
  Status http_cache_put(const std::string& url, const HttpCacheEntry& entry, TimeMs now);
  Status set_meta(const std::string& key, const std::string& value);
  Result<std::optional<std::string>> get_meta(const std::string& key);

  // --- queries ----------------------------------------------------------
  Result<std::vector<MunicipalityRow>> list_municipalities();
  Result<std::vector<HostStatusRow>> load_hosts();
  // Finds an account by numeric id, account key (platform:handle) or handle.
  Result<StoredAccount> find_account(const std::string& ref);

  // --- maintenance ------------------------------------------------------
  // Downsamples engagement and account samples by age (see RetentionSettings);
  // the first and the last sample of every series are always kept. Deletes
  // poll_log rows older than poll_log_keep and returns free pages to the file
  // system. Runs a whole RetentionPass at once (store compact, tests).
  Result<RetentionSummary> apply_retention(const RetentionSettings& settings, TimeMs now);
  // Advances `pass` by one bounded step: the post or account series holding
  // about `samples_per_step` samples (whole series: one longer series is one
  // step), or as many poll_log rows, or a sixteenth as many free pages. Each
  // step commits on its own; a failed step leaves the pass where it was.
  Status retention_step(RetentionPass& pass, int64_t samples_per_step);
  // Online copy through SQLite's backup API; safe while the daemon writes.
  Status backup_to(const std::string& destination);
  // Returns free pages to the file system (auto_vacuum=INCREMENTAL).
  Status incremental_vacuum();
  int64_t file_size_bytes() const;

  // The database handle, for the store's own read modules (store_reads.h,
  // store_export.h) and for tests. Everything else reads through those
  // functions, so SQL stays in src/store and errors come back as values.
  SQLite::Database& db() { return *db_; }

 private:
  Store(std::string path, std::unique_ptr<SQLite::Database> db);
  Status migrate();
  struct Statements;
  friend class PageWriter;

  std::string path_;
  std::unique_ptr<SQLite::Database> db_;
  std::unique_ptr<Statements> stmts_;  // prepared lazily for the write path
};

// Standard location of a store file given a config (and an explicit --db).
std::string store_path_for(const Config* config, const std::string& override_path);

}  // namespace muni
