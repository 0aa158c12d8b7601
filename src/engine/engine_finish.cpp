// Account outcomes (engine_finish.h).
#include "engine/engine_finish.h"

#include <algorithm>

#include "core/strings.h"
#include "core/text_safety.h"
#include "engine/engine_state.h"

namespace muni {

using namespace engine_detail;

AccountState state_for(FailureKind f) {
  switch (f) {
    case FailureKind::kNone:
      return AccountState::kOk;
    case FailureKind::kNotFound:
      return AccountState::kNotFound;
    case FailureKind::kGone:
      return AccountState::kGone;
    case FailureKind::kSuspended:
      return AccountState::kSuspended;
    case FailureKind::kAuthRequired:
      return AccountState::kAuthRequired;
    case FailureKind::kAuthFailed:
      return AccountState::kAuthFailed;
    case FailureKind::kBlocked:
      return AccountState::kBlocked;
    case FailureKind::kMalformed:
      return AccountState::kDegraded;
    case FailureKind::kServerError:
      return AccountState::kBackingOff;
    case FailureKind::kInvalidHandle:
      return AccountState::kInvalidHandle;
    case FailureKind::kRefused:
      return AccountState::kRefused;
    case FailureKind::kDuplicate:
      return AccountState::kDuplicate;
    case FailureKind::kNoProgress:
      return AccountState::kOk;
  }
  return AccountState::kDegraded;
}

AccountTransition account_transition(const AccountRuntime& old, const Finish& f, TimeMs now,
                                     const TransitionRules& rules, Random& random) {
  AccountTransition t;
  t.state = old.state;
  t.reason = old.state_reason;
  t.failures = old.failures;
  t.not_found_strikes = old.not_found_strikes;
  if (f.outcome == Outcome::kInterrupted) return t;
  // "not_modified" (a 304) is a success like "ok".
  if (f.failure == FailureKind::kNone && !f.transient) {
    t.next = AccountNext::kSuccess;
    t.failures = 0;
    t.not_found_strikes = 0;
    t.state = AccountState::kOk;
    t.reason.clear();
  } else if (f.transient) {
    t.next = AccountNext::kRetry;
    ++t.failures;
    // The end of a rate limit or quota needs no jitter.
    t.retry_at = f.retry_at ? *f.retry_at : now + backoff_delay(rules.backoff, t.failures, random);
    t.state = f.failure == FailureKind::kMalformed || f.failure == FailureKind::kNoProgress
                  ? AccountState::kDegraded
              : f.outcome == Outcome::kRateLimited ? AccountState::kRateLimited
                                                   : AccountState::kBackingOff;
    t.reason =
        f.retry_at ? f.reason : f.reason + " (retry in " + format_duration(t.retry_at - now) + ")";
  } else if (f.failure == FailureKind::kNotFound) {
    ++t.not_found_strikes;
    if (t.not_found_strikes >= rules.not_found_confirmations) {
      t.next = AccountNext::kRecheck;
      t.state = AccountState::kNotFound;
      t.reason = f.reason;
    } else {
      t.next = AccountNext::kConfirm;
      t.state = AccountState::kBackingOff;
      t.reason = f.reason + " (not found " + std::to_string(t.not_found_strikes) + " of " +
                 std::to_string(rules.not_found_confirmations) + " times; confirming)";
    }
  } else {
    t.next = AccountNext::kRecheck;
    t.state = state_for(f.failure);
    t.reason = f.reason;
  }
  return t;
}

std::string idle_backfill_note(int idle_units, int64_t skipped_items) {
  return "backfill stopped: " + std::to_string(idle_units) + " pages in a row brought no new post" +
         (skipped_items > 0
              ? " (they held " + std::to_string(skipped_items) +
                    " item(s) that could not be stored: implausible dates or no id, see the "
                    "poll log)"
              : std::string(" (the server repeats pages or its cursor goes in circles)")) +
         "; older history may be missing";
}

void Engine::finish(Session& s, const Finish& f, TimeMs now) {
  if (s.transfer != 0) {
    transport_.cancel(s.transfer);
    transfer_to_session_.erase(s.transfer);
    --hosts_.at(s.host_key)->in_flight;
    s.transfer = 0;
  }
  HostRt& host = *hosts_.at(s.host_key);
  --host.active;
  std::erase(host.waiting, s.id);
  // Reasons quote servers; what is stored and logged has no control
  // characters (a 404 body could otherwise forge log lines or move a cursor)
  // and no secret.
  const std::string reason = vault_.scrub(printable(f.reason, 1000));
  ++counters_.polls[{s.platform, std::string(outcome_id(f.outcome))}];
  if (is_success(f.outcome)) counters_.last_success[s.platform] = wall_of(now);
  for (const int64_t id : s.accounts) {
    Finish outcome = f;
    outcome.reason = reason;
    if (const auto o = s.outcomes.find(id); o != s.outcomes.end()) {
      outcome.failure = o->second.first;
      outcome.outcome = outcome_of(o->second.first);
      outcome.reason = vault_.scrub(printable(o->second.second, 1000));
      outcome.transient = is_transient(outcome.failure);
    }
    PollLogEntry entry;
    entry.account_id = id;
    entry.work = std::string(work_kind_id(s.work));
    entry.started_at = s.started_at;
    entry.ended_at = wall_of(now);
    entry.outcome = std::string(outcome_id(outcome.outcome));
    entry.http_status = f.http_status != 0 ? f.http_status : s.http_status;
    entry.error = outcome.reason;
    if (id == s.accounts.front()) {
      entry.posts_new = s.posts_new;
      entry.posts_updated = s.posts_updated;
      entry.requests = s.requests;
      entry.items_skipped = s.items_skipped;
      entry.notes = vault_.scrub(s.notes);
    }
    if (auto st = store_.log_poll(entry); !st.ok())
      log()->error("poll log: {}", st.error().message);
    AccountRt* a = account(id);
    if (a == nullptr) continue;
    a->busy = false;
    if (s.work == WorkKind::kBackfill && outcome.outcome == Outcome::kOk && s.requests == 0) {
      a->backfill_idle = true;
    } else if (s.work == WorkKind::kBackfill && outcome.outcome == Outcome::kOk) {
      // Paging that goes in circles (a server that ignores max_id, a cursor
      // that cycles) brings nothing new page after page: stop it with a
      // clear state instead of polling forever.
      if (s.posts_new > 0) {
        a->idle_backfills = 0;
        a->idle_skipped_items = 0;
      } else {
        ++a->idle_backfills;
        a->idle_skipped_items += s.items_skipped;
      }
      if (a->idle_backfills >= kMaxIdleBackfills &&
          a->stored.backfill_state == BackfillState::kPending) {
        Page stop;
        stop.backfill_state = BackfillState::kIncomplete;
        // Say what was seen: pages of items that could not be stored are not
        // a server going in circles.
        stop.history_note = idle_backfill_note(a->idle_backfills, a->idle_skipped_items);
        stop.batch.events.push_back({"history_incomplete", *stop.history_note});
        if (store_.commit_page(a->stored.id, stop, wall_of(now)).ok()) {
          a->stored.backfill_state = BackfillState::kIncomplete;
          a->stored.history_note = *stop.history_note;
        }
        log()->warn("{}: {}", a->label(), *stop.history_note);
        a->idle_backfills = 0;
        a->idle_skipped_items = 0;
      }
    }
    if (s.work == WorkKind::kCommentBackfill)
      a->comments_left = is_success(outcome.outcome) && s.comment_sweeps > 0;
    apply_outcome(*a, s.work, outcome, now);
    persist_runtime(*a, now);
    if (!is_success(outcome.outcome) && outcome.outcome != Outcome::kInterrupted) {
      log()->warn("{} failed: account={} platform={} reason={}{}", work_kind_id(s.work), a->label(),
                  s.platform, outcome_id(outcome.outcome),
                  outcome.reason.empty() ? "" : " (" + outcome.reason + ")");
    } else if (s.work == WorkKind::kBackfill) {
      // One page: debug only. The account's backfill is summed up when it
      // ends (complete, stopped at its start date, or incomplete).
      a->backfill_pages += s.requests > 0 ? 1 : 0;
      if (id == s.accounts.front()) a->backfill_posts += s.posts_new;
      log()->debug("backfill {}: {} new posts in {} request(s)", s.label, s.posts_new, s.requests);
      if (a->stored.backfill_state != BackfillState::kPending && a->backfill_pages > 0) {
        log()->info("backfill {}: {} ({} posts in {} pages)", a->label(),
                    backfill_state_id(a->stored.backfill_state), a->backfill_posts,
                    a->backfill_pages);
        a->backfill_pages = 0;
        a->backfill_posts = 0;
      }
    } else if (id == s.accounts.front() && (s.posts_new > 0 || s.posts_updated > 0)) {
      log()->info("{} {}: {} new, {} updated posts in {} request(s)", work_kind_id(s.work), s.label,
                  s.posts_new, s.posts_updated, s.requests);
    }
    if (!stopping_) {
      for (int w = 0; w < kWorkKinds; ++w) {
        if (a->pending[w]) {
          a->pending[w] = false;
          enqueue(*a, work_of(w));
        }
      }
    }
  }
  sessions_.erase(s.id);  // s is gone from here on
}

void Engine::apply_outcome(AccountRt& a, WorkKind work, const Finish& f, TimeMs now) {
  AccountRuntime& rt = a.rt();
  if (f.outcome == Outcome::kInterrupted) return;
  AccountTransition t =
      account_transition(rt, f, now,
                         TransitionRules{options_.not_found_confirmations,
                                         a.once ? options_.once_backoff : options_.backoff},
                         random_);
  rt.last_attempt_at = wall_of(now);  // rt keeps wall times: it is saved and shown
  rt.state = t.state;
  rt.state_reason = std::move(t.reason);
  rt.failures = t.failures;
  rt.not_found_strikes = t.not_found_strikes;
  const bool success = t.next == AccountNext::kSuccess;
  if (success) {
    rt.backoff_until.reset();
    rt.last_success_at = wall_of(now);
    vault_.clear_rejected(a.stored.platform, a.credential_slot);
    if (work == WorkKind::kPoll) {
      a.polled = true;
      // Coverage: polls no more than three intervals apart observe the
      // account without a gap (docs/metrics.md).
      if (auto s = store_.extend_coverage(a.stored.id, wall_of(now), 3 * a.interval); !s.ok())
        log()->error("{}", s.error().message);
    }
  } else if (t.next == AccountNext::kRetry) {
    a.retry_at = t.retry_at;
    rt.backoff_until = wall_of(t.retry_at);
  } else if (f.failure == FailureKind::kAuthFailed) {
    vault_.mark_rejected(a.stored.platform, a.credential_slot, f.reason);
  }

  // What comes next in daemon mode. In once mode the same times are recorded
  // (they are saved for the daemon's next start) but no timer is set: the
  // once progression decides.
  const bool push = !a.once;
  if (success) {
    if (work == WorkKind::kPoll) {
      // The next poll slot was set when this one started. Refreshes and
      // comment sweeps start their rhythm after the first good poll.
      for (const WorkKind w : {WorkKind::kRefresh, WorkKind::kComments}) {
        const DurationMs every = work_interval(a, w);
        if (every > 0 && a.next_at[idx(w)] == 0) schedule(a, w, now + every, push);
      }
      // Comment backfill starts with the first good poll and then keeps
      // its own rhythm (below).
      if (push && work_interval(a, WorkKind::kCommentBackfill) > 0 &&
          a.next_at[idx(WorkKind::kCommentBackfill)] == 0)
        enqueue(a, WorkKind::kCommentBackfill);
      a.backfill_idle = false;
    } else if (work == WorkKind::kRefresh || work == WorkKind::kComments) {
      const DurationMs every = work_interval(a, work);
      if (every > 0) schedule(a, work, now + every, push);
    } else if (work == WorkKind::kCommentBackfill) {
      // Items were read: more may be due, go on at the lowest priority.
      // None: look again after the interval (re-sweeps come due).
      if (a.comments_left) {
        a.next_at[idx(work)] = now;
        if (push) enqueue(a, work);
      } else if (const DurationMs every = work_interval(a, work); every > 0) {
        schedule(a, work, now + every, push);
      }
    }
    if (push && a.stored.backfill_state == BackfillState::kPending && a.polled && !a.backfill_idle)
      enqueue(a, WorkKind::kBackfill);
  } else if (t.next == AccountNext::kRetry) {
    schedule(a, work, a.retry_at, push);
  } else if (t.next == AccountNext::kConfirm) {
    schedule(a, WorkKind::kPoll, now + std::min<DurationMs>(a.interval, 15 * kMinuteMs), push);
  } else {
    // Terminal states are re-checked now and then: accounts come back.
    schedule(a, WorkKind::kPoll, now + options_.recheck_interval_ms, push);
  }
  if (a.once && !a.once_done) once_progress(a, work, f, success, now);
}

void Engine::persist_runtime(AccountRt& a, TimeMs now) {
  // The timers are timer time; the store keeps wall time.
  AccountRuntime rt = a.rt();
  rt.next_due_at = a.next_at[idx(WorkKind::kPoll)] != 0
                       ? std::optional<TimeMs>(wall_of(a.next_at[idx(WorkKind::kPoll)]))
                       : std::nullopt;
  rt.next_refresh_at = a.next_at[idx(WorkKind::kRefresh)] != 0
                           ? std::optional<TimeMs>(wall_of(a.next_at[idx(WorkKind::kRefresh)]))
                           : std::nullopt;
  if (auto s = store_.save_account_runtime(a.stored.id, rt, wall_of(now)); !s.ok())
    log()->error("{}", s.error().message);
}

void Engine::set_state(AccountRt& a, AccountState state, std::string reason, TimeMs now) {
  a.rt().state = state;
  a.rt().state_reason = std::move(reason);
  persist_runtime(a, now);
}

}  // namespace muni
