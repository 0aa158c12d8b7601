#include "engine/engine.h"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "core/platform.h"
#include "core/strings.h"
#include "core/text_safety.h"
#include "engine/net_policy.h"
#include "engine/page_guard.h"

namespace muni {

namespace {

constexpr int kWorkKinds = 3;
int idx(WorkKind w) { return static_cast<int>(w); }
WorkKind work_of(int i) { return static_cast<WorkKind>(i); }

uint64_t fnv1a(std::string_view s) {
  uint64_t h = 14695981039346656037ULL;
  for (const char c : s) {
    h ^= static_cast<unsigned char>(c);
    h *= 1099511628211ULL;
  }
  return h;
}

std::string http_class(int status) {
  if (status == 0) return "transport";
  return std::to_string(status / 100) + "xx";
}

std::shared_ptr<spdlog::logger> log() {
  auto l = spdlog::get("engine");
  return l ? l : spdlog::default_logger();
}

// States in which an account is waiting for a periodic re-check rather than
// being polled normally.
bool is_terminal_state(const std::string& s) {
  return s == "not_found" || s == "gone" || s == "suspended" || s == "auth_required" ||
         s == "auth_failed" || s == "blocked" || s == "invalid_handle" || s == "refused" ||
         s == "duplicate";
}

// Consecutive backfill units that bring nothing new before the engine
// concludes that the server's paging goes in circles (a server that ignores
// max_id, a cursor that cycles). Short or empty pages with a cursor are
// normal now and then (atproto#2127); this many in a row are not.
constexpr int kMaxIdleBackfills = 5;

std::string clock_time(TimeMs t) {
  const std::string iso = format_iso8601(t - t % 1000);
  return iso;
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
  StoredAccount stored;
  const Connector* connector = nullptr;
  std::string host_key;
  DurationMs interval = kHourMs;
  TimeMs phase = 0;
  std::optional<std::string> base_url;
  std::optional<TimeMs> backfill_since;
  bool busy = false;
  WorkKind busy_work = WorkKind::kPoll;
  bool queued[kWorkKinds] = {};
  bool pending[kWorkKinds] = {};
  uint64_t generation[kWorkKinds] = {};
  TimeMs next_at[kWorkKinds] = {};  // 0: not scheduled
  bool polled = false;              // a poll succeeded since load: backfill may start
  int idle_backfills = 0;           // consecutive backfill units without a new post
  // The last backfill unit had nothing to ask (no position to page back
  // from yet): no further backfill until a poll succeeds.
  bool backfill_idle = false;
  // poll --once progress
  bool once = false;
  bool once_done = false;
  int once_attempts = 0;
};

struct Engine::HostRt {
  std::string key;
  std::string platform;
  int cap = 4;
  RateLimiter limiter{RateBudgetDefaults{}};
  int active = 0;
  int in_flight = 0;
  std::deque<int64_t> queue[kWorkKinds];
  std::deque<uint64_t> waiting;  // sessions whose next request waits for the budget
  TimeMs wake_at = 0;
  int64_t requests_total = 0;
  int64_t rate_limited_total = 0;
};

struct Engine::Session {
  uint64_t id = 0;
  int64_t account_id = 0;
  std::string platform;
  std::string account_key;
  WorkKind work = WorkKind::kPoll;
  std::string host_key;
  std::unique_ptr<ConnectorSession> impl;
  TimeMs started_at = 0;
  std::optional<HttpRequest> request;
  uint64_t transfer = 0;  // 0 when nothing is in flight
  int requests = 0;
  int posts_new = 0;
  int posts_updated = 0;
  int http_status = 0;
  int rate_limited = 0;
  int posts_deleted = 0;
  int items_skipped = 0;
  int redirects = 0;
  TimeMs sent_at = 0;  // when the request in flight was sent
  std::string notes;   // what the page guard corrected, for the poll log
};

Engine::Engine(const Clock& clock, Random& random, HttpTransport& transport, Store& store,
               const ConnectorRegistry& registry, EngineOptions options)
    : clock_(clock),
      random_(random),
      transport_(transport),
      store_(store),
      registry_(registry),
      options_(std::move(options)) {}

Engine::~Engine() = default;

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
    RateBudgetDefaults budget = a.connector->defaults().rate_budget;
    if (ps != nullptr && ps->rate_limit.requests > 0) {
      budget = RateBudgetDefaults{ps->rate_limit.requests, ps->rate_limit.window_ms};
    }
    slot->limiter = RateLimiter(budget);
    slot->cap = ps != nullptr && ps->max_connections_per_host
                    ? *ps->max_connections_per_host
                    : config_.defaults.max_connections_per_host;
  }
  return *slot;
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
  return v;
}

TimeMs Engine::slot_after(const AccountRt& a, TimeMs t) const {
  const DurationMs i = a.interval;
  const TimeMs k = (t - a.phase) >= 0 ? (t - a.phase) / i : -((a.phase - t + i - 1) / i);
  return (k + 1) * i + a.phase;
}

Status Engine::load(const Config& config) {
  // The engine needs defaults and platform settings; the municipality list
  // (the bulk of a national config) lives in the store and the caller's copy.
  config_ = config;
  config_.municipalities.clear();
  config_.municipalities.shrink_to_fit();
  const TimeMs now = clock_.now();
  // Credentials are read once per (re)load; a missing one is reported on the
  // platform's accounts, never logged with its value.
  credential_secrets_.clear();
  credential_failures_.clear();
  for (const auto& [platform, settings] : config.platforms) {
    if (!settings.credential.present()) continue;
    auto secret = read_credential(settings.credential);
    if (secret.ok()) {
      credential_secrets_[platform] = *secret;
    } else {
      credential_failures_[platform] = "credential not available: " + secret.error().message;
    }
  }
  MUNI_TRY(std::vector<StoredAccount> stored, store_.load_accounts(true));
  std::unordered_map<int64_t, AccountRt*> old = std::move(by_id_);
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
    const PlatformSettings* ps = config.platform(a.stored.platform);
    a.base_url = ps != nullptr ? ps->base_url : std::nullopt;
    a.interval = a.stored.interval_ms.value_or(
        ps != nullptr && ps->poll_interval ? *ps->poll_interval : config.defaults.poll_interval_ms);
    a.phase = static_cast<TimeMs>(fnv1a(a.stored.account_key) % static_cast<uint64_t>(a.interval));
    const std::optional<CivilDate> since =
        a.stored.backfill_since ? a.stored.backfill_since : config.defaults.backfill_since;
    a.backfill_since =
        since ? std::optional<TimeMs>(days_from_civil(*since) * kDayMs) : std::nullopt;
    by_id_[a.stored.id] = &a;
    accounts_.push_back(std::move(rt));
    if (a.connector == nullptr) {
      if (a.stored.state != "unsupported") {
        a.stored.state = "unsupported";
        a.stored.state_reason = "no " + a.stored.platform +
                                " connector in this build yet; the account counts "
                                "as configured presence only";
        persist_runtime(a, now);
      }
      continue;
    }
    a.host_key = a.connector->host_for(view_of(a));
    if (a.connector->defaults().uses_credential || credential_secrets_.count(a.stored.platform)) {
      a.host_key += "#" + a.stored.platform;  // budgets are per credential
    }
    host_for(a);
    if (const auto f = credential_failures_.find(a.stored.platform);
        f != credential_failures_.end()) {
      a.stored.state = "auth_failed";
      a.stored.state_reason = f->second;
      persist_runtime(a, now);
      continue;
    }
    const bool was_blocked = a.stored.state == "unsupported" || a.stored.state == "inactive" ||
                             (a.stored.state == "auth_failed" && !fresh);
    if (a.stored.state == "unsupported" || a.stored.state == "inactive") {
      a.stored.state = "pending";
      a.stored.state_reason.clear();
    }
    if (fresh) {
      TimeMs due = now;
      if (a.stored.next_due_at) {
        due = std::max(now, *a.stored.next_due_at);
      } else if (a.stored.last_attempt_at) {
        due = std::max(now, slot_after(a, *a.stored.last_attempt_at));
      }
      if (a.stored.backoff_until && *a.stored.backoff_until > due) due = *a.stored.backoff_until;
      schedule(a, WorkKind::kPoll, due);
      if (a.stored.last_success_at) {
        a.polled = !is_terminal_state(a.stored.state);
        schedule(a, WorkKind::kRefresh,
                 a.stored.next_refresh_at ? std::max(now, *a.stored.next_refresh_at)
                                          : now + options_.refresh_interval_ms);
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
  resolve_duplicates(now);
  return ok_status();
}

std::string Engine::scrub(std::string text) const {
  // A server may echo the request (and its key) in an error body; nothing
  // the engine logs or stores may carry a secret, however it got there.
  for (const auto& [platform, secret] : credential_secrets_) {
    if (secret.size() < 4) continue;
    for (const std::string& form : {secret, url_encode(secret)}) {
      for (size_t at = text.find(form); at != std::string::npos; at = text.find(form, at))
        text.replace(at, form.size(), "[secret]");
    }
  }
  return text;
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
    const auto [it, inserted] = identities_.emplace(identity_of(*a, a->stored.platform_id), a->stored.id);
    if (inserted) {
      if (a->stored.duplicate_of) {
        // Its primary is gone from the configuration (or changed): poll it again.
        a->stored.duplicate_of.reset();
        (void)store_.set_duplicate_of(a->stored.id, std::nullopt);
        a->stored.state = "pending";
        a->stored.state_reason = "no longer a duplicate of another configured account";
        persist_runtime(*a, now);
        schedule(*a, WorkKind::kPoll, now);
      }
      continue;
    }
    const AccountRt* primary = account(it->second);
    mark_duplicate(*a, *primary, now);
  }
}

void Engine::mark_duplicate(AccountRt& a, const AccountRt& primary, TimeMs now) {
  a.stored.duplicate_of = primary.stored.id;
  (void)store_.set_duplicate_of(a.stored.id, primary.stored.id);
  a.stored.state = "duplicate";
  a.stored.state_reason = "the same account as " + primary.stored.municipality_id + "/" +
                          primary.stored.account_key + " (both are " + a.stored.platform_id +
                          " on " + a.host_key + "); polled and counted once, as that account";
  for (uint64_t& g : a.generation) ++g;  // its timers are void
  for (int w = 0; w < kWorkKinds; ++w) a.pending[w] = false;
  persist_runtime(a, now);
  log()->warn("{}/{}: {}", a.stored.municipality_id, a.stored.account_key,
              a.stored.state_reason);
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
  host_for(a).queue[w].push_back(a.stored.id);
}

void Engine::poll_came_due(AccountRt& a, TimeMs now) {
  const int w = idx(WorkKind::kPoll);
  if (!a.once && (a.queued[w] || a.pending[w] || (a.busy && a.busy_work == WorkKind::kPoll))) {
    // The previous poll has not finished (or not even started): this one is
    // skipped, counted, and the rhythm continues with the next slot.
    ++a.stored.skipped_polls;
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
  const TimeMs now = clock_.now();
  for (const int64_t id : account_ids) {
    AccountRt* a = account(id);
    if (a == nullptr || !pollable(*a) || a->stored.state == "auth_failed") continue;
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
}

bool Engine::once_finished() const { return once_mode_ && once_pending_ == 0 && sessions_.empty(); }

void Engine::dispatch(HostRt& host, TimeMs now) {
  while (true) {
    if (!host.waiting.empty()) {
      const TimeMs wait = host.limiter.try_acquire(now, host.in_flight);
      if (wait != 0) {
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
    // Fresh polls first, then refreshes; backfill only with budget to spare
    // and nothing fresher waiting.
    int pick = -1;
    if (!host.queue[idx(WorkKind::kPoll)].empty()) {
      pick = idx(WorkKind::kPoll);
    } else if (!host.queue[idx(WorkKind::kRefresh)].empty()) {
      pick = idx(WorkKind::kRefresh);
    } else if (!host.queue[idx(WorkKind::kBackfill)].empty() &&
               (once_mode_ || host.limiter.headroom(now) > options_.backfill_reserve)) {
      pick = idx(WorkKind::kBackfill);
    }
    if (pick < 0) return;
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
    start_session(*a, work_of(pick), now);
  }
}

void Engine::start_session(AccountRt& a, WorkKind work, TimeMs now) {
  AccountView view = view_of(a);
  if (work == WorkKind::kRefresh) {
    view.refresh_since = now - options_.refresh_window_ms;
    auto ids = store_.recent_post_ids(a.stored.id, view.refresh_since, options_.refresh_max_posts);
    if (ids.ok()) view.refresh_ids = std::move(*ids);
  }
  auto session = std::make_unique<Session>();
  Session& s = *session;
  s.id = next_session_id_++;
  s.account_id = a.stored.id;
  s.platform = a.stored.platform;
  s.account_key = a.stored.municipality_id + "/" + a.stored.account_key;
  s.work = work;
  s.host_key = a.host_key;
  s.started_at = now;
  a.busy = true;
  a.busy_work = work;
  // The next poll is due at the next slot whether or not this one finishes
  // in time; if it does not, that poll is skipped and counted.
  if (work == WorkKind::kPoll) schedule(a, WorkKind::kPoll, slot_after(a, now), !a.once);
  HostRt& host = host_for(a);
  ++host.active;
  sessions_[s.id] = std::move(session);
  StepResult first;
  try {
    s.impl = a.connector->begin(view, work);
    first = s.impl->start();
  } catch (const std::exception& e) {
    first = StepResult::fail(FailureKind::kMalformed, std::string("connector error: ") + e.what());
  }
  handle_step(s, std::move(first), now);
}

bool Engine::admit_page(Session& s, Page& page, TimeMs now) {
  AccountRt* a = account(s.account_id);
  // What may be stored at all: the same rules for every connector.
  const PlatformInfo* info = find_platform(s.platform);
  const PageAudit audit = guard_page(page, info != nullptr ? info->earliest_item_ms : 0, now);
  if (!audit.clean()) {
    const std::string summary = audit.summary();
    s.items_skipped += static_cast<int>(audit.skipped.size());
    counters_.items_skipped += static_cast<int64_t>(audit.skipped.size());
    if (s.notes.size() < 2000) s.notes += (s.notes.empty() ? "" : "; ") + summary;
    std::string detail;
    for (size_t i = 0; i < audit.skipped.size() && i < 3; ++i) {
      detail += (i ? "; " : " (") + (audit.skipped[i].id.empty() ? "" : audit.skipped[i].id + ": ") +
                audit.skipped[i].reason;
    }
    if (!detail.empty()) detail += audit.skipped.size() > 3 ? "; ...)" : ")";
    log()->warn("{} {}: {}{}", work_kind_id(s.work), s.account_key, summary,
                scrub(printable(detail)));
  }
  // A newly resolved id that another configured account already has: the
  // same platform account under a second spelling. Nothing of it is stored.
  std::string resolved = page.platform_id.value_or("");
  if (resolved.empty() && page.batch.snapshot) resolved = page.batch.snapshot->platform_id;
  if (a != nullptr && !resolved.empty()) {
    const std::string identity = identity_of(*a, resolved);
    const auto it = identities_.find(identity);
    if (it != identities_.end() && it->second != a->stored.id) {
      if (const AccountRt* primary = account(it->second); primary != nullptr) {
        a->stored.platform_id = resolved;
        mark_duplicate(*a, *primary, now);
        finish(s, Finish{"duplicate", FailureKind::kDuplicate, false, a->stored.state_reason, 0},
               now);
        return false;
      }
    }
    if (resolved != a->stored.platform_id) {
      if (!a->stored.platform_id.empty()) identities_.erase(identity_of(*a, a->stored.platform_id));
      identities_[identity] = a->stored.id;
    }
  }
  return true;
}

void Engine::handle_step(Session& s, StepResult step, TimeMs now) {
  if (step.page && !admit_page(s, *step.page, now)) return;  // s is gone
  if (step.page && !step.page->empty()) {
    auto counts = store_.commit_page(s.account_id, *step.page, now);
    if (!counts.ok()) {
      finish(s, Finish{"storage_error", FailureKind::kNone, true, counts.error().message, 0}, now);
      return;
    }
    s.posts_new += counts->posts_new;
    s.posts_updated += counts->posts_updated;
    s.posts_deleted += counts->posts_deleted;
    counters_.posts_new += counts->posts_new;
    counters_.posts_updated += counts->posts_updated;
    counters_.posts_deleted += counts->posts_deleted;
    if (AccountRt* a = account(s.account_id)) {
      const Page& p = *step.page;
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
    s.request = std::move(step.request);
    hosts_.at(s.host_key)->waiting.push_back(s.id);
    return;
  }
  if (step.done) {
    finish(s, Finish{"ok", FailureKind::kNone, false, step.reason, s.http_status}, now);
    return;
  }
  finish(s,
         Finish{"internal_error", FailureKind::kNone, true,
                "connector neither requested nor finished", 0},
         now);
}

void Engine::send_ready(HostRt& host, Session& s, TimeMs now) {
  HttpRequest req = *s.request;
  // The engine, not the connector, attaches secrets.
  if (req.credential.kind != CredentialUse::Kind::kNone) {
    const auto secret = credential_secrets_.find(s.platform);
    if (secret != credential_secrets_.end()) {
      if (req.credential.kind == CredentialUse::Kind::kBearerHeader) {
        req.headers.push_back({"Authorization", "Bearer " + secret->second});
      } else {
        req.url += (req.url.find('?') == std::string::npos ? "?" : "&") + req.credential.parameter +
                   "=" + url_encode(secret->second);
      }
    }
  }
  if (req.conditional) {
    auto cached = store_.http_cache_get(s.request->url);
    if (cached.ok() && cached->has_value()) {
      if (!(*cached)->etag.empty()) req.headers.push_back({"If-None-Match", (*cached)->etag});
      if (!(*cached)->last_modified.empty())
        req.headers.push_back({"If-Modified-Since", (*cached)->last_modified});
    }
  }
  s.transfer = next_transfer_id_++;
  s.sent_at = now;
  transfer_to_session_[s.transfer] = s.id;
  ++host.in_flight;
  ++host.requests_total;
  ++s.requests;
  ++counters_.requests;
  log()->debug("{} {} {}", s.account_key, req.method, scrub(redact_url(req.url)));
  transport_.start(s.transfer, req);
}

void Engine::note_rate_limited(HostRt& host, TimeMs until, const std::string& why, TimeMs now) {
  // Every account waiting on this host shows why it waits.
  const std::string reason =
      "rate-limited by " + host.key + " until " + clock_time(until) + " (" + why + ")";
  for (const uint64_t sid : host.waiting) {
    const auto it = sessions_.find(sid);
    if (it == sessions_.end()) continue;
    if (AccountRt* a = account(it->second->account_id)) {
      a->stored.state = "rate_limited";
      a->stored.state_reason = reason;
      persist_runtime(*a, now);
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
  const TimeMs now = clock_.now();
  HostRt& host = *hosts_.at(s.host_key);
  --host.in_flight;
  ++counters_.http[{s.platform, http_class(response.status)}];
  if (response.status != 0) s.http_status = response.status;
  host.limiter.observe(response, now);
  // The connector sees the URL it asked for, never one with the engine's
  // credential in it.
  response.url = s.request ? s.request->url : std::string();
  const std::string url = printable(redact_url(response.url), 300);
  if (s.request && s.request->optional && !is_redirect_status(response.status)) {
    // The connector copes with any answer to an optional request itself.
    handle_step(s, s.impl->on_response(response), now);
    return;
  }
  if (response.status == 0) {
    if (response.refused) {
      log()->warn("{}: {} ({})", s.account_key, scrub(response.transport_error), scrub(url));
      finish(s, Finish{"refused", FailureKind::kRefused, false,
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
          *refusal + "; if the new place is legitimate, update the handle or list its host in "
          "platforms." + s.platform + ".redirect_hosts";
      log()->warn("{}: {}", s.account_key, scrub(reason));
      finish(s, Finish{"refused", FailureKind::kRefused, false, reason, response.status}, now);
      return;
    }
    log()->debug("{}: following redirect to {}", s.account_key, scrub(redact_url(*target)));
    s.request->url = *target;
    host.waiting.push_front(s.id);
    return;
  }
  const bool overloaded = response.status == 503 && response.header("Retry-After").has_value();
  if (response.status == 429 || overloaded) {
    // 429, and 503 with Retry-After (RFC 9110 15.6.4): hold the whole host
    // until the announced time, then retry this request first.
    ++host.rate_limited_total;
    ++counters_.rate_limit_waits;
    host.limiter.on_too_many_requests(response, now, s.sent_at);
    const TimeMs until = host.limiter.blocked_until(now).value_or(now);
    const std::string why = "HTTP " + std::to_string(response.status) +
                            (response.header("Retry-After") ? " with Retry-After"
                                                             : " without a reset hint");
    if (++s.rate_limited > options_.max_rate_limit_retries) {
      finish(s,
             Finish{"rate_limited", FailureKind::kNone, true,
                    "rate-limited by " + host.key + " until " + clock_time(until) + " (" + why +
                        ", " + std::to_string(s.rate_limited) + " times in a row)",
                    response.status},
             now);
    } else {
      host.waiting.push_front(s.id);  // retried first once the host's wait is over
      log()->info("{}: {} from {}; holding {} until {}", s.account_key, why, scrub(url), host.key,
                  clock_time(until));
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
  if (credential_secrets_.count(s.platform)) {
    // A server that echoes the request hands the key back: connectors never
    // see a secret, not even that way.
    response.body = scrub(std::move(response.body));
    for (HttpHeader& h : response.headers) h.value = scrub(std::move(h.value));
  }
  const bool conditional_ok = s.request && s.request->conditional && response.status == 200;
  const std::string request_url = s.request ? s.request->url : std::string();
  StepResult step;
  try {
    step = s.impl->on_response(response);
  } catch (const std::exception& e) {
    step = StepResult::fail(FailureKind::kMalformed, std::string("connector error: ") + e.what(),
                            response.status);
  }
  if (conditional_ok && step.failure == FailureKind::kNone) {
    // Validators are saved only once the page they belong to is accepted, so
    // a 304 can never hide a page that was not stored.
    HttpCacheEntry entry{response.header("ETag").value_or(""),
                         response.header("Last-Modified").value_or("")};
    if (!entry.etag.empty() || !entry.last_modified.empty())
      (void)store_.http_cache_put(request_url, entry, now);
  }
  handle_step(s, std::move(step), now);
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
  PollLogEntry entry;
  entry.account_id = s.account_id;
  entry.work = std::string(work_kind_id(s.work));
  entry.started_at = s.started_at;
  entry.ended_at = now;
  entry.outcome = f.outcome;
  entry.http_status = f.http_status != 0 ? f.http_status : s.http_status;
  // Reasons quote servers; what is stored and logged has no control
  // characters (a 404 body could otherwise forge log lines or move a cursor).
  const std::string reason = scrub(printable(f.reason, 1000));
  entry.error = reason;
  entry.posts_new = s.posts_new;
  entry.posts_updated = s.posts_updated;
  entry.requests = s.requests;
  entry.items_skipped = s.items_skipped;
  entry.notes = scrub(s.notes);
  if (auto st = store_.log_poll(entry); !st.ok()) log()->error("poll log: {}", st.error().message);
  ++counters_.polls[{s.platform, f.outcome}];

  if (AccountRt* a = account(s.account_id)) {
    a->busy = false;
    Finish outcome = f;
    outcome.reason = reason;
    if (s.work == WorkKind::kBackfill && f.outcome == "ok" && s.requests == 0) {
      a->backfill_idle = true;
    } else if (s.work == WorkKind::kBackfill && f.outcome == "ok") {
      // Paging that goes in circles (a server that ignores max_id, a cursor
      // that cycles) brings nothing new page after page: stop it with a
      // clear state instead of polling forever.
      a->idle_backfills = s.posts_new > 0 ? 0 : a->idle_backfills + 1;
      if (a->idle_backfills >= kMaxIdleBackfills &&
          a->stored.backfill_state == BackfillState::kPending) {
        Page stop;
        stop.backfill_state = BackfillState::kIncomplete;
        stop.history_note = "backfill stopped: " + std::to_string(a->idle_backfills) +
                            " pages in a row brought no new post (the server repeats pages or "
                            "its cursor goes in circles); older history may be missing";
        stop.batch.events.push_back({"history_incomplete", *stop.history_note});
        if (store_.commit_page(a->stored.id, stop, now).ok()) {
          a->stored.backfill_state = BackfillState::kIncomplete;
          a->stored.history_note = *stop.history_note;
        }
        log()->warn("{}: {}", s.account_key, *stop.history_note);
        a->idle_backfills = 0;
      }
    }
    apply_outcome(*a, s.work, outcome, now);
    persist_runtime(*a, now);
    if (f.outcome != "ok" && f.outcome != "interrupted") {
      log()->warn("{} failed: account={} platform={} reason={}{}", work_kind_id(s.work),
                  s.account_key, s.platform, f.outcome, reason.empty() ? "" : " (" + reason + ")");
    } else if (s.posts_new > 0 || s.posts_updated > 0) {
      log()->info("{} {}: {} new, {} updated posts in {} request(s)", work_kind_id(s.work),
                  s.account_key, s.posts_new, s.posts_updated, s.requests);
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
  StoredAccount& st = a.stored;
  if (f.outcome == "interrupted") return;
  st.last_attempt_at = now;
  const bool success = f.failure == FailureKind::kNone && !f.transient;
  if (success) {
    st.failures = 0;
    st.not_found_strikes = 0;
    st.state = "ok";
    st.state_reason.clear();
    st.backoff_until.reset();
    st.last_success_at = now;
    credential_failures_.erase(st.platform);
    if (work == WorkKind::kPoll) {
      a.polled = true;
      // Coverage: polls no more than three intervals apart observe the
      // account without a gap (docs/metrics.md).
      if (auto s = store_.extend_coverage(st.id, now, 3 * a.interval); !s.ok())
        log()->error("{}", s.error().message);
    }
  } else if (f.transient) {
    ++st.failures;
    const DurationMs delay =
        backoff_delay(a.once ? options_.once_backoff : options_.backoff, st.failures, random_);
    st.backoff_until = now + delay;
    st.state = f.failure == FailureKind::kMalformed ? "degraded"
               : f.outcome == "rate_limited"        ? "rate_limited"
                                                    : "backing_off";
    st.state_reason = f.reason + " (retry in " + format_duration(delay) + ")";
  } else if (f.failure == FailureKind::kNotFound) {
    ++st.not_found_strikes;
    if (st.not_found_strikes >= options_.not_found_confirmations) {
      st.state = "not_found";
      st.state_reason = f.reason;
    } else {
      st.state = "backing_off";
      st.state_reason = f.reason + " (not found " + std::to_string(st.not_found_strikes) + " of " +
                        std::to_string(options_.not_found_confirmations) + " times; confirming)";
    }
  } else {
    st.state = std::string(failure_kind_id(f.failure));
    st.state_reason = f.reason;
    if (f.failure == FailureKind::kAuthFailed) credential_failures_[st.platform] = f.reason;
  }

  // What comes next in daemon mode. In once mode the same times are recorded
  // (they are saved for the daemon's next start) but no timer is set: the
  // once progression below decides.
  const bool push = !a.once;
  if (success) {
    if (work == WorkKind::kPoll) {
      // The next poll slot was set when this one started.
      if (a.next_at[idx(WorkKind::kRefresh)] == 0) {
        schedule(a, WorkKind::kRefresh, now + options_.refresh_interval_ms, push);
      }
    } else if (work == WorkKind::kRefresh) {
      schedule(a, WorkKind::kRefresh, now + options_.refresh_interval_ms, push);
    }
    if (work == WorkKind::kPoll) a.backfill_idle = false;
    if (push && st.backfill_state == BackfillState::kPending && a.polled && !a.backfill_idle)
      enqueue(a, WorkKind::kBackfill);
  } else if (f.transient) {
    schedule(a, work, *st.backoff_until, push);
  } else if (f.failure == FailureKind::kNotFound && st.state != "not_found") {
    schedule(a, WorkKind::kPoll, now + std::min<DurationMs>(a.interval, 15 * kMinuteMs), push);
  } else {
    // Terminal states are re-checked now and then: accounts come back.
    schedule(a, WorkKind::kPoll, now + options_.recheck_interval_ms, push);
  }
  if (!a.once || a.once_done) return;

  // poll --once: poll, then backfill until done, then one refresh.
  WorkKind next = work;
  bool done = false;
  if (success) {
    a.once_attempts = 0;
    if (work == WorkKind::kRefresh) {
      done = true;
    } else {
      next =
          st.backfill_state == BackfillState::kPending && !a.backfill_idle ? WorkKind::kBackfill
                                                                           : WorkKind::kRefresh;
    }
  } else if (f.transient && ++a.once_attempts < options_.once_max_attempts) {
    ++a.generation[idx(work)];
    due_.push(DueEntry{*st.backoff_until, st.id, work, a.generation[idx(work)]});
    return;
  } else {
    a.once_attempts = 0;
    if (work == WorkKind::kBackfill) {
      next = WorkKind::kRefresh;
    } else {
      done = true;
    }
  }
  if (done) {
    a.once_done = true;
    --once_pending_;
  } else {
    enqueue(a, next);
  }
}

void Engine::persist_runtime(AccountRt& a, TimeMs now) {
  const StoredAccount& st = a.stored;
  AccountRuntime rt;
  rt.state = st.state;
  rt.state_reason = st.state_reason;
  rt.last_attempt_at = st.last_attempt_at;
  rt.last_success_at = st.last_success_at;
  if (a.next_at[idx(WorkKind::kPoll)] != 0) rt.next_due_at = a.next_at[idx(WorkKind::kPoll)];
  if (a.next_at[idx(WorkKind::kRefresh)] != 0)
    rt.next_refresh_at = a.next_at[idx(WorkKind::kRefresh)];
  rt.backoff_until = st.backoff_until;
  rt.failures = st.failures;
  rt.not_found_strikes = st.not_found_strikes;
  rt.skipped_polls = st.skipped_polls;
  if (auto s = store_.save_account_runtime(st.id, rt, now); !s.ok())
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
  TimeMs now = clock_.now();
  queue_due(now);
  for (auto& [key, host] : hosts_) dispatch(*host, now);
  const TimeMs wake = next_wakeup(now);
  const int wait = static_cast<int>(std::clamp<TimeMs>(wake - now, 0, max_wait_ms));
  for (auto& c : transport_.poll(wait)) on_completion(c.tag, std::move(c.response));
  now = clock_.now();
  queue_due(now);
  for (auto& [key, host] : hosts_) dispatch(*host, now);
}

void Engine::abort_in_flight() {
  const TimeMs now = clock_.now();
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
    const std::string& st = a->stored.state;
    ++out.accounts_by_state[st];
    if (st == "ok" || st == "pending" || st == "duplicate") {
      ++out.ok;  // a duplicate is polled, as its primary
    } else if (st == "backing_off" || st == "rate_limited") {
      ++out.backing_off;
    } else if (st == "unsupported") {
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
  const TimeMs now = clock_.now();
  for (const auto& [key, h] : hosts_) {
    HostStatusRow r;
    r.host = key;
    r.platform = h->platform;
    r.limit = h->limiter.limit();
    r.remaining = h->limiter.remaining();
    r.window_ms = h->limiter.window_ms();
    r.reset_at = h->limiter.reset_at(now);
    r.wait_until = h->limiter.blocked_until(now);
    if (!r.wait_until && !h->waiting.empty() && h->wake_at > now) r.wait_until = h->wake_at;
    r.budget_source = h->limiter.source();
    r.in_flight = h->in_flight;
    r.queued = static_cast<int>(h->queue[0].size() + h->queue[1].size() + h->queue[2].size() +
                                h->waiting.size());
    r.requests_total = h->requests_total;
    r.rate_limited_total = h->rate_limited_total;
    r.updated_at = now;
    rows.push_back(std::move(r));
  }
  return rows;
}

void Engine::save_host_status() {
  if (auto s = store_.save_hosts(host_status()); !s.ok()) log()->error("{}", s.error().message);
  for (const auto& [platform, reason] : credential_failures_) {
    (void)store_.set_meta("credential_state:" + platform, "auth_failed: " + reason);
  }
}

}  // namespace muni
