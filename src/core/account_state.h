// An account's state, as the engine keeps it, the store saves it and
// `status` shows it: one enum, one runtime struct.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/time_util.h"

namespace muni {

enum class AccountState {
  kPending,        // configured, not yet polled successfully
  kOk,             // the last unit of work succeeded
  kBackingOff,     // transport errors or 5xx: retried after a jittered backoff
  kRateLimited,    // the host (429) or the quota said wait; the reason says until when
  kDegraded,       // an answer could not be understood; retried after backoff
  kNotFound,       // confirmed on consecutive polls; re-checked daily
  kGone,           // HTTP 410
  kSuspended,      // suspended, taken down or deactivated
  kAuthRequired,   // the server wants authentication for public data
  kAuthFailed,     // the configured credential is missing or was rejected
  kBlocked,        // the account blocks the viewer
  kInvalidHandle,  // the handle cannot be used on this platform
  kRefused,        // muniscope refused a redirect or an address (reliability.md)
  kDuplicate,      // another configured account is the same platform account
  kUnsupported,    // no connector for its platform in this build
  kInactive,       // removed from the configuration (history kept)
};

std::string_view account_state_id(AccountState s);  // "backing_off"
AccountState parse_account_state(std::string_view id);  // unknown text: kPending

// States in which an account is re-checked now and then instead of polled.
bool is_terminal(AccountState s);
// States that count as healthy in summaries.
bool is_healthy(AccountState s);

// What the engine writes back after each unit of work, and reads at start.
struct AccountRuntime {
  AccountState state = AccountState::kPending;
  std::string state_reason;
  std::optional<TimeMs> state_since;
  std::optional<TimeMs> last_attempt_at;
  std::optional<TimeMs> last_success_at;
  std::optional<TimeMs> next_due_at;
  std::optional<TimeMs> next_refresh_at;
  std::optional<TimeMs> backoff_until;
  int failures = 0;
  int not_found_strikes = 0;
  int64_t skipped_polls = 0;
};

}  // namespace muni
