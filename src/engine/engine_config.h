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

#include "engine/engine.h"

namespace muni {}  // namespace muni
