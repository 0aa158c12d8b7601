// Status reporting: what the engine tells the daemon, `status` and
// /metrics.
//
// Owns (engine_status.cpp): Engine::summary, host_status, budget_status,
// save_host_status.
//
//   - summary counts accounts by state (healthy, backing off, failing,
//     unsupported) and the running sessions and transfers.
//   - host_status / budget_status: each host's rate limit, wait and queue,
//     each quota budget's spending and reset, in wall time; saved to the
//     store by save_host_status.
#pragma once

#include "core/account_state.h"
#include "engine/engine.h"

namespace muni {

// Counts one account of `state` into the summary: healthy (ok), backing off
// (backing_off, rate_limited), without connector (unsupported), or failing
// (every other state).
void count_account(EngineSummary& summary, AccountState state);

}  // namespace muni
