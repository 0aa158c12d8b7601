// The engine's loop and the lookups every part of it uses; each seam of the
// engine lives in its own file (engine.h lists them).
#include "engine/engine.h"

#include <algorithm>

#include "engine/engine_state.h"

namespace muni {

using namespace engine_detail;

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

QuotaBudget* Engine::quota_of(const AccountRt& a) {
  if (a.quota_scope.empty()) return nullptr;
  const auto it = budgets_.find(a.quota_scope);
  return it == budgets_.end() ? nullptr : it->second.get();
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
      finish(*it->second,
             Finish{Outcome::kInterrupted, FailureKind::kNone, false,
                    "stopped before the answer arrived", 0},
             now);
    }
  }
}

}  // namespace muni
