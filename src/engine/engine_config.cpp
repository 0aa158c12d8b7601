// Configuration reconciliation (engine_config.h).
#include "engine/engine_config.h"

#include <algorithm>

#include "core/strings.h"
#include "engine/engine_schedule.h"
#include "engine/engine_state.h"

namespace muni {

using namespace engine_detail;

DurationMs poll_interval_for(std::optional<DurationMs> own, const PlatformDescriptor* platform,
                             const PlatformSettings* settings, DurationMs general_default) {
  const WorkSpec* poll_spec = platform != nullptr ? platform->work_spec(WorkKind::kPoll) : nullptr;
  const DurationMs platform_default =
      poll_spec != nullptr && poll_spec->interval_ms > 0 ? poll_spec->interval_ms : general_default;
  return own.value_or(settings != nullptr && settings->poll_interval ? *settings->poll_interval
                                                                     : platform_default);
}

TimeMs poll_phase(const std::string& account_key, DurationMs interval) {
  return static_cast<TimeMs>(fnv1a64(account_key) % static_cast<uint64_t>(interval));
}

TimeMs first_poll_due(TimeMs now, const SavedTimes& saved, DurationMs interval, TimeMs phase) {
  TimeMs due = now;
  if (saved.next_due) {
    due = std::max(now, *saved.next_due);
  } else if (saved.last_attempt) {
    due = std::max(now, next_slot(*saved.last_attempt, interval, phase));
  }
  if (saved.backoff_until && *saved.backoff_until > due) due = *saved.backoff_until;
  return due;
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
  std::unordered_map<int64_t, std::unique_ptr<AccountRt>> owned;
  for (auto& a : accounts_) owned[a->stored.id] = std::move(a);
  by_id_.clear();
  accounts_.clear();

  for (StoredAccount& s : stored) {
    std::unique_ptr<AccountRt> rt = adopt_account(std::move(s), owned);
    AccountRt& a = *rt;
    const bool fresh = a.next_at[idx(WorkKind::kPoll)] == 0;
    const DurationMs old_interval = a.interval;
    configure_account(a, config, slots);
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
    place_account(a);
    if (!credential_admits(a, now)) continue;
    // A state only a (re)load can end starts over as pending.
    const AccountState st = a.rt().state;
    const bool was_blocked = st == AccountState::kUnsupported || st == AccountState::kInactive ||
                             (st == AccountState::kAuthFailed && !fresh);
    if (st == AccountState::kUnsupported || st == AccountState::kInactive ||
        st == AccountState::kAuthFailed) {
      a.rt().state = AccountState::kPending;
      a.rt().state_reason.clear();
    }
    schedule_loaded(a, fresh, was_blocked, old_interval, now);
  }
  if (!owned.empty()) {
    log()->info("{} account(s) no longer configured; their history stays in the store",
                owned.size());
  }
  load_budgets(now);
  resolve_duplicates(now);
  return ok_status();
}

std::unique_ptr<Engine::AccountRt> Engine::adopt_account(
    StoredAccount stored, std::unordered_map<int64_t, std::unique_ptr<AccountRt>>& owned) {
  const auto it = owned.find(stored.id);
  if (it == owned.end()) {
    auto rt = std::make_unique<AccountRt>();
    rt->stored = std::move(stored);
    return rt;
  }
  std::unique_ptr<AccountRt> rt = std::move(it->second);
  owned.erase(it);
  // Configuration fields may have changed; saved state stays as the engine
  // has it.
  rt->stored.role = stored.role;
  rt->stored.interval_ms = stored.interval_ms;
  rt->stored.backfill_since = stored.backfill_since;
  rt->stored.follow_moves = stored.follow_moves;
  rt->stored.municipality_id = stored.municipality_id;
  return rt;
}

void Engine::configure_account(AccountRt& a, const Config& config,
                               const std::map<std::string, std::string>& slots) {
  a.connector = registry_.find(a.stored.platform);
  a.platform = find_platform(a.stored.platform);
  const PlatformSettings* ps = config.platform(a.stored.platform);
  a.base_url = ps != nullptr ? ps->base_url : std::nullopt;
  a.settings = ps != nullptr ? ps->extra : std::map<std::string, std::string>{};
  const auto slot = slots.find(a.stored.account_key);
  a.credential_slot = slot != slots.end() ? slot->second : "";
  a.interval =
      poll_interval_for(a.stored.interval_ms, a.platform, ps, config.defaults.poll_interval_ms);
  a.phase = poll_phase(a.stored.account_key, a.interval);
  const std::optional<CivilDate> since =
      a.stored.backfill_since ? a.stored.backfill_since : config.defaults.backfill_since;
  a.backfill_since = since ? std::optional<TimeMs>(days_from_civil(*since) * kDayMs) : std::nullopt;
}

void Engine::place_account(AccountRt& a) {
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
}

bool Engine::credential_admits(AccountRt& a, TimeMs now) {
  if (const auto failure = vault_.failure(a.stored.platform, a.credential_slot)) {
    if (!a.platform->capabilities.credential_optional) {
      set_state(a, AccountState::kAuthFailed, *failure, now);
      return false;
    }
    // The platform works without (YouTube's feed): go on, and say why less.
    log()->warn("{}: {}; polling without it", a.label(), *failure);
  }
  if (a.platform->capabilities.needs_credential &&
      !vault_.has(a.stored.platform, a.credential_slot)) {
    set_state(a, AccountState::kAuthFailed,
              "platform " + a.stored.platform + " needs a credential; configure platforms." +
                  a.stored.platform + ".credential" +
                  (a.credential_slot.empty() ? "" : "s." + a.credential_slot),
              now);
    return false;
  }
  return true;
}

void Engine::schedule_loaded(AccountRt& a, bool fresh, bool was_blocked, DurationMs old_interval,
                             TimeMs now) {
  if (fresh) {
    // Saved times are wall times (they outlive this process's clock).
    auto timer = [&](const std::optional<TimeMs>& wall) {
      return wall ? std::optional<TimeMs>(timer_of(*wall)) : std::nullopt;
    };
    const SavedTimes saved{timer(a.rt().next_due_at), timer(a.rt().last_attempt_at),
                           timer(a.rt().backoff_until)};
    schedule(a, WorkKind::kPoll, first_poll_due(now, saved, a.interval, a.phase));
    if (a.rt().last_success_at) {
      a.polled = !is_terminal(a.rt().state);
      for (const WorkKind w : {WorkKind::kRefresh, WorkKind::kComments}) {
        const DurationMs every = work_interval(a, w);
        if (every <= 0) continue;
        const std::optional<TimeMs> saved_at =
            w == WorkKind::kRefresh ? a.rt().next_refresh_at : std::nullopt;
        schedule(a, w, saved_at ? std::max(now, timer_of(*saved_at)) : now + every);
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

namespace {

// A budget's state: this process's when it had the budget already (a
// reload), else the store's copy (a restart); then any reset that came due
// while the process was stopped.
void restore_budget(QuotaBudget& budget,
                    const std::map<std::string, std::unique_ptr<QuotaBudget>>& current,
                    const std::map<std::string, BudgetRow>& saved, TimeMs wall_now) {
  if (const auto old = current.find(budget.scope()); old != current.end()) {
    budget.restore(old->second->state());
  } else if (const auto row = saved.find(budget.scope()); row != saved.end()) {
    BudgetState st;
    st.spent = row->second.spent;
    st.period_start = row->second.period_start.value_or(0);
    st.blocked_until = row->second.blocked_until.value_or(0);
    st.log = row->second.log;
    budget.restore(st);
  }
  (void)budget.remaining(wall_now);
}

}  // namespace

void Engine::load_budgets(TimeMs now) {
  // One budget per platform and credential slot with a secret, and within
  // it comment work's share (the same policy over a part of the units);
  // their state survives reloads and restarts.
  std::map<std::string, BudgetRow> saved;
  if (auto rows = store_.load_budgets(); rows.ok()) {
    for (BudgetRow& r : *rows) saved[r.scope] = std::move(r);
  }
  const TimeMs wall = wall_of(now);
  std::map<std::string, std::unique_ptr<QuotaBudget>> next;
  for (const auto& a : accounts_) {
    if (a->quota_scope.empty() || next.count(a->quota_scope)) continue;
    const PlatformSettings* ps = config_.platform(a->stored.platform);
    auto budget =
        std::make_unique<QuotaBudget>(a->quota_scope, a->platform->budgets.front(),
                                      ps != nullptr && ps->quota_units ? *ps->quota_units : 0);
    restore_budget(*budget, budgets_, saved, wall);
    const double share = ps != nullptr ? ps->comment_quota_share : 0.5;
    BudgetSpec spec = budget->spec();
    spec.units =
        std::max<int64_t>(0, static_cast<int64_t>(share * static_cast<double>(budget->units())));
    auto part = std::make_unique<QuotaBudget>(comment_scope(a->quota_scope), spec,
                                              std::max<int64_t>(1, spec.units));
    restore_budget(*part, budgets_, saved, wall);
    next[part->scope()] = std::move(part);
    next[a->quota_scope] = std::move(budget);
  }
  budgets_ = std::move(next);
}

DurationMs Engine::comment_resweep_interval(const AccountRt& a) const {
  const PlatformSettings* ps = config_.platform(a.stored.platform);
  return ps != nullptr && ps->comment_resweep_interval
             ? *ps->comment_resweep_interval
             : config_.defaults.comment_resweep_interval_ms;
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

}  // namespace muni
