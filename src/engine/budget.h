// Quota budgets: units a platform grants per credential over a period, as
// opposed to the request rate per host (rate_limit.h). Policies:
//
//   daily       N units per day, reset at a fixed local time in a named zone
//               (YouTube Data API: 10,000 units, midnight America/Los_Angeles)
//   monthly     N units per calendar month (paid plans, X)
//   rolling 24h at most N units in any 24 hours (Threads)
//
// Requests cost units (HttpRequest::cost); a server's "quota exceeded"
// (YouTube 403 quotaExceeded) exhausts the budget until its next reset. A
// budget's state survives restarts: the engine saves it in the store.
//
// Pure bookkeeping: time comes in as arguments.
#pragma once

#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <utility>

#include "core/platform.h"
#include "core/time_util.h"
#include "core/tz.h"

namespace muni {

// What the store keeps of a budget.
struct BudgetState {
  int64_t spent = 0;            // units spent in the current period
  TimeMs period_start = 0;      // start of the current period (daily/monthly)
  TimeMs blocked_until = 0;     // the server said the quota is spent
  std::string log;              // rolling 24h: "t:cost,t:cost,..." of the last day
};

class QuotaBudget {
 public:
  // `units` overrides spec.units when > 0.
  QuotaBudget(std::string scope, BudgetSpec spec, int64_t units = 0);

  const std::string& scope() const { return scope_; }
  const BudgetSpec& spec() const { return spec_; }
  int64_t units() const { return spec_.units; }

  // Units left at `now` (after a reset that has happened since).
  int64_t remaining(TimeMs now) const;
  int64_t spent(TimeMs now) const;
  // Spends `cost` units if that many are left; false otherwise.
  bool try_spend(int cost, TimeMs now);
  // When units become available again (the next reset, or the end of a
  // server-announced block).
  TimeMs next_reset(TimeMs now) const;
  std::optional<TimeMs> blocked_until(TimeMs now) const;
  // The server says the quota is spent: nothing until the next reset.
  void exhaust(TimeMs now);
  // The server says to wait this long.
  void block_until(TimeMs until) { state_.blocked_until = std::max(state_.blocked_until, until); }

  BudgetState state() const;
  void restore(const BudgetState& state);

 private:
  TimeMs period_start_at(TimeMs now) const;
  TimeMs period_end_after(TimeMs start) const;
  void roll(TimeMs now);

  std::string scope_;
  BudgetSpec spec_;
  TimeZone zone_;
  BudgetState state_;
  std::deque<std::pair<TimeMs, int>> rolling_;  // (time, cost) within the last 24h
};

std::string_view budget_policy_id(BudgetSpec::Policy p);  // "daily", "monthly", "rolling_24h"

}  // namespace muni
