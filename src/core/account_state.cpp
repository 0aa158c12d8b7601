#include "core/account_state.h"

#include <array>
#include <utility>

namespace muni {

namespace {

constexpr std::array<std::pair<AccountState, std::string_view>, 16> kIds = {{
    {AccountState::kPending, "pending"},
    {AccountState::kOk, "ok"},
    {AccountState::kBackingOff, "backing_off"},
    {AccountState::kRateLimited, "rate_limited"},
    {AccountState::kDegraded, "degraded"},
    {AccountState::kNotFound, "not_found"},
    {AccountState::kGone, "gone"},
    {AccountState::kSuspended, "suspended"},
    {AccountState::kAuthRequired, "auth_required"},
    {AccountState::kAuthFailed, "auth_failed"},
    {AccountState::kBlocked, "blocked"},
    {AccountState::kInvalidHandle, "invalid_handle"},
    {AccountState::kRefused, "refused"},
    {AccountState::kDuplicate, "duplicate"},
    {AccountState::kUnsupported, "unsupported"},
    {AccountState::kInactive, "inactive"},
}};

}  // namespace

std::string_view account_state_id(AccountState s) {
  for (const auto& [state, id] : kIds) {
    if (state == s) return id;
  }
  return "pending";
}

AccountState parse_account_state(std::string_view id) {
  for (const auto& [state, name] : kIds) {
    if (name == id) return state;
  }
  return AccountState::kPending;
}

bool is_terminal(AccountState s) {
  switch (s) {
    case AccountState::kNotFound:
    case AccountState::kGone:
    case AccountState::kSuspended:
    case AccountState::kAuthRequired:
    case AccountState::kAuthFailed:
    case AccountState::kBlocked:
    case AccountState::kInvalidHandle:
    case AccountState::kRefused:
    case AccountState::kDuplicate:
      return true;
    default:
      return false;
  }
}

bool is_healthy(AccountState s) {
  return s == AccountState::kOk || s == AccountState::kPending || s == AccountState::kDuplicate;
}

}  // namespace muni
