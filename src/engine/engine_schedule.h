// Scheduling: when each account's work comes due and how it is queued.
//
// Owns (engine_schedule.cpp): Engine::work_interval, slot_after, schedule,
// enqueue, poll_came_due, queue_due.
//
//   - A poll is due every `interval` at the account's phase within it (a
//     hash of its key): slot_after gives the next slot.
//   - Refresh and comment intervals come from the configuration, else the
//     platform's descriptor, else EngineOptions.
//   - Timers are DueEntry's in one priority queue; a timer whose generation
//     no longer matches the account's is void (rescheduled, once-mode,
//     duplicate).
//   - An account has at most one unit of work on its way: work that comes
//     due while it is busy is `pending` and runs when the current unit
//     ends; a poll that comes due while the previous one has not finished
//     is skipped and counted.
//   - Queued work waits in its host's WorkQueue (engine/work_queue.h),
//     backfill ranked by what is left to read.
#pragma once

#include "config/config.h"
#include "core/platform.h"
#include "core/time_util.h"
#include "engine/engine.h"

namespace muni {

// The first poll slot after `t` (strictly later) of an account polled every
// `interval` at `phase` within it: the slots are phase + k * interval.
TimeMs next_slot(TimeMs t, DurationMs interval, TimeMs phase);

// How often `work` (refresh, comments) runs for an account of `platform`:
// the configured interval, else the descriptor's, else EngineOptions'; 0
// when the platform has no such work.
DurationMs work_interval_for(const PlatformDescriptor* platform, const PlatformSettings* settings,
                             WorkKind work, const EngineOptions& options);

}  // namespace muni
