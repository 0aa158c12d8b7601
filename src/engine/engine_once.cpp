// poll --once (engine_once.h).
#include "engine/engine_once.h"

#include <algorithm>

#include "engine/engine_state.h"

namespace muni {

using namespace engine_detail;

void Engine::start_once(const std::vector<int64_t>& account_ids, bool all_now) {
  once_mode_ = true;
  const TimeMs now = timer_now();
  for (const int64_t id : account_ids) {
    AccountRt* a = account(id);
    if (a == nullptr || !pollable(*a) || a->rt().state == AccountState::kAuthFailed) continue;
    a->once = true;
    a->once_done = false;
    a->once_attempts = 0;
    // The once run drives this account's work; pending timers are void.
    for (uint64_t& g : a->generation) ++g;
    const bool due = a->next_at[idx(WorkKind::kPoll)] <= now;
    if (!all_now && !due) {
      a->once_done = true;
      continue;
    }
    ++once_pending_;
    enqueue(*a, WorkKind::kPoll);
  }
  once_total_ = once_pending_;
}

bool Engine::once_finished() const { return once_mode_ && once_pending_ == 0 && sessions_.empty(); }

Engine::OnceProgress Engine::once_progress_view() const {
  OnceProgress p;
  p.total = once_total_;
  p.done = once_total_ >= once_pending_ ? once_total_ - once_pending_ : 0;
  if (last_wait_until_ > timer_now()) p.waiting = last_wait_;
  return p;
}

// poll --once: poll, then backfill until done, then one refresh and one
// comment sweep where the platform has them.
void Engine::once_progress(AccountRt& a, WorkKind work, const Finish& f, bool success, TimeMs now) {
  auto next_after = [&](WorkKind w) -> std::optional<WorkKind> {
    const int from = idx(w);
    // The order of a once run: poll, backfill, refresh, comments.
    const WorkKind order[] = {WorkKind::kPoll, WorkKind::kBackfill, WorkKind::kRefresh,
                              WorkKind::kComments};
    bool past = false;
    for (const WorkKind k : order) {
      if (past) {
        if (k == WorkKind::kBackfill) {
          if (a.stored.backfill_state == BackfillState::kPending && !a.backfill_idle) return k;
          continue;
        }
        if (work_interval(a, k) > 0) return k;
        continue;
      }
      if (idx(k) == from) past = true;
    }
    return std::nullopt;
  };
  std::optional<WorkKind> next;
  if (success) {
    a.once_attempts = 0;
    next = work == WorkKind::kBackfill && a.stored.backfill_state == BackfillState::kPending &&
                   !a.backfill_idle
               ? std::optional<WorkKind>(WorkKind::kBackfill)
               : next_after(work);
  } else if (f.transient && (!f.retry_at || *f.retry_at - now <= kMinuteMs) &&
             ++a.once_attempts < options_.once_max_attempts) {
    // Retried within the run; a wait longer than a minute (a spent quota, a
    // long rate limit) ends the account's run instead.
    ++a.generation[idx(work)];
    due_.push(DueEntry{a.retry_at, a.stored.id, work, a.generation[idx(work)]});
    return;
  } else {
    a.once_attempts = 0;
    // A failed backfill moves on to the refresh; a failed poll ends the run.
    next = work == WorkKind::kPoll ? std::nullopt : next_after(work);
  }
  if (!next) {
    a.once_done = true;
    --once_pending_;
  } else {
    enqueue(a, *next);
  }
}

}  // namespace muni
