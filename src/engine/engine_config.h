// Configuration reconciliation: how the engine takes in a configuration
// (Engine::load, at start and on every SIGHUP reload).
//
// Owns (engine_config.cpp): Engine::load, load_budgets, identity_of,
// resolve_duplicates, mark_duplicate.
//
//   - Accounts come from the store; those that stay keep their runtime state
//     (timers, backoff, once-progress), configuration fields are refreshed,
//     removed accounts are dropped once their running work finishes.
//   - Each account gets its connector, platform descriptor, credential slot,
//     host key (per host and credential), quota scope, poll interval and
//     phase; an account without connector is `unsupported`, one without the
//     credential its platform needs is `auth_failed`.
//   - A fresh account's first poll is due from its saved times (next due,
//     else the slot after its last attempt, never before a saved backoff);
//     an account whose interval changed keeps its slot rhythm.
//   - Quota budgets: one per platform and credential slot, restored from the
//     engine's previous load or the store.
//   - Duplicates: one platform account configured under two spellings (a
//     handle and its DID) is polled and counted once, as the account known
//     as primary first, else the one configured first.
#pragma once

#include <optional>
#include <string>

#include "config/config.h"
#include "core/platform.h"
#include "core/time_util.h"

namespace muni {

// An account's poll interval: its own, else the platform's configured one,
// else the platform's default (YouTube: its quota), else the general
// default.
DurationMs poll_interval_for(std::optional<DurationMs> own, const PlatformDescriptor* platform,
                             const PlatformSettings* settings, DurationMs general_default);

// Where in its interval an account is polled: a hash of its key, so load
// spreads evenly and a restart keeps the rhythm.
TimeMs poll_phase(const std::string& account_key, DurationMs interval);

// What the store remembers of an account's timers, in timer time.
struct SavedTimes {
  std::optional<TimeMs> next_due;
  std::optional<TimeMs> last_attempt;
  std::optional<TimeMs> backoff_until;
};

// When a newly loaded account's first poll is due: its saved next due time,
// else the slot after its last attempt, else now; never in the past, never
// before a saved backoff ends.
TimeMs first_poll_due(TimeMs now, const SavedTimes& saved, DurationMs interval, TimeMs phase);

}  // namespace muni
