// Admission and dispatch: which queued work starts now, and sending its
// requests.
//
// Owns (engine_dispatch.cpp): Engine::dispatch, may_start, start_session,
// send_ready, unit_guard.
//
//   - Per host: sessions waiting for the rate limiter go first; then, while
//     fewer than the host's cap of units run, fresh polls, refreshes,
//     comment sweeps, and backfill only while more than
//     EngineOptions::backfill_reserve of the host's budget is left (always
//     in poll --once).
//   - Admission (may_start): a rejected credential fails the account; a
//     spent quota holds every kind of its work until the budget resets.
//     Comment work (sweeps and comment backfill) also has its own share of
//     the quota (platforms.<id>.quota.comment_share, budget scope
//     "<quota scope>#comments"): when that is spent, only comment work waits.
//   - One unit of work serves one account, or a batch of several where the
//     platform's API takes many ids at once (WorkSpec::batch).
//   - Sending: the request's quota units are spent first; the engine, not
//     the connector, attaches the credential and the conditional-GET
//     validators.
//   - The per-unit guard stops a unit that asks the same request twice,
//     sends more than max_requests_per_unit, or would spend more than
//     max_quota_share_per_unit of its quota.
#pragma once

#include <optional>

#include "core/platform.h"

namespace muni {

// What a host has queued, by work kind, and whether backfill may run now
// (budget to spare beyond the reserve, or poll --once).
struct QueuedWork {
  bool any[kWorkKinds] = {};
  bool backfill_allowed = false;  // both backfills: posts, then comments
};

// The kind of work a host starts next: fresh polls, then refreshes, then
// comment sweeps, then backfill if allowed, then comment backfill if
// allowed; nullopt when nothing may start.
std::optional<WorkKind> next_work_kind(const QueuedWork& queued);

}  // namespace muni
