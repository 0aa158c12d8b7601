// poll --once: the progression of a one-off run.
//
// Owns (engine_once.cpp): Engine::start_once, once_finished,
// once_progress_view, once_progress.
//
//   - Only the selected accounts get work: one poll (even when not due if
//     `all_now`), then backfill until done, then one refresh and one comment
//     sweep where the platform has them. A failed poll ends the account's
//     run; a failed later step moves on to the next.
//   - A transient failure is retried within the run (EngineOptions::
//     once_max_attempts, with once_backoff), unless its wait is longer than
//     a minute (a spent quota, a long rate limit): then the account's run
//     ends and the daemon catches up.
//   - The times an account's work would next be due are recorded (saved for
//     the daemon's next start) but set no timer: the progression decides.
#pragma once

#include "engine/engine.h"

namespace muni {}  // namespace muni
