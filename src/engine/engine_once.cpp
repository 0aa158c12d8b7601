// poll --once (engine_once.h).
#include "engine/engine_once.h"

#include <algorithm>

#include "engine/engine_state.h"

namespace muni {

using namespace engine_detail;

std::optional<WorkKind> once_next_work(WorkKind done, bool success, const OnceFacts& facts) {
  if (success && done == WorkKind::kBackfill && facts.backfill_left) return WorkKind::kBackfill;
  if (!success && done == WorkKind::kPoll) return std::nullopt;
  if (success && done == WorkKind::kCommentBackfill && facts.comments_left)
    return WorkKind::kCommentBackfill;
  // The order of a once run: poll, backfill, refresh, comments, comment
  // backfill (until no item's comments are due).
  const WorkKind order[] = {WorkKind::kPoll, WorkKind::kBackfill, WorkKind::kRefresh,
                            WorkKind::kComments, WorkKind::kCommentBackfill};
  bool past = false;
  for (const WorkKind k : order) {
    if (!past) {
      past = k == done;
      continue;
    }
    if ((k == WorkKind::kBackfill && facts.backfill_left) ||
        (k == WorkKind::kRefresh && facts.has_refresh) ||
        (k == WorkKind::kComments && facts.has_comments) ||
        (k == WorkKind::kCommentBackfill && facts.has_comment_backfill))
      return k;
  }
  return std::nullopt;
}

bool once_retries(const Finish& f, TimeMs now, int attempts, int max_attempts) {
  // A wait longer than a minute (a spent quota, a long rate limit) ends the
  // account's run instead: the daemon catches up.
  return f.transient && (!f.retry_at || *f.retry_at - now <= kMinuteMs) &&
         attempts + 1 < max_attempts;
}

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
  if (!success && once_retries(f, now, a.once_attempts, options_.once_max_attempts)) {
    ++a.once_attempts;
    ++a.generation[idx(work)];
    due_.push(DueEntry{a.retry_at, a.stored.id, work, a.generation[idx(work)]});
    return;
  }
  a.once_attempts = 0;
  OnceFacts facts;
  facts.backfill_left = a.stored.backfill_state == BackfillState::kPending && !a.backfill_idle;
  facts.has_refresh = work_interval(a, WorkKind::kRefresh) > 0;
  facts.has_comments = work_interval(a, WorkKind::kComments) > 0;
  facts.has_comment_backfill = work_interval(a, WorkKind::kCommentBackfill) > 0;
  facts.comments_left = a.comments_left;
  if (const std::optional<WorkKind> next = once_next_work(work, success, facts)) {
    enqueue(a, *next);
  } else {
    a.once_done = true;
    --once_pending_;
  }
}

}  // namespace muni
