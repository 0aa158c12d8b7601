#include "engine/budget.h"

#include <algorithm>

#include "core/strings.h"

namespace muni {

std::string_view budget_policy_id(BudgetSpec::Policy p) {
  switch (p) {
    case BudgetSpec::Policy::kDaily:
      return "daily";
    case BudgetSpec::Policy::kMonthly:
      return "monthly";
    case BudgetSpec::Policy::kRolling24h:
      return "rolling_24h";
  }
  return "daily";
}

QuotaBudget::QuotaBudget(std::string scope, BudgetSpec spec, int64_t units)
    : scope_(std::move(scope)), spec_(std::move(spec)), zone_(TimeZone::utc()) {
  if (units > 0) spec_.units = units;
  if (auto tz = TimeZone::load(spec_.zone); tz.ok()) zone_ = *tz;
}

TimeMs QuotaBudget::period_start_at(TimeMs now) const {
  const LocalTime local = zone_.to_local(now);
  if (spec_.policy == BudgetSpec::Policy::kMonthly) {
    return zone_.from_local(CivilDate{local.date.year, local.date.month, 1});
  }
  // Daily: the latest reset instant at or before now.
  const int hour = spec_.reset_minute / 60, minute = spec_.reset_minute % 60;
  TimeMs today = zone_.from_local(local.date, hour, minute);
  if (today > now) {
    const CivilDate yesterday = civil_from_days(days_from_civil(local.date) - 1);
    today = zone_.from_local(yesterday, hour, minute);
  }
  return today;
}

TimeMs QuotaBudget::period_end_after(TimeMs start) const {
  const LocalTime local = zone_.to_local(start);
  if (spec_.policy == BudgetSpec::Policy::kMonthly) {
    const int year = local.date.month == 12 ? local.date.year + 1 : local.date.year;
    const int month = local.date.month == 12 ? 1 : local.date.month + 1;
    return zone_.from_local(CivilDate{year, month, 1});
  }
  const CivilDate next = civil_from_days(days_from_civil(local.date) + 1);
  return zone_.from_local(next, spec_.reset_minute / 60, spec_.reset_minute % 60);
}

void QuotaBudget::roll(TimeMs now) {
  if (spec_.policy == BudgetSpec::Policy::kRolling24h) {
    while (!rolling_.empty() && rolling_.front().first <= now - kDayMs) rolling_.pop_front();
    return;
  }
  const TimeMs start = period_start_at(now);
  if (start != state_.period_start) {
    state_.period_start = start;
    state_.spent = 0;
  }
}

int64_t QuotaBudget::spent(TimeMs now) const {
  if (spec_.policy == BudgetSpec::Policy::kRolling24h) {
    int64_t sum = 0;
    for (const auto& [t, c] : rolling_) {
      if (t > now - kDayMs) sum += c;
    }
    return sum;
  }
  // A period that has ended counts from zero again.
  return period_start_at(now) == state_.period_start ? state_.spent : 0;
}

int64_t QuotaBudget::remaining(TimeMs now) const {
  if (state_.blocked_until > now) return 0;
  return std::max<int64_t>(0, spec_.units - spent(now));
}

bool QuotaBudget::try_spend(int cost, TimeMs now) {
  roll(now);
  if (remaining(now) < cost) return false;
  if (spec_.policy == BudgetSpec::Policy::kRolling24h) {
    rolling_.emplace_back(now, cost);
  } else {
    state_.spent += cost;
  }
  return true;
}

TimeMs QuotaBudget::next_reset(TimeMs now) const {
  TimeMs reset;
  if (spec_.policy == BudgetSpec::Policy::kRolling24h) {
    reset = rolling_.empty() ? now : rolling_.front().first + kDayMs;
  } else {
    reset = period_end_after(period_start_at(now));
  }
  return std::max(reset, state_.blocked_until);
}

std::optional<TimeMs> QuotaBudget::blocked_until(TimeMs now) const {
  if (state_.blocked_until > now) return state_.blocked_until;
  return std::nullopt;
}

void QuotaBudget::exhaust(TimeMs now) {
  roll(now);
  if (spec_.policy == BudgetSpec::Policy::kRolling24h) {
    state_.blocked_until = std::max(state_.blocked_until, now + kDayMs);
  } else {
    state_.spent = std::max(state_.spent, spec_.units);
    state_.blocked_until = std::max(state_.blocked_until, next_reset(now));
  }
}

BudgetState QuotaBudget::state() const {
  BudgetState s = state_;
  s.log.clear();
  for (const auto& [t, c] : rolling_) {
    if (!s.log.empty()) s.log += ',';
    s.log += std::to_string(t) + ":" + std::to_string(c);
  }
  return s;
}

void QuotaBudget::restore(const BudgetState& s) {
  state_ = s;
  state_.log.clear();
  rolling_.clear();
  for (const std::string& entry : split(s.log, ',')) {
    const size_t colon = entry.find(':');
    if (colon == std::string::npos) continue;
    const auto t = parse_int64(entry.substr(0, colon));
    const auto c = parse_int64(entry.substr(colon + 1));
    if (t && c && *c > 0 && *c < 1'000'000) rolling_.emplace_back(*t, static_cast<int>(*c));
  }
  // A stored value from the future (a clock that jumped) is not trusted.
  if (state_.spent < 0) state_.spent = 0;
}

}  // namespace muni
