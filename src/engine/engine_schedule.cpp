// Scheduling (engine_schedule.h).
#include "engine/engine_schedule.h"

#include <algorithm>

#include "engine/engine_state.h"

namespace muni {

using namespace engine_detail;

TimeMs next_slot(TimeMs t, DurationMs interval, TimeMs phase) {
  const DurationMs i = interval;
  const TimeMs k = (t - phase) >= 0 ? (t - phase) / i : -((phase - t + i - 1) / i);
  return (k + 1) * i + phase;
}

DurationMs work_interval_for(const PlatformDescriptor* platform, const PlatformSettings* settings,
                             WorkKind work, const EngineOptions& options) {
  if (platform == nullptr) return 0;
  const PlatformSettings* ps = settings;
  if (work == WorkKind::kRefresh && ps != nullptr && ps->refresh_interval)
    return *ps->refresh_interval;
  if (work == WorkKind::kComments && ps != nullptr && ps->comments_interval)
    return *ps->comments_interval;
  const WorkSpec* spec = platform->work_spec(work);
  if (spec == nullptr) return 0;
  if (spec->interval_ms != kDefaultInterval) return spec->interval_ms;
  return work == WorkKind::kRefresh ? options.refresh_interval_ms : options.comments_interval_ms;
}

DurationMs Engine::work_interval(const AccountRt& a, WorkKind work) const {
  if (a.platform == nullptr) return 0;
  return work_interval_for(a.platform, config_.platform(a.stored.platform), work, options_);
}

TimeMs Engine::slot_after(const AccountRt& a, TimeMs t) const {
  return next_slot(t, a.interval, a.phase);
}

void Engine::schedule(AccountRt& a, WorkKind work, TimeMs at, bool push) {
  const int w = idx(work);
  ++a.generation[w];
  a.next_at[w] = at;
  if (push) due_.push(DueEntry{at, a.stored.id, work, a.generation[w]});
}

void Engine::enqueue(AccountRt& a, WorkKind work) {
  const int w = idx(work);
  if (a.queued[w] || a.pending[w] || (a.busy && a.busy_work == work)) return;  // already on its way
  if (a.busy) {
    a.pending[w] = true;  // runs as soon as the account's current work ends
    return;
  }
  a.queued[w] = true;
  // Backfill is ranked by what is left to read, so the longest history
  // starts first and, re-queued after each page, goes on without a gap.
  const std::optional<int64_t> rank =
      work == WorkKind::kBackfill
          ? backfill_remaining(a.stored.profile_posts, a.stored.own_posts_stored)
          : std::nullopt;
  host_for(a).queue[w].push(a.stored.id, rank);
}

void Engine::poll_came_due(AccountRt& a, TimeMs now) {
  const int w = idx(WorkKind::kPoll);
  if (!a.once && (a.queued[w] || a.pending[w] || (a.busy && a.busy_work == WorkKind::kPoll))) {
    // The previous poll has not finished (or not even started): this one is
    // skipped, counted, and the rhythm continues with the next slot.
    ++a.rt().skipped_polls;
    ++counters_.skipped_polls;
    schedule(a, WorkKind::kPoll, slot_after(a, now));
    return;
  }
  enqueue(a, WorkKind::kPoll);
}

void Engine::queue_due(TimeMs now) {
  while (!due_.empty() && due_.top().at <= now) {
    const DueEntry e = due_.top();
    due_.pop();
    AccountRt* a = account(e.account_id);
    if (a == nullptr || !pollable(*a) || a->generation[idx(e.work)] != e.generation) continue;
    if (once_mode_ && (!a->once || a->once_done)) continue;
    if (stopping_) continue;
    if (e.work == WorkKind::kPoll) {
      poll_came_due(*a, now);
    } else {
      enqueue(*a, e.work);
    }
  }
}

}  // namespace muni
