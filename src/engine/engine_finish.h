// Account outcomes: how a finished unit of work changes its accounts.
//
// Owns (engine_finish.cpp): Engine::finish, apply_outcome, persist_runtime,
// set_state.
//
//   - finish: the session ends (its transfer cancelled), every account of
//     it gets a poll-log row and its outcome (a batch may report one per
//     account), pending work of the account is queued.
//   - Backfill progress: a unit with nothing to ask waits for the next poll;
//     kMaxIdleBackfills units in a row without a new post stop the backfill
//     as incomplete, saying what was seen.
//   - apply_outcome: success resets failures and backoff and extends
//     coverage; a transient failure backs off (full jitter, or until the
//     rate limit's or quota's end); not found is confirmed
//     not_found_confirmations times; other failures set their terminal
//     state, re-checked after recheck_interval.
//   - persist_runtime: the account's runtime state (timers in wall time) is
//     saved for `status` and the next start.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "core/account_state.h"
#include "core/clock.h"
#include "engine/backoff.h"
#include "engine/outcome.h"

namespace muni {

// Consecutive backfill units that bring nothing new before the engine
// concludes that the server's paging goes in circles (a server that ignores
// max_id, a cursor that cycles). Short or empty pages with a cursor are
// normal now and then (atproto#2127); this many in a row are not.
inline constexpr int kMaxIdleBackfills = 5;

// The state a failure leaves an account in (kNone: ok).
AccountState state_for(FailureKind f);

// Failures worth retrying after a backoff: an answer not understood, a
// server error.
inline bool is_transient(FailureKind f) {
  return f == FailureKind::kMalformed || f == FailureKind::kServerError;
}

// What comes next for the account after a unit of work.
enum class AccountNext {
  kUnchanged,  // interrupted (a stop): nothing changes, nothing is rescheduled
  kSuccess,    // failures and backoff cleared; the work's rhythm goes on
  kRetry,      // transient: the same work again at retry_at
  kConfirm,    // not found fewer times than needed: polled again soon to confirm
  kRecheck,    // a terminal state: polled again after recheck_interval
};

struct AccountTransition {
  AccountNext next = AccountNext::kUnchanged;
  AccountState state = AccountState::kOk;
  std::string reason;
  int failures = 0;
  int not_found_strikes = 0;
  TimeMs retry_at = 0;  // kRetry: when (timer time)
};

struct TransitionRules {
  int not_found_confirmations = 2;
  BackoffPolicy backoff;  // for a transient failure without retry_at
};

// An account's state after a unit of work ended with `f` at `now`: the pure
// core of Engine::apply_outcome. Draws from `random` only for a backoff
// (a transient failure without a rate limit's or quota's end).
AccountTransition account_transition(const AccountRuntime& old, const Finish& f, TimeMs now,
                                     const TransitionRules& rules, Random& random);

// The history note of a backfill stopped after `idle_units` units in a row
// without a new post, saying what was seen (`skipped_items` that could not
// be stored are not a server going in circles).
std::string idle_backfill_note(int idle_units, int64_t skipped_items);

}  // namespace muni
