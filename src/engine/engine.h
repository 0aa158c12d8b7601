// The polling engine: one event loop that schedules work for every account,
// drives the connectors' state machines, sends their requests through one
// HttpTransport under per-host concurrency caps, rate limits and quota
// budgets, commits every page with its cursor in one transaction, and keeps
// each account's state in the store.
//
// Scheduling, in short:
//   - each account is polled every `interval`, at a fixed offset within the
//     interval derived from a hash of its key, so load spreads evenly and a
//     restart keeps the rhythm;
//   - work kinds run in priority order: fresh polls, count refreshes,
//     comment sweeps, then backfill pages, and backfill only while a reserve
//     of the host's budget remains, so history never starves fresh polls;
//     refresh and comment intervals come from the platform's descriptor
//     (core/platform.h) unless the configuration sets them;
//   - within a kind, work starts in the order it came due, except backfill:
//     the longest history first (engine/work_queue.h), since the longest
//     page chain bounds how long the whole backfill takes;
//   - where a platform's API takes many ids at once, one unit of work serves
//     several accounts of a host (WorkSpec::batch);
//   - an account has at most one unit of work running; a poll that comes due
//     while the previous one still runs is skipped and counted;
//   - transport errors and 5xx back off per account (full jitter), a 429 (or
//     503 with Retry-After) holds the whole host, a spent quota budget holds
//     every account of its credential until the budget resets, a rejected
//     credential fails its slot without touching other platforms.
//
// Time: every timer (due times, backoff, host holds, rate-limit windows,
// poll --once deadlines) runs on the clock's monotonic time, so a wall clock
// stepped by NTP or by hand neither stalls polling nor fires it all at once.
// The engine expresses that time on a timeline that equals the wall clock
// at construction ("timer time"); what is stored (poll log, observations,
// coverage, next-due times for `status`) is wall time, converted at the
// boundary. Quota budgets reset at wall-clock instants (midnight Pacific)
// and are kept in wall time.
//
// Threading: single-threaded. step() is the loop body; the caller (daemon or
// `poll --once`) owns the loop, signals and timers. Time and randomness come
// from the injected Clock and Random, IO from the injected HttpTransport.
//
// The engine's files, one seam each (every header says what its file owns
// and holds the pure functions at its core, tested without an engine in
// tests/unit/engine_parts_test.cpp):
//   engine.h / engine.cpp        this interface, the loop (step) and shared lookups
//   engine_state.h               the runtime records: AccountRt, HostRt, Session
//   outcome.h                    Outcome (what the poll log stores) and Finish
//   engine_config.h / .cpp       configuration reconciliation: load, budgets, duplicates
//   engine_schedule.h / .cpp     when work comes due, and queueing it
//   engine_once.h / .cpp         poll --once's progression
//   engine_dispatch.h / .cpp     admission and dispatch: what starts, sending requests
//   engine_response.h / .cpp     response handling: redirects, 429s, throttles, answers
//   engine_ingest.h / .cpp       page ingest: the page guard, duplicates, committing pages
//   engine_finish.h / .cpp       account outcomes: finish, state transitions, persisting
//   engine_status.h / .cpp       status reporting: summary, hosts, budgets
#pragma once

#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <queue>
#include <string>
#include <unordered_map>
#include <vector>

#include "config/config.h"
#include "core/clock.h"
#include "engine/backoff.h"
#include "engine/budget.h"
#include "engine/connector.h"
#include "engine/credentials.h"
#include "engine/outcome.h"
#include "engine/rate_limit.h"
#include "engine/transport.h"
#include "store/store.h"

namespace muni {

struct EngineOptions {
  DurationMs refresh_interval_ms = 6 * kHourMs;
  DurationMs comments_interval_ms = 24 * kHourMs;
  DurationMs refresh_window_ms = 14 * kDayMs;
  DurationMs recheck_interval_ms = 24 * kHourMs;
  int not_found_confirmations = 2;
  BackoffPolicy backoff;
  double backfill_reserve = 0.2;   // backfill only while this share of a host's budget remains
  int max_rate_limit_retries = 5;  // 429 answers tolerated within one unit of work
  // The per-unit guard: no unit of work (a poll, a comment sweep, a refresh,
  // a backfill step) sends more requests than this, or spends more than this
  // share of its credential's quota budget, whatever the server's paging
  // says. A server whose page tokens never end cannot spend a day's quota.
  int max_requests_per_unit = 1000;
  double max_quota_share_per_unit = 0.1;
  size_t refresh_max_posts = 400;
  // poll --once: attempts per unit of work before giving up.
  int once_max_attempts = 3;
  BackoffPolicy once_backoff{kSecondMs, 10 * kSecondMs, 500};

  static EngineOptions from_config(const Config& config);
};

// Counters for logs, sd_notify STATUS and the Prometheus endpoint.
struct EngineCounters {
  std::map<std::pair<std::string, std::string>, int64_t> polls;  // (platform, outcome) -> count
  std::map<std::pair<std::string, std::string>, int64_t>
      http;  // (platform, "2xx".."5xx"/"transport") -> count
  int64_t requests = 0;
  int64_t rate_limit_waits = 0;  // 429 answers plus requests held back by a budget
  int64_t quota_waits = 0;       // units of work held back by a spent quota budget
  int64_t posts_new = 0;
  int64_t posts_updated = 0;
  int64_t posts_deleted = 0;
  int64_t items_skipped = 0;  // response items that could not be stored
  int64_t redirects_refused = 0;
  int64_t units_stopped = 0;  // units of work stopped by the per-unit guard
  int64_t skipped_polls = 0;
  // Platform -> when a unit of work last succeeded there (staleness).
  std::map<std::string, TimeMs> last_success;
};

struct EngineSummary {
  std::map<std::string, int> accounts_by_state;
  int ok = 0;
  int backing_off = 0;
  int failing = 0;
  int unsupported = 0;  // configured on a platform without connector
  int in_flight = 0;
  int sessions = 0;
};

class Engine {
 public:
  Engine(const Clock& clock, Random& random, HttpTransport& transport, Store& store,
         const ConnectorRegistry& registry, EngineOptions options);
  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  // (Re)loads accounts from the store and platform settings from `config`.
  // Accounts that stay keep their runtime state; removed accounts are
  // dropped once their running work finishes.
  Status load(const Config& config);

  // `poll --once` mode: only the given accounts get work; each gets one poll
  // (even when not due if `all_now`), then backfill to completion, then one
  // refresh and one comment sweep where the platform has them.
  // once_finished() turns true when all of it is done.
  void start_once(const std::vector<int64_t>& account_ids, bool all_now);
  bool once_finished() const;
  // poll --once progress: accounts selected, accounts done, and what the
  // run waits for now ("rate-limited by bsky.app until 14:48:00"), if
  // anything.
  struct OnceProgress {
    size_t total = 0;
    size_t done = 0;
    std::string waiting;
  };
  OnceProgress once_progress_view() const;

  // One turn of the loop: queue due work, start what caps and budgets allow,
  // wait at most max_wait_ms for IO, handle what completed.
  void step(int max_wait_ms);

  // Graceful stop: no new work or requests from now on. idle() turns true
  // when every running unit of work has finished.
  void stop_new_work() { stopping_ = true; }
  // Asked between the chunks of a long page (kCommitChunkPosts): true when
  // the owner has a stop request waiting (a SIGTERM not yet read), so that
  // storing a 100,000-entry feed never delays a stop by seconds.
  void set_stop_check(std::function<bool()> check) { stop_check_ = std::move(check); }
  // Posts per transaction when a page is stored in chunks.
  static constexpr size_t kCommitChunkPosts = 2000;
  // An answer longer than this that arrives once a stop is requested is not
  // read at all (read again next time): its parse alone could outlast the stop.
  static constexpr size_t kStopAbandonBodyBytes = 1 << 20;
  bool idle() const { return sessions_.empty(); }
  // Cancels transfers still in flight (logged as interrupted). Pages already
  // received were committed when they arrived.
  void abort_in_flight();

  EngineSummary summary() const;
  const EngineCounters& counters() const { return counters_; }
  std::vector<HostStatusRow> host_status() const;
  std::vector<BudgetRow> budget_status() const;
  // Writes host rate limits and quota budgets to the store (for `status`,
  // and so that budgets survive a restart).
  void save_host_status();

 private:
  struct AccountRt;
  struct HostRt;
  struct Session;
  struct DueEntry {
    TimeMs at;
    int64_t account_id;
    WorkKind work;
    uint64_t generation;
    bool operator>(const DueEntry& o) const { return at > o.at; }
  };

  // Timer time (monotonic) and conversions at the wall-clock boundary.
  TimeMs timer_now() const { return clock_.monotonic() + timer_offset_; }
  TimeMs wall_of(TimeMs timer) const { return timer + (clock_.now() - timer_now()); }
  TimeMs timer_of(TimeMs wall) const { return wall - (clock_.now() - timer_now()); }
  // "14:48:00" of a timer time, for messages.
  std::string clock_time_of(TimeMs timer) const;

  // The private members, by the file that defines them. Each file's header
  // (engine_*.h) says what it owns and holds its pure core.

  // engine.cpp: the loop and the lookups every part uses.
  AccountRt* account(int64_t id);
  HostRt& host_for(AccountRt& a);
  bool pollable(const AccountRt& a) const;
  AccountView view_of(const AccountRt& a) const;
  QuotaBudget* quota_of(const AccountRt& a);
  TimeMs next_wakeup(TimeMs now) const;

  // engine_config.cpp: configuration reconciliation (load() above), in the
  // order load() takes its steps.
  //   Keeps the runtime record of an account this engine already had (a
  //   reload: its saved state is at least as recent as the store's), or
  //   makes one from the store's.
  std::unique_ptr<AccountRt> adopt_account(
      StoredAccount stored, std::unordered_map<int64_t, std::unique_ptr<AccountRt>>& owned);
  //   Connector, platform, settings, credential slot, interval, phase and
  //   history horizon from the configuration.
  void configure_account(AccountRt& a, const Config& config,
                         const std::map<std::string, std::string>& slots);
  //   Host key and quota scope: per host, and per credential where the
  //   account has one.
  void place_account(AccountRt& a);
  //   False when a missing or rejected credential holds the account (its
  //   state says so).
  bool credential_admits(AccountRt& a, TimeMs now);
  //   Its first timers after a start, or a changed rhythm after a reload.
  void schedule_loaded(AccountRt& a, bool fresh, bool was_blocked, DurationMs old_interval,
                       TimeMs now);
  void load_budgets(TimeMs now);
  // Duplicates: one platform account configured under two spellings (a
  // Bluesky handle and its DID) is polled and counted once.
  std::string identity_of(const AccountRt& a, const std::string& platform_id) const;
  void resolve_duplicates(TimeMs now);
  void mark_duplicate(AccountRt& a, const AccountRt& primary, TimeMs now);

  // engine_schedule.cpp: when work comes due and how it is queued.
  DurationMs work_interval(const AccountRt& a, WorkKind work) const;
  TimeMs slot_after(const AccountRt& a, TimeMs t) const;
  // Records when `work` is next due; push=false records without a timer.
  void schedule(AccountRt& a, WorkKind work, TimeMs at, bool push = true);
  void enqueue(AccountRt& a, WorkKind work);
  void poll_came_due(AccountRt& a, TimeMs now);
  void queue_due(TimeMs now);

  // engine_once.cpp: poll --once's progression (start_once() above).
  void once_progress(AccountRt& a, WorkKind work, const Finish& f, bool success, TimeMs now);

  // engine_dispatch.cpp: admission and dispatch.
  void dispatch(HostRt& host, TimeMs now);
  // False when the account's quota or credential keeps it from starting now.
  bool may_start(AccountRt& a, TimeMs now);
  // False when comment work's share of the account's quota is spent: that
  // kind is scheduled for the share's reset.
  bool comment_share_left(AccountRt& a, WorkKind work, TimeMs now);
  // How long an item's comments stay read before comment backfill reads
  // them again (platforms.<id>.comment_resweep_interval, defaults).
  DurationMs comment_resweep_interval(const AccountRt& a) const;
  void start_session(const std::vector<AccountRt*>& batch, WorkKind work, TimeMs now);
  void send_ready(HostRt& host, Session& s, TimeMs now);
  // The per-unit guard (EngineOptions::max_requests_per_unit): why the
  // unit must stop instead of sending `next`, or nullopt. Counts `next`.
  std::optional<std::string> unit_guard(Session& s, const HttpRequest& next);

  // engine_response.cpp: response handling.
  void on_completion(uint64_t tag, HttpResponse response);
  // The three long answers of on_completion: a redirect, a 429 (or 503 with
  // Retry-After), and an answer for the connector.
  void follow_redirect(Session& s, HostRt& host, const HttpResponse& response,
                       const std::string& url, TimeMs now);
  void hold_host(Session& s, HostRt& host, const HttpResponse& response, const std::string& url,
                 TimeMs now);
  void read_answer(Session& s, const HttpResponse& response, TimeMs now);
  // What a step asks for after its pages are stored: failure, throttle,
  // next request, done.
  void handle_step_rest(Session& s, StepResult step, bool not_modified, TimeMs now);
  void apply_throttle(Session& s, const Throttle& t, int http_status, TimeMs now);
  void note_rate_limited(HostRt& host, TimeMs until, const std::string& why, TimeMs now);
  // Logs, once per figure, that a host's rate-limit header was absurd and
  // what was done instead (engine/rate_limit.h caps every server wait).
  void log_absurd_rate_figure(HostRt& host);

  // engine_ingest.cpp: page ingest.
  // What became of a step's pages (handle_step's answer): the caller keeps
  // an answer's validators only when no page failed to store.
  enum class Ingest {
    kStored,       // every page stored, or none came (and the step went on)
    kDuplicate,    // the account is a duplicate: nothing of it stored
    kInterrupted,  // a stop came between a long page's chunks: the rest is read again
    kStoreFailed,  // the store refused a page: the session ended as storage_error
  };
  // One step's pages (checked, then committed), then the rest of the step;
  // `not_modified` when the step read a 304 as "nothing new".
  Ingest handle_step(Session& s, StepResult step, TimeMs now, bool not_modified = false);
  Ingest commit_page_of(Session& s, Page& page, TimeMs now);
  bool admit_page(Session& s, Page& page, AccountRt& a, TimeMs now);
  // Commits one page (or chunk) and adds its counts; false (and the session
  // finished) when the store failed.
  bool commit_counted(Session& s, AccountRt& a, const Page& page, TimeMs now);

  // engine_finish.cpp: account outcomes.
  void finish(Session& s, const Finish& f, TimeMs now);
  void apply_outcome(AccountRt& a, WorkKind work, const Finish& f, TimeMs now);
  void persist_runtime(AccountRt& a, TimeMs now);
  void set_state(AccountRt& a, AccountState state, std::string reason, TimeMs now);

  const Clock& clock_;
  const TimeMs timer_offset_;  // wall minus monotonic when the engine was made
  Random& random_;
  HttpTransport& transport_;
  Store& store_;
  const ConnectorRegistry& registry_;
  EngineOptions options_;
  Config config_;

  std::vector<std::unique_ptr<AccountRt>> accounts_;
  std::unordered_map<int64_t, AccountRt*> by_id_;
  std::map<std::string, std::unique_ptr<HostRt>> hosts_;
  std::unordered_map<uint64_t, std::unique_ptr<Session>> sessions_;
  std::unordered_map<uint64_t, uint64_t> transfer_to_session_;
  std::priority_queue<DueEntry, std::vector<DueEntry>, std::greater<>> due_;
  CredentialVault vault_;
  std::map<std::string, std::unique_ptr<QuotaBudget>> budgets_;  // scope -> budget
  std::unordered_map<std::string, int64_t> identities_;          // identity_of -> account id
  uint64_t next_session_id_ = 1;
  uint64_t next_transfer_id_ = 1;
  bool stopping_ = false;
  std::function<bool()> stop_check_;
  bool stop_requested() const { return stopping_ || (stop_check_ && stop_check_()); }
  bool once_mode_ = false;
  size_t once_pending_ = 0;
  size_t once_total_ = 0;
  std::string last_wait_;  // the latest rate-limit hold, for progress lines
  TimeMs last_wait_until_ = 0;
  EngineCounters counters_;
};

}  // namespace muni
