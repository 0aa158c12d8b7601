#include "engine/engine.h"

#include <unordered_set>

#include <spdlog/spdlog.h>

#include <algorithm>

#include "core/platform.h"
#include "core/strings.h"
#include "core/text_safety.h"
#include "engine/net_policy.h"
#include "engine/page_guard.h"
#include "engine/work_queue.h"

namespace muni {

namespace {

int idx(WorkKind w) { return static_cast<int>(w); }
WorkKind work_of(int i) { return static_cast<WorkKind>(i); }

std::string http_class(int status) {
  if (status == 0) return "transport";
  return std::to_string(status / 100) + "xx";
}

std::shared_ptr<spdlog::logger> log() {
  auto l = spdlog::get("engine");
  return l ? l : spdlog::default_logger();
}

// Consecutive backfill units that bring nothing new before the engine
// concludes that the server's paging goes in circles (a server that ignores
// max_id, a cursor that cycles). Short or empty pages with a cursor are
// normal now and then (atproto#2127); this many in a row are not.
constexpr int kMaxIdleBackfills = 5;

std::string clock_time(TimeMs t) { return format_iso8601(t - t % 1000); }

AccountState state_for(FailureKind f) {
  switch (f) {
    case FailureKind::kNone:
      return AccountState::kOk;
    case FailureKind::kNotFound:
      return AccountState::kNotFound;
    case FailureKind::kGone:
      return AccountState::kGone;
    case FailureKind::kSuspended:
      return AccountState::kSuspended;
    case FailureKind::kAuthRequired:
      return AccountState::kAuthRequired;
    case FailureKind::kAuthFailed:
      return AccountState::kAuthFailed;
    case FailureKind::kBlocked:
      return AccountState::kBlocked;
    case FailureKind::kMalformed:
      return AccountState::kDegraded;
    case FailureKind::kServerError:
      return AccountState::kBackingOff;
    case FailureKind::kInvalidHandle:
      return AccountState::kInvalidHandle;
    case FailureKind::kRefused:
      return AccountState::kRefused;
    case FailureKind::kDuplicate:
      return AccountState::kDuplicate;
    case FailureKind::kNoProgress:
      return AccountState::kOk;
  }
  return AccountState::kDegraded;
}

}  // namespace

EngineOptions EngineOptions::from_config(const Config& config) {
  EngineOptions o;
  const Defaults& d = config.defaults;
  o.refresh_interval_ms = d.refresh_interval_ms;
  o.refresh_window_ms = d.refresh_window_ms;
  o.recheck_interval_ms = d.recheck_interval_ms;
  o.not_found_confirmations = d.not_found_confirmations;
  o.backoff.cap_ms = d.max_backoff_ms;
  return o;
}

struct Engine::AccountRt {
  StoredAccount stored;  // configuration, saved position and the runtime state
  const Connector* connector = nullptr;
  const PlatformDescriptor* platform = nullptr;
  std::string host_key;
  std::string credential_slot;  // "" = the platform's default slot
  std::string quota_scope;      // "" = no quota budget applies
  DurationMs interval = kHourMs;
  TimeMs phase = 0;
  std::optional<std::string> base_url;
  std::map<std::string, std::string> settings;
  std::optional<TimeMs> backfill_since;
  bool busy = false;
  WorkKind busy_work = WorkKind::kPoll;
  bool queued[kWorkKinds] = {};
  bool pending[kWorkKinds] = {};
  uint64_t generation[kWorkKinds] = {};
  TimeMs next_at[kWorkKinds] = {};  // 0: not scheduled
  bool polled = false;              // a poll succeeded since load: backfill may start
  TimeMs retry_at = 0;     // rt().backoff_until in timer time: when a failed unit is retried
  int idle_backfills = 0;  // consecutive backfill units without a new post
  int64_t idle_skipped_items = 0;  // items those units could not store
  // Backfill pages and posts since the last summary line: the journal gets
  // one line per account's backfill, not one per page.
  int64_t backfill_pages = 0;
  int64_t backfill_posts = 0;
  // The last backfill unit had nothing to ask (no position to page back
  // from yet): no further backfill until a poll succeeds.
  bool backfill_idle = false;
  // poll --once progress
  bool once = false;
  bool once_done = false;
  int once_attempts = 0;

  std::string label() const { return stored.municipality_id + "/" + stored.account_key; }
  AccountRuntime& rt() { return stored.runtime; }
};

struct Engine::HostRt {
  std::string key;
  std::string platform;
  int cap = 4;
  RateLimiter limiter{RateBudgetDefaults{}};
  int active = 0;
  int in_flight = 0;
  // Polls, refreshes, comments first in first out; backfill longest first
  // (engine/work_queue.h).
  WorkQueue queue[kWorkKinds];
  std::deque<uint64_t> waiting;  // sessions whose next request waits for the budget
  TimeMs wake_at = 0;
  int64_t requests_total = 0;
  int64_t rate_limited_total = 0;
};

struct Engine::Session {
  uint64_t id = 0;
  std::vector<int64_t> accounts;  // the first is the session's own; more in a batch
  std::string platform;
  std::string label;
  WorkKind work = WorkKind::kPoll;
  std::string host_key;
  std::string credential_slot;
  std::string quota_scope;
  std::unique_ptr<ConnectorSession> impl;
  TimeMs started_at = 0;
  std::optional<HttpRequest> request;
  uint64_t transfer = 0;  // 0 when nothing is in flight
  int requests = 0;
  int posts_new = 0;
  int posts_updated = 0;
  int posts_deleted = 0;
  int items_skipped = 0;
  int redirects = 0;
  int http_status = 0;
  int rate_limited = 0;
  TimeMs sent_at = 0;  // when the request in flight was sent
  bool sent_validators = false;  // the request in flight carried If-None-Match/-Modified-Since
  // The per-unit guard: what this unit has asked for so far.
  std::unordered_set<uint64_t> request_keys;  // hashes of method and URL
  int64_t units_asked = 0;
  std::string notes;   // what the page guard corrected, for the poll log
  // Per-account outcomes a batch session reported (account id -> failure).
  std::map<int64_t, std::pair<FailureKind, std::string>> outcomes;
};

Engine::Engine(const Clock& clock, Random& random, HttpTransport& transport, Store& store,
               const ConnectorRegistry& registry, EngineOptions options)
    : clock_(clock),
      timer_offset_(clock.now() - clock.monotonic()),
      random_(random),
      transport_(transport),
      store_(store),
      registry_(registry),
      options_(std::move(options)) {}

Engine::~Engine() = default;

std::string Engine::clock_time_of(TimeMs timer) const { return clock_time(wall_of(timer)); }

bool Engine::pollable(const AccountRt& a) const {
  return a.connector != nullptr && !a.stored.duplicate_of;
}

Engine::AccountRt* Engine::account(int64_t id) {
  const auto it = by_id_.find(id);
  return it == by_id_.end() ? nullptr : it->second;
}

Engine::HostRt& Engine::host_for(AccountRt& a) {
  auto& slot = hosts_[a.host_key];
  if (!slot) {
    slot = std::make_unique<HostRt>();
    slot->key = a.host_key;
    slot->platform = a.stored.platform;
    const PlatformSettings* ps = config_.platform(a.stored.platform);
    RateBudgetDefaults budget{a.platform->rate_requests, a.platform->rate_window_ms};
    if (ps != nullptr && ps->rate_limit.requests > 0) {
      budget = RateBudgetDefaults{ps->rate_limit.requests, ps->rate_limit.window_ms};
    }
    if (ps != nullptr && ps->max_server_wait) budget.max_wait_ms = *ps->max_server_wait;
    slot->limiter = RateLimiter(budget);
    slot->cap = ps != nullptr && ps->max_connections_per_host
                    ? *ps->max_connections_per_host
                    : config_.defaults.max_connections_per_host;
  }
  return *slot;
}

DurationMs Engine::work_interval(const AccountRt& a, WorkKind work) const {
  if (a.platform == nullptr) return 0;
  const PlatformSettings* ps = config_.platform(a.stored.platform);
  if (work == WorkKind::kRefresh && ps != nullptr && ps->refresh_interval)
    return *ps->refresh_interval;
  if (work == WorkKind::kComments && ps != nullptr && ps->comments_interval)
    return *ps->comments_interval;
  const WorkSpec* spec = a.platform->work_spec(work);
  if (spec == nullptr) return 0;
  if (spec->interval_ms != kDefaultInterval) return spec->interval_ms;
  return work == WorkKind::kRefresh ? options_.refresh_interval_ms : options_.comments_interval_ms;
}

AccountView Engine::view_of(const AccountRt& a) const {
  AccountView v;
  v.account_id = a.stored.id;
  v.platform = a.stored.platform;
  v.handle = a.stored.handle;
  v.platform_id = a.stored.platform_id;
  v.cursor = a.stored.cursor;
  v.backfill_state = a.stored.backfill_state;
  v.backfill_since = a.backfill_since;
  v.follow_moves = a.stored.follow_moves;
  v.own_posts_stored = a.stored.own_posts_stored;
  v.base_url = a.base_url;
  v.settings = a.settings;
  v.has_credential = vault_.has(a.stored.platform, a.credential_slot);
  return v;
}

TimeMs Engine::slot_after(const AccountRt& a, TimeMs t) const {
  const DurationMs i = a.interval;
  const TimeMs k = (t - a.phase) >= 0 ? (t - a.phase) / i : -((a.phase - t + i - 1) / i);
  return (k + 1) * i + a.phase;
}

QuotaBudget* Engine::quota_of(const AccountRt& a) {
  if (a.quota_scope.empty()) return nullptr;
  const auto it = budgets_.find(a.quota_scope);
  return it == budgets_.end() ? nullptr : it->second.get();
}

void Engine::set_state(AccountRt& a, AccountState state, std::string reason, TimeMs now) {
  a.rt().state = state;
  a.rt().state_reason = std::move(reason);
  persist_runtime(a, now);
}

Status Engine::load(const Config& config) {
  // Per-account credential slots come from the configuration; the engine
  // keeps only defaults, platform settings and the slots, not the
  // municipality list (the bulk of a national config).
  std::map<std::string, std::string> slots;  // account key -> slot
  for (const MunicipalityConfig& m : config.municipalities) {
    for (const AccountConfig& ac : m.accounts) {
      if (!ac.credential.empty()) slots[ac.key()] = ac.credential;
    }
  }
  config_ = config;
  config_.municipalities.clear();
  config_.municipalities.shrink_to_fit();
  const TimeMs now = timer_now();
  // Credentials are read once per (re)load; a missing one is reported on the
  // accounts that need it, never logged with its value.
  vault_.load(config);
  MUNI_TRY(std::vector<StoredAccount> stored, store_.load_accounts(true));
  std::vector<std::unique_ptr<AccountRt>> old_accounts = std::move(accounts_);
  by_id_.clear();
  accounts_.clear();
  std::unordered_map<int64_t, std::unique_ptr<AccountRt>> old_owned;
  for (auto& a : old_accounts) old_owned[a->stored.id] = std::move(a);

  for (StoredAccount& s : stored) {
    std::unique_ptr<AccountRt> rt;
    if (auto it = old_owned.find(s.id); it != old_owned.end()) {
      rt = std::move(it->second);
      old_owned.erase(it);
      // Configuration fields may have changed; saved state stays as the
      // engine has it (it is at least as recent as the store's copy).
      rt->stored.role = s.role;
      rt->stored.interval_ms = s.interval_ms;
      rt->stored.backfill_since = s.backfill_since;
      rt->stored.follow_moves = s.follow_moves;
      rt->stored.municipality_id = s.municipality_id;
    } else {
      rt = std::make_unique<AccountRt>();
      rt->stored = std::move(s);
    }
    AccountRt& a = *rt;
    const bool fresh = a.next_at[idx(WorkKind::kPoll)] == 0;
    const DurationMs old_interval = a.interval;
    a.connector = registry_.find(a.stored.platform);
    a.platform = find_platform(a.stored.platform);
    const PlatformSettings* ps = config.platform(a.stored.platform);
    a.base_url = ps != nullptr ? ps->base_url : std::nullopt;
    a.settings = ps != nullptr ? ps->extra : std::map<std::string, std::string>{};
    const auto slot = slots.find(a.stored.account_key);
    a.credential_slot = slot != slots.end() ? slot->second : "";
    // The account's own interval, else the platform's configured one, else
    // the platform's default (YouTube: its quota), else the general default.
    const WorkSpec* poll_spec =
        a.platform != nullptr ? a.platform->work_spec(WorkKind::kPoll) : nullptr;
    const DurationMs platform_default = poll_spec != nullptr && poll_spec->interval_ms > 0
                                            ? poll_spec->interval_ms
                                            : config.defaults.poll_interval_ms;
    a.interval = a.stored.interval_ms.value_or(
        ps != nullptr && ps->poll_interval ? *ps->poll_interval : platform_default);
    a.phase = static_cast<TimeMs>(fnv1a64(a.stored.account_key) % static_cast<uint64_t>(a.interval));
    const std::optional<CivilDate> since =
        a.stored.backfill_since ? a.stored.backfill_since : config.defaults.backfill_since;
    a.backfill_since =
        since ? std::optional<TimeMs>(days_from_civil(*since) * kDayMs) : std::nullopt;
    by_id_[a.stored.id] = &a;
    accounts_.push_back(std::move(rt));
    if (a.connector == nullptr || a.platform == nullptr) {
      if (a.rt().state != AccountState::kUnsupported) {
        set_state(a, AccountState::kUnsupported,
                  "no " + a.stored.platform +
                      " connector in this build yet; the account counts as configured presence "
                      "only",
                  now);
      }
      continue;
    }
    const bool credentialed = a.platform->auth.kind != AuthStyle::Kind::kNone ||
                              vault_.has(a.stored.platform, a.credential_slot);
    a.host_key = a.connector->host_for(view_of(a));
    if (credentialed) {
      // Rate limits and batches are per host and credential.
      a.host_key +=
          "#" + a.stored.platform + (a.credential_slot.empty() ? "" : "/" + a.credential_slot);
    }
    a.quota_scope =
        !a.platform->budgets.empty() && vault_.has(a.stored.platform, a.credential_slot)
            ? a.stored.platform + "#" + (a.credential_slot.empty() ? "default" : a.credential_slot)
            : "";
    host_for(a);
    const bool needs = a.platform->capabilities.needs_credential;
    if (const auto failure = vault_.failure(a.stored.platform, a.credential_slot)) {
      if (!a.platform->capabilities.credential_optional) {
        set_state(a, AccountState::kAuthFailed, *failure, now);
        continue;
      }
      // The platform works without (YouTube's feed): go on, and say why less.
      log()->warn("{}: {}; polling without it", a.label(), *failure);
    }
    if (needs && !vault_.has(a.stored.platform, a.credential_slot)) {
      set_state(a, AccountState::kAuthFailed,
                "platform " + a.stored.platform + " needs a credential; configure platforms." +
                    a.stored.platform + ".credential" +
                    (a.credential_slot.empty() ? "" : "s." + a.credential_slot),
                now);
      continue;
    }
    const AccountState st = a.rt().state;
    const bool was_blocked = st == AccountState::kUnsupported || st == AccountState::kInactive ||
                             (st == AccountState::kAuthFailed && !fresh);
    if (st == AccountState::kUnsupported || st == AccountState::kInactive ||
        st == AccountState::kAuthFailed) {
      a.rt().state = AccountState::kPending;
      a.rt().state_reason.clear();
    }
    if (fresh) {
      TimeMs due = now;
      // Saved times are wall times (they outlive this process's clock).
      if (a.rt().next_due_at) {
        due = std::max(now, timer_of(*a.rt().next_due_at));
      } else if (a.rt().last_attempt_at) {
        due = std::max(now, slot_after(a, timer_of(*a.rt().last_attempt_at)));
      }
      if (a.rt().backoff_until && timer_of(*a.rt().backoff_until) > due)
        due = timer_of(*a.rt().backoff_until);
      schedule(a, WorkKind::kPoll, due);
      if (a.rt().last_success_at) {
        a.polled = !is_terminal(a.rt().state);
        for (const WorkKind w : {WorkKind::kRefresh, WorkKind::kComments}) {
          const DurationMs every = work_interval(a, w);
          if (every <= 0) continue;
          const std::optional<TimeMs> saved =
              w == WorkKind::kRefresh ? a.rt().next_refresh_at : std::nullopt;
          schedule(a, w, saved ? std::max(now, timer_of(*saved)) : now + every);
        }
      }
      if (a.polled && a.stored.backfill_state == BackfillState::kPending)
        enqueue(a, WorkKind::kBackfill);
    } else if (was_blocked) {
      schedule(a, WorkKind::kPoll, now);  // e.g. a credential fixed by this reload
    } else if (old_interval != a.interval && !a.busy && !a.queued[idx(WorkKind::kPoll)]) {
      schedule(a, WorkKind::kPoll,
               std::max(now, std::min(a.next_at[idx(WorkKind::kPoll)], slot_after(a, now))));
    }
  }
  if (!old_owned.empty()) {
    log()->info("{} account(s) no longer configured; their history stays in the store",
                old_owned.size());
  }
  load_budgets(now);
  resolve_duplicates(now);
  return ok_status();
}

void Engine::load_budgets(TimeMs now) {
  // One budget per platform and credential slot with a secret; its state
  // survives restarts.
  std::map<std::string, BudgetRow> saved;
  if (auto rows = store_.load_budgets(); rows.ok()) {
    for (BudgetRow& r : *rows) saved[r.scope] = std::move(r);
  }
  std::map<std::string, std::unique_ptr<QuotaBudget>> next;
  for (const auto& a : accounts_) {
    if (a->quota_scope.empty() || next.count(a->quota_scope)) continue;
    const PlatformSettings* ps = config_.platform(a->stored.platform);
    auto budget =
        std::make_unique<QuotaBudget>(a->quota_scope, a->platform->budgets.front(),
                                      ps != nullptr && ps->quota_units ? *ps->quota_units : 0);
    if (auto old = budgets_.find(a->quota_scope); old != budgets_.end()) {
      budget->restore(old->second->state());
    } else if (auto row = saved.find(a->quota_scope); row != saved.end()) {
      BudgetState st;
      st.spent = row->second.spent;
      st.period_start = row->second.period_start.value_or(0);
      st.blocked_until = row->second.blocked_until.value_or(0);
      st.log = row->second.log;
      budget->restore(st);
    }
    (void)budget->remaining(wall_of(now));  // a reset that happened while stopped
    next[a->quota_scope] = std::move(budget);
  }
  budgets_ = std::move(next);
}

std::string Engine::identity_of(const AccountRt& a, const std::string& platform_id) const {
  // Platform ids are unique per platform and host: a Mastodon account id only
  // on its home instance, a DID or channel id everywhere.
  return a.stored.platform + '\x1f' + a.host_key + '\x1f' + platform_id;
}

void Engine::resolve_duplicates(TimeMs now) {
  identities_.clear();
  // Accounts already known as primaries claim their identity first; among
  // the rest, the one configured first (lowest id) wins.
  std::vector<AccountRt*> order;
  for (const auto& a : accounts_) {
    if (a->connector != nullptr && !a->stored.platform_id.empty()) order.push_back(a.get());
  }
  std::stable_sort(order.begin(), order.end(), [](const AccountRt* x, const AccountRt* y) {
    const bool dx = x->stored.duplicate_of.has_value(), dy = y->stored.duplicate_of.has_value();
    return dx != dy ? !dx : x->stored.id < y->stored.id;
  });
  for (AccountRt* a : order) {
    const auto [it, inserted] =
        identities_.emplace(identity_of(*a, a->stored.platform_id), a->stored.id);
    if (inserted) {
      if (a->stored.duplicate_of) {
        // Its primary is gone from the configuration (or changed): poll it again.
        a->stored.duplicate_of.reset();
        (void)store_.set_duplicate_of(a->stored.id, std::nullopt);
        set_state(*a, AccountState::kPending, "no longer a duplicate of another configured account",
                  now);
        schedule(*a, WorkKind::kPoll, now);
      }
      continue;
    }
    mark_duplicate(*a, *account(it->second), now);
  }
}

void Engine::mark_duplicate(AccountRt& a, const AccountRt& primary, TimeMs now) {
  a.stored.duplicate_of = primary.stored.id;
  (void)store_.set_duplicate_of(a.stored.id, primary.stored.id);
  for (uint64_t& g : a.generation) ++g;  // its timers are void
  for (int w = 0; w < kWorkKinds; ++w) a.pending[w] = false;
  set_state(a, AccountState::kDuplicate,
            "the same account as " + primary.label() + " (both are " + a.stored.platform_id +
                " on " + a.host_key + "); polled and counted once, as that account",
            now);
  log()->warn("{}: {}", a.label(), a.rt().state_reason);
}

void Engine::schedule(AccountRt& a, WorkKind work, TimeMs at, bool push) {
  const int w = idx(work);
  ++a.generation[w];
  a.next_at[w] = at;
  if (push) due_.push(DueEntry{at, a.stored.id, work, a.generation[w]});
}

void Engine::enqueue(AccountRt& a, WorkKind work) {
  const int w = idx(work);
  if (a.queued[w] || a.pending[w] || (a.busy && a.busy_work == work)) return;  // already on its way
  if (a.busy) {
    a.pending[w] = true;  // runs as soon as the account's current work ends
    return;
  }
  a.queued[w] = true;
  // Backfill is ranked by what is left to read, so the longest history
  // starts first and, re-queued after each page, goes on without a gap.
  const std::optional<int64_t> rank =
      work == WorkKind::kBackfill
          ? backfill_remaining(a.stored.profile_posts, a.stored.own_posts_stored)
          : std::nullopt;
  host_for(a).queue[w].push(a.stored.id, rank);
}

void Engine::poll_came_due(AccountRt& a, TimeMs now) {
  const int w = idx(WorkKind::kPoll);
  if (!a.once && (a.queued[w] || a.pending[w] || (a.busy && a.busy_work == WorkKind::kPoll))) {
    // The previous poll has not finished (or not even started): this one is
    // skipped, counted, and the rhythm continues with the next slot.
    ++a.rt().skipped_polls;
    ++counters_.skipped_polls;
    schedule(a, WorkKind::kPoll, slot_after(a, now));
    return;
  }
  enqueue(a, WorkKind::kPoll);
}

void Engine::queue_due(TimeMs now) {
  while (!due_.empty() && due_.top().at <= now) {
    const DueEntry e = due_.top();
    due_.pop();
    AccountRt* a = account(e.account_id);
    if (a == nullptr || !pollable(*a) || a->generation[idx(e.work)] != e.generation) continue;
    if (once_mode_ && (!a->once || a->once_done)) continue;
    if (stopping_) continue;
    if (e.work == WorkKind::kPoll) {
      poll_came_due(*a, now);
    } else {
      enqueue(*a, e.work);
    }
  }
}

void Engine::start_once(const std::vector<int64_t>& account_ids, bool all_now) {
  once_mode_ = true;
  const TimeMs now = timer_now();
  for (const int64_t id : account_ids) {
    AccountRt* a = account(id);
    if (a == nullptr || !pollable(*a) || a->rt().state == AccountState::kAuthFailed) continue;
    a->once = true;
    a->once_done = false;
    a->once_attempts = 0;
    // The once run drives this account's work; pending timers are void.
    for (uint64_t& g : a->generation) ++g;
    const bool due = a->next_at[idx(WorkKind::kPoll)] <= now;
    if (!all_now && !due) {
      a->once_done = true;
      continue;
    }
    ++once_pending_;
    enqueue(*a, WorkKind::kPoll);
  }
  once_total_ = once_pending_;
}

bool Engine::once_finished() const { return once_mode_ && once_pending_ == 0 && sessions_.empty(); }

Engine::OnceProgress Engine::once_progress_view() const {
  OnceProgress p;
  p.total = once_total_;
  p.done = once_total_ >= once_pending_ ? once_total_ - once_pending_ : 0;
  if (last_wait_until_ > timer_now()) p.waiting = last_wait_;
  return p;
}

bool Engine::may_start(AccountRt& a, TimeMs now) {
  if (const auto failure = vault_.failure(a.stored.platform, a.credential_slot);
      failure && a.platform->capabilities.needs_credential) {
    set_state(a, AccountState::kAuthFailed, *failure, now);
    return false;
  }
  QuotaBudget* quota = quota_of(a);
  const TimeMs wall = wall_of(now);
  if (quota == nullptr || quota->remaining(wall) > 0) return true;
  // The credential's quota is spent: wait for its reset (a wall-clock
  // instant), and say so.
  const TimeMs wall_reset = quota->next_reset(wall);
  const TimeMs reset = timer_of(wall_reset);
  ++counters_.quota_waits;
  a.rt().backoff_until = wall_reset;
  set_state(a, AccountState::kRateLimited,
            "quota " + quota->scope() + " spent (" + std::to_string(quota->spent(wall)) + " of " +
                std::to_string(quota->units()) + " units); waiting for its reset at " +
                clock_time(wall_reset),
            now);
  for (int w = 0; w < kWorkKinds; ++w) {
    if (a.queued[w] || a.next_at[w] != 0) schedule(a, work_of(w), reset, !a.once);
  }
  if (a.once && !a.once_done) {
    // poll --once does not wait hours for a quota: the account ends here.
    a.once_done = true;
    --once_pending_;
  }
  return false;
}

void Engine::dispatch(HostRt& host, TimeMs now) {
  while (true) {
    if (!host.waiting.empty()) {
      const TimeMs wait = host.limiter.try_acquire(now, host.in_flight);
      if (wait != 0) {
        if (once_mode_ && wait - now > kMinuteMs) {
          // poll --once does not wait minutes for a host's rate limit (a
          // server may announce a long window): the waiting units end as
          // rate-limited, like a spent quota, and the daemon catches up.
          std::vector<uint64_t> held(host.waiting.begin(), host.waiting.end());
          host.waiting.clear();
          for (const uint64_t sid : held) {
            const auto it = sessions_.find(sid);
            if (it == sessions_.end()) continue;
            finish(*it->second,
                   Finish{"rate_limited", FailureKind::kNone, true,
                          "rate-limited by " + host.key + " until " + clock_time_of(wait) +
                              "; poll --once does not wait that long",
                          0, wait},
                   now);
          }
          continue;
        }
        if (host.wake_at < wait) ++counters_.rate_limit_waits;
        host.wake_at = wait;
        return;
      }
      host.wake_at = 0;
      const uint64_t sid = host.waiting.front();
      host.waiting.pop_front();
      const auto it = sessions_.find(sid);
      if (it != sessions_.end()) send_ready(host, *it->second, now);
      continue;
    }
    if (stopping_ || host.active >= host.cap) return;
    // Priority: fresh polls, refreshes, comment sweeps; backfill only with
    // budget to spare and nothing fresher waiting.
    int pick = -1;
    for (const WorkKind w : {WorkKind::kPoll, WorkKind::kRefresh, WorkKind::kComments}) {
      if (!host.queue[idx(w)].empty()) {
        pick = idx(w);
        break;
      }
    }
    if (pick < 0 && !host.queue[idx(WorkKind::kBackfill)].empty() &&
        (once_mode_ || host.limiter.headroom(now) > options_.backfill_reserve)) {
      pick = idx(WorkKind::kBackfill);
    }
    if (pick < 0) return;
    // One account, or a batch of several where the platform's API takes
    // many ids at once.
    std::vector<AccountRt*> batch;
    int limit = 1;
    while (!host.queue[pick].empty() && static_cast<int>(batch.size()) < limit) {
      const int64_t id = host.queue[pick].front();
      host.queue[pick].pop_front();
      AccountRt* a = account(id);
      if (a == nullptr || a->connector == nullptr) continue;
      a->queued[pick] = false;
      if (!pollable(*a)) continue;
      if (a->busy) {
        a->pending[pick] = true;
        continue;
      }
      if (!may_start(*a, now)) continue;
      if (batch.empty()) {
        const WorkSpec* spec = a->platform->work_spec(work_of(pick));
        limit = spec != nullptr ? std::max(1, spec->batch) : 1;
      }
      batch.push_back(a);
    }
    if (batch.empty()) continue;
    start_session(batch, work_of(pick), now);
  }
}

void Engine::start_session(const std::vector<AccountRt*>& batch, WorkKind work, TimeMs now) {
  AccountRt& a = *batch.front();
  std::vector<AccountView> views;
  for (AccountRt* b : batch) {
    AccountView view = view_of(*b);
    view.now = wall_of(now);  // compared with post times: wall time
    if (work == WorkKind::kRefresh || work == WorkKind::kComments) {
      view.refresh_since = view.now - options_.refresh_window_ms;
      auto ids =
          store_.recent_post_ids(b->stored.id, view.refresh_since, options_.refresh_max_posts);
      if (ids.ok()) view.refresh_ids = std::move(*ids);
      // Until the engine chooses comment work from the store's coverage, a
      // comment sweep reads the refresh window's items.
      if (work == WorkKind::kComments) view.comment_ids = view.refresh_ids;
    }
    views.push_back(std::move(view));
  }
  auto session = std::make_unique<Session>();
  Session& s = *session;
  s.id = next_session_id_++;
  for (AccountRt* b : batch) s.accounts.push_back(b->stored.id);
  s.platform = a.stored.platform;
  s.label = a.label() + (batch.size() > 1 ? " (+" + std::to_string(batch.size() - 1) + ")" : "");
  s.work = work;
  s.host_key = a.host_key;
  s.credential_slot = a.credential_slot;
  s.quota_scope = a.quota_scope;
  s.started_at = wall_of(now);  // for the poll log
  for (AccountRt* b : batch) {
    b->busy = true;
    b->busy_work = work;
    // The next poll is due at the next slot whether or not this one finishes
    // in time; if it does not, that poll is skipped and counted.
    if (work == WorkKind::kPoll) schedule(*b, WorkKind::kPoll, slot_after(*b, now), !b->once);
  }
  HostRt& host = host_for(a);
  ++host.active;
  sessions_[s.id] = std::move(session);
  StepResult first;
  try {
    s.impl = batch.size() > 1 ? a.connector->begin_batch(views, work)
                              : a.connector->begin(views.front(), work);
    first = s.impl->start();
  } catch (const std::exception& e) {
    first = StepResult::fail(FailureKind::kMalformed, std::string("connector error: ") + e.what());
  }
  handle_step(s, std::move(first), now);
}

bool Engine::admit_page(Session& s, Page& page, AccountRt& a, TimeMs now) {
  // What may be stored at all: the same rules for every connector.
  const PageAudit audit = guard_page(page, a.platform->earliest_item_ms, wall_of(now));
  if (!audit.clean()) {
    const std::string summary = audit.summary();
    s.items_skipped += static_cast<int>(audit.skipped.size());
    counters_.items_skipped += static_cast<int64_t>(audit.skipped.size());
    if (s.notes.size() < 2000) s.notes += (s.notes.empty() ? "" : "; ") + summary;
    std::string detail;
    for (size_t i = 0; i < audit.skipped.size() && i < 3; ++i) {
      detail += (i ? "; " : " (") +
                (audit.skipped[i].id.empty() ? "" : audit.skipped[i].id + ": ") +
                audit.skipped[i].reason;
    }
    if (!detail.empty()) detail += audit.skipped.size() > 3 ? "; ...)" : ")";
    log()->warn("{} {}: {}{}", work_kind_id(s.work), a.label(), summary,
                vault_.scrub(printable(detail)));
  }
  // A newly resolved id that another configured account already has: the
  // same platform account under a second spelling. Nothing of it is stored.
  std::string resolved = page.platform_id.value_or("");
  if (resolved.empty() && page.batch.snapshot) resolved = page.batch.snapshot->platform_id;
  if (!resolved.empty()) {
    const std::string identity = identity_of(a, resolved);
    const auto it = identities_.find(identity);
    if (it != identities_.end() && it->second != a.stored.id) {
      if (const AccountRt* primary = account(it->second); primary != nullptr) {
        a.stored.platform_id = resolved;
        mark_duplicate(a, *primary, now);
        if (s.accounts.size() == 1) {
          finish(s, Finish{"duplicate", FailureKind::kDuplicate, false, a.rt().state_reason, 0},
                 now);
        } else {
          s.outcomes[a.stored.id] = {FailureKind::kDuplicate, a.rt().state_reason};
        }
        return false;
      }
    }
    if (resolved != a.stored.platform_id) {
      if (!a.stored.platform_id.empty()) identities_.erase(identity_of(a, a.stored.platform_id));
      identities_[identity] = a.stored.id;
    }
  }
  return true;
}

void Engine::handle_step(Session& s, StepResult step, TimeMs now) {
  const uint64_t id = s.id;
  // A batch answer may hold pages of several accounts: each commits on its own.
  std::vector<Page> pages;
  if (step.page) pages.push_back(std::move(*step.page));
  for (Page& p : step.more_pages) pages.push_back(std::move(p));
  step.page.reset();
  step.more_pages.clear();
  for (Page& p : pages) {
    commit_page_of(s, p, now);
    if (sessions_.count(id) == 0) return;  // finished (a duplicate, or the store failed)
  }
  handle_step_rest(s, std::move(step), now);
}

void Engine::commit_page_of(Session& s, Page& page, TimeMs now) {
  {
    const int64_t target = page.account_id != 0 ? page.account_id : s.accounts.front();
    AccountRt* a = std::find(s.accounts.begin(), s.accounts.end(), target) != s.accounts.end()
                       ? account(target)
                       : nullptr;
    if (a == nullptr) {
      // A page for an account outside the session: a connector bug, never stored.
      log()->error("{}: page for account {} outside the session dropped", s.label, target);
    } else {
      if (!admit_page(s, page, *a, now)) {
        return;  // a duplicate: a single session is finished, a batch goes on
      } else if (!page.empty()) {
        // The profile's count of posts ranks the account's backfill.
        if (page.batch.snapshot && page.batch.snapshot->posts)
          a->stored.profile_posts = page.batch.snapshot->posts;
        // A long page (a feed of 100,000 entries) is stored in bounded
        // chunks, so a stop request waits for one chunk, never for the whole
        // page. Only the last chunk carries the cursor, the backfill state
        // and the deletions: a page cut short by a stop is read again next
        // time (stored posts are updated, never duplicated), and nothing is
        // skipped past.
        while (page.batch.posts.size() > kCommitChunkPosts) {
          Page chunk;
          chunk.account_id = page.account_id;
          chunk.batch.snapshot = std::exchange(page.batch.snapshot, std::nullopt);
          chunk.batch.posts.assign(std::make_move_iterator(page.batch.posts.begin()),
                                   std::make_move_iterator(page.batch.posts.begin() +
                                                           kCommitChunkPosts));
          page.batch.posts.erase(page.batch.posts.begin(),
                                 page.batch.posts.begin() + kCommitChunkPosts);
          if (!commit_counted(s, *a, chunk, now)) return;
          if (stop_requested()) {
            finish(s,
                   Finish{"interrupted", FailureKind::kNone, false,
                          "stopped while storing a long page; the rest is read again next time",
                          0},
                   now);
            return;
          }
        }
        if (!commit_counted(s, *a, page, now)) return;
        const Page& p = page;
        if (p.cursor) a->stored.cursor = *p.cursor;
        if (p.platform_id) a->stored.platform_id = *p.platform_id;
        if (p.backfill_state) a->stored.backfill_state = *p.backfill_state;
        if (p.history_note) a->stored.history_note = *p.history_note;
        for (const PostRecord& post : p.batch.posts) {
          if (post.kind != PostKind::kRepost)
            ++a->stored.own_posts_stored;  // approximate; reloads recount
        }
        if (p.batch.snapshot && !p.batch.snapshot->platform_id.empty())
          a->stored.platform_id = p.batch.snapshot->platform_id;
      }
    }
  }
}

bool Engine::commit_counted(Session& s, AccountRt& a, const Page& page, TimeMs now) {
  auto counts = store_.commit_page(a.stored.id, page, wall_of(now));
  if (!counts.ok()) {
    commit_failed_ = true;
    finish(s, Finish{"storage_error", FailureKind::kNone, true, counts.error().message, 0}, now);
    return false;
  }
  s.posts_new += counts->posts_new;
  s.posts_updated += counts->posts_updated;
  s.posts_deleted += counts->posts_deleted;
  counters_.posts_new += counts->posts_new;
  counters_.posts_updated += counts->posts_updated;
  counters_.posts_deleted += counts->posts_deleted;
  return true;
}

void Engine::handle_step_rest(Session& s, StepResult step, TimeMs now) {
  if (step.throttle) {
    apply_throttle(s, *step.throttle, step.http_status, now);
    return;
  }
  if (step.failure != FailureKind::kNone) {
    const bool transient =
        step.failure == FailureKind::kMalformed || step.failure == FailureKind::kServerError;
    finish(s,
           Finish{std::string(failure_kind_id(step.failure)), step.failure, transient, step.reason,
                  step.http_status != 0 ? step.http_status : s.http_status},
           now);
    return;
  }
  if (step.request) {
    if (auto stop = unit_guard(s, *step.request)) {
      ++counters_.units_stopped;
      log()->warn("{}: {}", s.label, vault_.scrub(*stop));
      finish(s, Finish{"no_progress", FailureKind::kNoProgress, true, *stop, s.http_status}, now);
      return;
    }
    s.request = std::move(step.request);
    hosts_.at(s.host_key)->waiting.push_back(s.id);
    return;
  }
  if (step.done) {
    const bool not_modified = not_modified_;
    not_modified_ = false;
    finish(s,
           Finish{not_modified ? "not_modified" : "ok", FailureKind::kNone, false, step.reason,
                  s.http_status},
           now);
    return;
  }
  finish(s,
         Finish{"internal_error", FailureKind::kNone, true,
                "connector neither requested nor finished", 0},
         now);
}

std::optional<std::string> Engine::unit_guard(Session& s, const HttpRequest& next) {
  // The same request twice in one unit: the server's paging repeats or goes
  // in circles (a page token that never ends, A -> B -> A). Whatever the
  // connector thinks, asking again would only repeat the answer.
  const uint64_t key =
      std::hash<std::string>{}(next.method + ' ' + next.url);
  if (!s.request_keys.insert(key).second) {
    return "stopped the " + std::string(work_kind_id(s.work)) +
           " after " + std::to_string(s.requests) + " request(s): it would ask for " +
           printable(redact_url(next.url), 200) +
           " a second time (the server's paging repeats or goes in circles); what was read is "
           "kept";
  }
  if (s.requests >= options_.max_requests_per_unit) {
    return "stopped the " + std::string(work_kind_id(s.work)) + " after " +
           std::to_string(s.requests) + " requests, the most one unit of work may send (the "
           "server's paging does not end); what was read is kept";
  }
  if (next.credential.kind != CredentialUse::Kind::kNone && !s.quota_scope.empty()) {
    if (const auto b = budgets_.find(s.quota_scope); b != budgets_.end()) {
      const int64_t cap = std::max<int64_t>(
          1, static_cast<int64_t>(static_cast<double>(b->second->units()) *
                                  options_.max_quota_share_per_unit));
      if (s.units_asked + next.cost > cap) {
        return "stopped the " + std::string(work_kind_id(s.work)) + " after " +
               std::to_string(s.units_asked) + " quota units, the most one unit of work may "
               "spend (" + std::to_string(cap) + " of " + std::to_string(b->second->units()) +
               " for quota " + s.quota_scope + "); what was read is kept";
      }
      s.units_asked += next.cost;
    }
  }
  return std::nullopt;
}

void Engine::apply_throttle(Session& s, const Throttle& t, int http_status, TimeMs now) {
  HostRt& host = *hosts_.at(s.host_key);
  TimeMs until = now + t.wait.value_or(options_.backoff.base_ms);
  std::string what = "the host " + host.key;
  switch (t.scope) {
    case Throttle::Scope::kCredential:
      if (const auto b = budgets_.find(s.quota_scope); b != budgets_.end()) {
        // Budgets keep wall time: their resets are wall-clock instants.
        if (t.wait) {
          b->second->block_until(wall_of(until));
        } else {
          b->second->exhaust(wall_of(now));
          until = timer_of(b->second->next_reset(wall_of(now)));
        }
        what = "quota " + s.quota_scope;
      } else {
        host.limiter.hold_until(until);
      }
      break;
    case Throttle::Scope::kHost:
      host.limiter.hold_until(until);
      break;
    case Throttle::Scope::kAccount:
      what = "the account";
      break;
  }
  ++counters_.rate_limit_waits;
  finish(s,
         Finish{"rate_limited", FailureKind::kNone, true,
                "throttled by the platform: " + t.reason + "; " + what + " waits until " +
                    clock_time_of(until),
                http_status, until},
         now);
}

void Engine::send_ready(HostRt& host, Session& s, TimeMs now) {
  HttpRequest req = *s.request;
  const bool credentialed = req.credential.kind != CredentialUse::Kind::kNone;
  if (credentialed && !s.quota_scope.empty()) {
    // The request's units come out of the credential's quota budget.
    QuotaBudget* quota = budgets_.at(s.quota_scope).get();
    const TimeMs wall = wall_of(now);
    if (!quota->try_spend(req.cost, wall)) {
      ++counters_.quota_waits;
      const TimeMs wall_reset = quota->next_reset(wall);
      finish(s,
             Finish{"rate_limited", FailureKind::kNone, true,
                    "quota " + s.quota_scope + " spent (" + std::to_string(quota->spent(wall)) +
                        " of " + std::to_string(quota->units()) + " units); resets at " +
                        clock_time(wall_reset),
                    0, timer_of(wall_reset)},
             now);
      return;
    }
  }
  // The engine, not the connector, attaches secrets.
  if (credentialed) {
    const AccountRt* a = account(s.accounts.front());
    const AuthStyle style =
        a != nullptr && a->platform != nullptr ? a->platform->auth : AuthStyle{};
    (void)vault_.attach(req, s.platform, s.credential_slot, style);
  }
  s.sent_validators = false;
  if (req.conditional) {
    auto cached = store_.http_cache_get(s.request->url);
    if (cached.ok() && cached->has_value()) {
      if (!(*cached)->etag.empty()) req.headers.push_back({"If-None-Match", (*cached)->etag});
      if (!(*cached)->last_modified.empty())
        req.headers.push_back({"If-Modified-Since", (*cached)->last_modified});
      s.sent_validators = !(*cached)->etag.empty() || !(*cached)->last_modified.empty();
    }
  }
  s.transfer = next_transfer_id_++;
  s.sent_at = now;
  transfer_to_session_[s.transfer] = s.id;
  ++host.in_flight;
  ++host.requests_total;
  ++s.requests;
  ++counters_.requests;
  log()->debug("{} {} {}", s.label, req.method, vault_.scrub(redact_url(req.url)));
  transport_.start(s.transfer, req);
}

void Engine::log_absurd_rate_figure(HostRt& host) {
  const std::string note = host.limiter.take_absurd_note();
  if (!note.empty()) log()->warn("{}: the server's rate-limit figure is absurd: {}", host.key, note);
}

void Engine::note_rate_limited(HostRt& host, TimeMs until, const std::string& why, TimeMs now) {
  // Every account waiting on this host shows why it waits.
  const std::string reason =
      "rate-limited by " + host.key + " until " + clock_time_of(until) + " (" + why + ")";
  last_wait_ = "rate-limited by " + host.key + " until " + clock_time_of(until);
  last_wait_until_ = until;
  for (const uint64_t sid : host.waiting) {
    const auto it = sessions_.find(sid);
    if (it == sessions_.end()) continue;
    for (const int64_t id : it->second->accounts) {
      if (AccountRt* a = account(id)) set_state(*a, AccountState::kRateLimited, reason, now);
    }
  }
}

void Engine::on_completion(uint64_t tag, HttpResponse response) {
  const auto t = transfer_to_session_.find(tag);
  if (t == transfer_to_session_.end()) return;
  const uint64_t sid = t->second;
  transfer_to_session_.erase(t);
  const auto it = sessions_.find(sid);
  if (it == sessions_.end()) return;
  Session& s = *it->second;
  s.transfer = 0;
  const TimeMs now = timer_now();
  HostRt& host = *hosts_.at(s.host_key);
  --host.in_flight;
  ++counters_.http[{s.platform, http_class(response.status)}];
  if (response.status != 0) s.http_status = response.status;
  host.limiter.observe(response, now, wall_of(now));
  log_absurd_rate_figure(host);
  // The connector sees the URL it asked for, never one with the engine's
  // credential in it.
  response.url = s.request ? s.request->url : std::string();
  const std::string url = printable(redact_url(response.url), 300);
  // A server that echoes the request hands the key back: connectors never
  // see a secret, not even that way.
  response.body = vault_.scrub(std::move(response.body));
  for (HttpHeader& h : response.headers) h.value = vault_.scrub(std::move(h.value));
  if (s.request && s.request->optional && !is_redirect_status(response.status)) {
    // The connector copes with any answer to an optional request itself.
    handle_step(s, s.impl->on_response(response), now);
    return;
  }
  if (response.status == 0) {
    if (response.refused) {
      log()->warn("{}: {} ({})", s.label, response.transport_error, vault_.scrub(url));
      finish(s,
             Finish{"refused", FailureKind::kRefused, false,
                    response.transport_error + " (" + url + ")", 0},
             now);
      return;
    }
    finish(s,
           Finish{"transport_error", FailureKind::kNone, true,
                  printable(response.transport_error, 300) + " (" + url + ")", 0},
           now);
    return;
  }
  if (is_redirect_status(response.status) && response.header("Location")) {
    // The engine follows redirects itself, within net_policy.h's rules.
    const std::string location = *response.header("Location");
    const auto target = resolve_redirect(response.url, location);
    const PlatformSettings* ps = config_.platform(s.platform);
    const std::vector<std::string> allowed =
        ps != nullptr ? ps->redirect_hosts : std::vector<std::string>{};
    std::optional<std::string> refusal;
    if (!target) {
      refusal = "its Location '" + printable(location, 200) + "' is not an http(s) URL";
    } else if (++s.redirects > kMaxRedirects) {
      refusal = "more than " + std::to_string(kMaxRedirects) + " redirects in a row (a loop?)";
    } else {
      refusal = redirect_refusal(response.url, *target, allowed);
    }
    if (refusal) {
      ++counters_.redirects_refused;
      const std::string reason =
          "refused the HTTP " + std::to_string(response.status) + " redirect from " + url +
          (target ? " to " + printable(redact_url(*target), 300) : std::string()) + ": " +
          *refusal +
          "; if the new place is legitimate, update the handle or list its host in "
          "platforms." +
          s.platform + ".redirect_hosts";
      log()->warn("{}: {}", s.label, vault_.scrub(reason));
      finish(s, Finish{"refused", FailureKind::kRefused, false, reason, response.status}, now);
      return;
    }
    log()->debug("{}: following redirect to {}", s.label, vault_.scrub(redact_url(*target)));
    // A Location that echoes the query carries the credential the engine
    // attached; it is attached again when the redirect is sent, never twice.
    std::string next = *target;
    if (s.request->credential.kind != CredentialUse::Kind::kNone) {
      const AccountRt* owner = account(s.accounts.front());
      const AuthStyle style =
          owner != nullptr && owner->platform != nullptr ? owner->platform->auth : AuthStyle{};
      for (const std::string& name :
           {s.request->credential.parameter, style.parameter, std::string("key"),
            std::string("access_token"), std::string("appsecret_proof")}) {
        if (!name.empty()) next = remove_query_param(next, name);
      }
    }
    s.request->url = next;
    host.waiting.push_front(s.id);
    return;
  }
  const bool overloaded = response.status == 503 && response.header("Retry-After").has_value();
  if (response.status == 429 || overloaded) {
    // 429, and 503 with Retry-After (RFC 9110 15.6.4): hold the whole host
    // until the announced time, then retry this request first.
    ++host.rate_limited_total;
    ++counters_.rate_limit_waits;
    host.limiter.on_too_many_requests(response, now, s.sent_at, wall_of(now),
                                      random_.uniform01());
    log_absurd_rate_figure(host);
    const TimeMs until = host.limiter.blocked_until(now).value_or(now);
    const std::string why =
        "HTTP " + std::to_string(response.status) +
        (response.header("Retry-After") ? " with Retry-After" : " without a reset hint");
    if (++s.rate_limited > options_.max_rate_limit_retries) {
      finish(s,
             Finish{"rate_limited", FailureKind::kNone, true,
                    "rate-limited by " + host.key + " until " + clock_time_of(until) + " (" + why +
                        ", " + std::to_string(s.rate_limited) + " times in a row)",
                    response.status, until},
             now);
    } else {
      host.waiting.push_front(s.id);  // retried first once the host's wait is over
      log()->info("{}: {} from {}; holding {} until {}", s.label, why, vault_.scrub(url), host.key,
                  clock_time_of(until));
      note_rate_limited(host, until, why, now);
    }
    return;
  }
  if (response.status >= 500) {
    const std::string excerpt = printable(trim(response.body.substr(0, 120)), 160);
    finish(s,
           Finish{"server_error", FailureKind::kNone, true,
                  "HTTP " + std::to_string(response.status) + " from " + url +
                      (excerpt.empty() ? "" : ": " + excerpt),
                  response.status},
           now);
    return;
  }
  if (response.body.size() > kStopAbandonBodyBytes && stop_requested()) {
    // Stopping: reading a long answer (a 100,000-entry feed takes seconds to
    // parse and store) would delay the stop past what systemd waits for.
    // Nothing of it is stored, and the cursor stays: it is read again next
    // time.
    finish(s,
           Finish{"interrupted", FailureKind::kNone, false,
                  "stopped before a long answer (" + std::to_string(response.body.size()) +
                      " bytes) was read; it is read again next time",
                  response.status},
           now);
    return;
  }
  if (response.status == 304 && !s.sent_validators) {
    // 304 Not Modified answers a conditional request (RFC 9110 15.4.5); to
    // one that sent no validator it is a broken answer, not "nothing new"
    // (a feed that did this stayed "ok" with 0 entries forever).
    finish(s,
           Finish{"malformed", FailureKind::kMalformed, true,
                  "HTTP 304 Not Modified from " + url +
                      " to a request that sent no validator (no If-None-Match or "
                      "If-Modified-Since): a broken answer, nothing read",
                  response.status},
           now);
    return;
  }
  const bool conditional_ok = s.request && s.request->conditional && response.status == 200;
  const std::string request_url = s.request ? s.request->url : std::string();
  HttpCacheEntry validators{response.header("ETag").value_or(""),
                            response.header("Last-Modified").value_or("")};
  StepResult step;
  try {
    step = s.impl->on_response(response);
  } catch (const std::exception& e) {
    step = StepResult::fail(FailureKind::kMalformed, std::string("connector error: ") + e.what(),
                            response.status);
  }
  const bool accepted = step.failure == FailureKind::kNone && !step.throttle;
  if (response.status == 304 && accepted && step.done && !step.request) {
    // Recorded as such in the poll log: the server had nothing new.
    step.reason = "not modified (HTTP 304)";
    not_modified_ = true;
  }
  commit_failed_ = false;
  handle_step(s, std::move(step), now);  // s may be gone from here on
  // Validators are saved only once the page they came with is stored, so a
  // 304 can never hide a page that was not.
  if (conditional_ok && accepted && !commit_failed_ &&
      (!validators.etag.empty() || !validators.last_modified.empty())) {
    (void)store_.http_cache_put(request_url, validators, wall_of(now));
  }
}

void Engine::finish(Session& s, const Finish& f, TimeMs now) {
  if (s.transfer != 0) {
    transport_.cancel(s.transfer);
    transfer_to_session_.erase(s.transfer);
    --hosts_.at(s.host_key)->in_flight;
    s.transfer = 0;
  }
  HostRt& host = *hosts_.at(s.host_key);
  --host.active;
  std::erase(host.waiting, s.id);
  // Reasons quote servers; what is stored and logged has no control
  // characters (a 404 body could otherwise forge log lines or move a cursor)
  // and no secret.
  const std::string reason = vault_.scrub(printable(f.reason, 1000));
  ++counters_.polls[{s.platform, f.outcome}];
  if (f.outcome == "ok" || f.outcome == "not_modified")
    counters_.last_success[s.platform] = wall_of(now);
  for (const int64_t id : s.accounts) {
    Finish outcome = f;
    outcome.reason = reason;
    if (const auto o = s.outcomes.find(id); o != s.outcomes.end()) {
      outcome.failure = o->second.first;
      outcome.outcome = std::string(failure_kind_id(o->second.first));
      outcome.reason = vault_.scrub(printable(o->second.second, 1000));
      outcome.transient = outcome.failure == FailureKind::kMalformed ||
                          outcome.failure == FailureKind::kServerError;
    }
    PollLogEntry entry;
    entry.account_id = id;
    entry.work = std::string(work_kind_id(s.work));
    entry.started_at = s.started_at;
    entry.ended_at = wall_of(now);
    entry.outcome = outcome.outcome;
    entry.http_status = f.http_status != 0 ? f.http_status : s.http_status;
    entry.error = outcome.reason;
    if (id == s.accounts.front()) {
      entry.posts_new = s.posts_new;
      entry.posts_updated = s.posts_updated;
      entry.requests = s.requests;
      entry.items_skipped = s.items_skipped;
      entry.notes = vault_.scrub(s.notes);
    }
    if (auto st = store_.log_poll(entry); !st.ok())
      log()->error("poll log: {}", st.error().message);
    AccountRt* a = account(id);
    if (a == nullptr) continue;
    a->busy = false;
    if (s.work == WorkKind::kBackfill && outcome.outcome == "ok" && s.requests == 0) {
      a->backfill_idle = true;
    } else if (s.work == WorkKind::kBackfill && outcome.outcome == "ok") {
      // Paging that goes in circles (a server that ignores max_id, a cursor
      // that cycles) brings nothing new page after page: stop it with a
      // clear state instead of polling forever.
      if (s.posts_new > 0) {
        a->idle_backfills = 0;
        a->idle_skipped_items = 0;
      } else {
        ++a->idle_backfills;
        a->idle_skipped_items += s.items_skipped;
      }
      if (a->idle_backfills >= kMaxIdleBackfills &&
          a->stored.backfill_state == BackfillState::kPending) {
        Page stop;
        stop.backfill_state = BackfillState::kIncomplete;
        // Say what was seen: pages of items that could not be stored are not
        // a server going in circles.
        stop.history_note =
            "backfill stopped: " + std::to_string(a->idle_backfills) +
            " pages in a row brought no new post" +
            (a->idle_skipped_items > 0
                 ? " (they held " + std::to_string(a->idle_skipped_items) +
                       " item(s) that could not be stored: implausible dates or no id, see the "
                       "poll log)"
                 : std::string(" (the server repeats pages or its cursor goes in circles)")) +
            "; older history may be missing";
        stop.batch.events.push_back({"history_incomplete", *stop.history_note});
        if (store_.commit_page(a->stored.id, stop, wall_of(now)).ok()) {
          a->stored.backfill_state = BackfillState::kIncomplete;
          a->stored.history_note = *stop.history_note;
        }
        log()->warn("{}: {}", a->label(), *stop.history_note);
        a->idle_backfills = 0;
        a->idle_skipped_items = 0;
      }
    }
    apply_outcome(*a, s.work, outcome, now);
    persist_runtime(*a, now);
    if (outcome.outcome != "ok" && outcome.outcome != "not_modified" &&
        outcome.outcome != "interrupted") {
      log()->warn("{} failed: account={} platform={} reason={}{}", work_kind_id(s.work), a->label(),
                  s.platform, outcome.outcome,
                  outcome.reason.empty() ? "" : " (" + outcome.reason + ")");
    } else if (s.work == WorkKind::kBackfill) {
      // One page: debug only. The account's backfill is summed up when it
      // ends (complete, stopped at its start date, or incomplete).
      a->backfill_pages += s.requests > 0 ? 1 : 0;
      if (id == s.accounts.front()) a->backfill_posts += s.posts_new;
      log()->debug("backfill {}: {} new posts in {} request(s)", s.label, s.posts_new, s.requests);
      if (a->stored.backfill_state != BackfillState::kPending && a->backfill_pages > 0) {
        log()->info("backfill {}: {} ({} posts in {} pages)", a->label(),
                    backfill_state_id(a->stored.backfill_state), a->backfill_posts,
                    a->backfill_pages);
        a->backfill_pages = 0;
        a->backfill_posts = 0;
      }
    } else if (id == s.accounts.front() && (s.posts_new > 0 || s.posts_updated > 0)) {
      log()->info("{} {}: {} new, {} updated posts in {} request(s)", work_kind_id(s.work), s.label,
                  s.posts_new, s.posts_updated, s.requests);
    }
    if (!stopping_) {
      for (int w = 0; w < kWorkKinds; ++w) {
        if (a->pending[w]) {
          a->pending[w] = false;
          enqueue(*a, work_of(w));
        }
      }
    }
  }
  sessions_.erase(s.id);  // s is gone from here on
}

void Engine::apply_outcome(AccountRt& a, WorkKind work, const Finish& f, TimeMs now) {
  AccountRuntime& rt = a.rt();
  if (f.outcome == "interrupted") return;
  rt.last_attempt_at = wall_of(now);  // rt keeps wall times: it is saved and shown
  // "not_modified" (a 304) is a success like "ok".
  const bool success = f.failure == FailureKind::kNone && !f.transient;
  if (success) {
    rt.failures = 0;
    rt.not_found_strikes = 0;
    rt.state = AccountState::kOk;
    rt.state_reason.clear();
    rt.backoff_until.reset();
    rt.last_success_at = wall_of(now);
    vault_.clear_rejected(a.stored.platform, a.credential_slot);
    if (work == WorkKind::kPoll) {
      a.polled = true;
      // Coverage: polls no more than three intervals apart observe the
      // account without a gap (docs/metrics.md).
      if (auto s = store_.extend_coverage(a.stored.id, wall_of(now), 3 * a.interval); !s.ok())
        log()->error("{}", s.error().message);
    }
  } else if (f.transient) {
    ++rt.failures;
    TimeMs until;
    if (f.retry_at) {
      until = *f.retry_at;  // the end of a rate limit or quota: no jitter needed
    } else {
      until = now + backoff_delay(a.once ? options_.once_backoff : options_.backoff, rt.failures,
                                  random_);
    }
    a.retry_at = until;
    rt.backoff_until = wall_of(until);
    rt.state = f.failure == FailureKind::kMalformed || f.failure == FailureKind::kNoProgress
                   ? AccountState::kDegraded
               : f.outcome == "rate_limited"        ? AccountState::kRateLimited
                                                    : AccountState::kBackingOff;
    rt.state_reason =
        f.retry_at ? f.reason : f.reason + " (retry in " + format_duration(until - now) + ")";
  } else if (f.failure == FailureKind::kNotFound) {
    ++rt.not_found_strikes;
    if (rt.not_found_strikes >= options_.not_found_confirmations) {
      rt.state = AccountState::kNotFound;
      rt.state_reason = f.reason;
    } else {
      rt.state = AccountState::kBackingOff;
      rt.state_reason = f.reason + " (not found " + std::to_string(rt.not_found_strikes) + " of " +
                        std::to_string(options_.not_found_confirmations) + " times; confirming)";
    }
  } else {
    rt.state = state_for(f.failure);
    rt.state_reason = f.reason;
    if (f.failure == FailureKind::kAuthFailed)
      vault_.mark_rejected(a.stored.platform, a.credential_slot, f.reason);
  }

  // What comes next in daemon mode. In once mode the same times are recorded
  // (they are saved for the daemon's next start) but no timer is set: the
  // once progression decides.
  const bool push = !a.once;
  if (success) {
    if (work == WorkKind::kPoll) {
      // The next poll slot was set when this one started. Refreshes and
      // comment sweeps start their rhythm after the first good poll.
      for (const WorkKind w : {WorkKind::kRefresh, WorkKind::kComments}) {
        const DurationMs every = work_interval(a, w);
        if (every > 0 && a.next_at[idx(w)] == 0) schedule(a, w, now + every, push);
      }
      a.backfill_idle = false;
    } else if (work == WorkKind::kRefresh || work == WorkKind::kComments) {
      const DurationMs every = work_interval(a, work);
      if (every > 0) schedule(a, work, now + every, push);
    }
    if (push && a.stored.backfill_state == BackfillState::kPending && a.polled && !a.backfill_idle)
      enqueue(a, WorkKind::kBackfill);
  } else if (f.transient) {
    schedule(a, work, a.retry_at, push);
  } else if (f.failure == FailureKind::kNotFound && rt.state != AccountState::kNotFound) {
    schedule(a, WorkKind::kPoll, now + std::min<DurationMs>(a.interval, 15 * kMinuteMs), push);
  } else {
    // Terminal states are re-checked now and then: accounts come back.
    schedule(a, WorkKind::kPoll, now + options_.recheck_interval_ms, push);
  }
  if (a.once && !a.once_done) once_progress(a, work, f, success, now);
}

// poll --once: poll, then backfill until done, then one refresh and one
// comment sweep where the platform has them.
void Engine::once_progress(AccountRt& a, WorkKind work, const Finish& f, bool success, TimeMs now) {
  auto next_after = [&](WorkKind w) -> std::optional<WorkKind> {
    const int from = idx(w);
    // The order of a once run: poll, backfill, refresh, comments.
    const WorkKind order[] = {WorkKind::kPoll, WorkKind::kBackfill, WorkKind::kRefresh,
                              WorkKind::kComments};
    bool past = false;
    for (const WorkKind k : order) {
      if (past) {
        if (k == WorkKind::kBackfill) {
          if (a.stored.backfill_state == BackfillState::kPending && !a.backfill_idle) return k;
          continue;
        }
        if (work_interval(a, k) > 0) return k;
        continue;
      }
      if (idx(k) == from) past = true;
    }
    return std::nullopt;
  };
  std::optional<WorkKind> next;
  if (success) {
    a.once_attempts = 0;
    next = work == WorkKind::kBackfill && a.stored.backfill_state == BackfillState::kPending &&
                   !a.backfill_idle
               ? std::optional<WorkKind>(WorkKind::kBackfill)
               : next_after(work);
  } else if (f.transient && (!f.retry_at || *f.retry_at - now <= kMinuteMs) &&
             ++a.once_attempts < options_.once_max_attempts) {
    // Retried within the run; a wait longer than a minute (a spent quota, a
    // long rate limit) ends the account's run instead.
    ++a.generation[idx(work)];
    due_.push(DueEntry{a.retry_at, a.stored.id, work, a.generation[idx(work)]});
    return;
  } else {
    a.once_attempts = 0;
    // A failed backfill moves on to the refresh; a failed poll ends the run.
    next = work == WorkKind::kPoll ? std::nullopt : next_after(work);
  }
  if (!next) {
    a.once_done = true;
    --once_pending_;
  } else {
    enqueue(a, *next);
  }
}

void Engine::persist_runtime(AccountRt& a, TimeMs now) {
  // The timers are timer time; the store keeps wall time.
  AccountRuntime rt = a.rt();
  rt.next_due_at = a.next_at[idx(WorkKind::kPoll)] != 0
                       ? std::optional<TimeMs>(wall_of(a.next_at[idx(WorkKind::kPoll)]))
                       : std::nullopt;
  rt.next_refresh_at = a.next_at[idx(WorkKind::kRefresh)] != 0
                           ? std::optional<TimeMs>(wall_of(a.next_at[idx(WorkKind::kRefresh)]))
                           : std::nullopt;
  if (auto s = store_.save_account_runtime(a.stored.id, rt, wall_of(now)); !s.ok())
    log()->error("{}", s.error().message);
}

TimeMs Engine::next_wakeup(TimeMs now) const {
  TimeMs next = now + 60 * kSecondMs;
  if (!due_.empty()) next = std::min(next, due_.top().at);
  for (const auto& [key, host] : hosts_) {
    if (!host->waiting.empty() && host->wake_at > 0) next = std::min(next, host->wake_at);
  }
  return next;
}

void Engine::step(int max_wait_ms) {
  TimeMs now = timer_now();
  queue_due(now);
  for (auto& [key, host] : hosts_) dispatch(*host, now);
  const TimeMs wake = next_wakeup(now);
  const int wait = static_cast<int>(std::clamp<TimeMs>(wake - now, 0, max_wait_ms));
  for (auto& c : transport_.poll(wait)) on_completion(c.tag, std::move(c.response));
  now = timer_now();
  queue_due(now);
  for (auto& [key, host] : hosts_) dispatch(*host, now);
}

void Engine::abort_in_flight() {
  const TimeMs now = timer_now();
  std::vector<uint64_t> ids;
  for (const auto& [id, s] : sessions_) ids.push_back(id);
  for (const uint64_t id : ids) {
    const auto it = sessions_.find(id);
    if (it != sessions_.end()) {
      finish(
          *it->second,
          Finish{"interrupted", FailureKind::kNone, false, "stopped before the answer arrived", 0},
          now);
    }
  }
}

EngineSummary Engine::summary() const {
  EngineSummary out;
  for (const auto& a : accounts_) {
    const AccountState st = a->stored.runtime.state;
    ++out.accounts_by_state[std::string(account_state_id(st))];
    if (is_healthy(st)) {
      ++out.ok;
    } else if (st == AccountState::kBackingOff || st == AccountState::kRateLimited) {
      ++out.backing_off;
    } else if (st == AccountState::kUnsupported) {
      ++out.unsupported;
    } else {
      ++out.failing;
    }
  }
  out.sessions = static_cast<int>(sessions_.size());
  out.in_flight = static_cast<int>(transport_.in_flight());
  return out;
}

std::vector<HostStatusRow> Engine::host_status() const {
  std::vector<HostStatusRow> rows;
  const TimeMs now = timer_now();
  auto wall = [&](std::optional<TimeMs> t) {
    return t ? std::optional<TimeMs>(wall_of(*t)) : std::nullopt;
  };
  for (const auto& [key, h] : hosts_) {
    HostStatusRow r;
    r.host = key;
    r.platform = h->platform;
    r.limit = h->limiter.limit();
    r.remaining = h->limiter.remaining();
    r.window_ms = h->limiter.window_ms();
    r.reset_at = wall(h->limiter.reset_at(now));
    r.wait_until = wall(h->limiter.blocked_until(now));
    if (!r.wait_until && !h->waiting.empty() && h->wake_at > now) r.wait_until = wall(h->wake_at);
    r.budget_source = h->limiter.source();
    r.in_flight = h->in_flight;
    r.queued = 0;
    for (const auto& q : h->queue) r.queued += static_cast<int>(q.size());
    r.queued += static_cast<int>(h->waiting.size());
    r.requests_total = h->requests_total;
    r.rate_limited_total = h->rate_limited_total;
    r.updated_at = wall_of(now);
    rows.push_back(std::move(r));
  }
  return rows;
}

std::vector<BudgetRow> Engine::budget_status() const {
  std::vector<BudgetRow> rows;
  const TimeMs now = clock_.now();
  for (const auto& [scope, b] : budgets_) {
    BudgetRow r;
    r.scope = scope;
    r.platform = scope.substr(0, scope.find('#'));
    r.policy = std::string(budget_policy_id(b->spec().policy));
    r.units = b->units();
    r.spent = b->spent(now);
    const BudgetState st = b->state();
    r.period_start = st.period_start != 0 ? std::optional<TimeMs>(st.period_start) : std::nullopt;
    r.blocked_until = b->blocked_until(now);
    r.next_reset = b->next_reset(now);
    r.log = st.log;
    r.updated_at = now;
    rows.push_back(std::move(r));
  }
  return rows;
}

void Engine::save_host_status() {
  if (auto s = store_.save_hosts(host_status()); !s.ok()) log()->error("{}", s.error().message);
  if (auto s = store_.save_budgets(budget_status()); !s.ok()) log()->error("{}", s.error().message);
}

}  // namespace muni
