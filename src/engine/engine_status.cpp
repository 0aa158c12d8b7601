// Status reporting (engine_status.h).
#include "engine/engine_status.h"

#include <algorithm>

#include "engine/engine_state.h"

namespace muni {

using namespace engine_detail;

void count_account(EngineSummary& summary, AccountState state) {
  ++summary.accounts_by_state[std::string(account_state_id(state))];
  if (is_healthy(state)) {
    ++summary.ok;
  } else if (state == AccountState::kBackingOff || state == AccountState::kRateLimited) {
    ++summary.backing_off;
  } else if (state == AccountState::kUnsupported) {
    ++summary.unsupported;
  } else {
    ++summary.failing;
  }
}

EngineSummary Engine::summary() const {
  EngineSummary out;
  for (const auto& a : accounts_) count_account(out, a->stored.runtime.state);
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
