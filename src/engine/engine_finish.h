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

#include "engine/engine.h"

namespace muni {}  // namespace muni
