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

#include <optional>

#include "core/time_util.h"
#include "engine/connector.h"
#include "engine/outcome.h"

namespace muni {

// What the account has left to do in a once run, besides its poll.
struct OnceFacts {
  bool backfill_left = false;  // backfill pending, and it had something to ask
  bool has_refresh = false;    // the platform refreshes counts (an interval > 0)
  bool has_comments = false;   // the platform has comment sweeps
  bool has_comment_backfill = false;  // the platform has comment backfill
  bool comments_left = false;  // the last comment backfill unit read some item's comments
};

// The next unit of an account's once run after `done` ended, or nullopt when
// its run is over. Order: poll, backfill (again and again until done),
// refresh, comments, comment backfill (again while a unit read something). A failed poll ends the run; a failed later unit moves
// on.
std::optional<WorkKind> once_next_work(WorkKind done, bool success, const OnceFacts& facts);

// True when a failed unit is tried again within the run: transient, its
// wait no longer than a minute, and fewer than `max_attempts` attempts with
// this one (`attempts` before it).
bool once_retries(const Finish& f, TimeMs now, int attempts, int max_attempts);

}  // namespace muni
