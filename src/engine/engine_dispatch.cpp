// Admission and dispatch (engine_dispatch.h).
#include "engine/engine_dispatch.h"

#include <algorithm>

#include "core/strings.h"
#include "core/text_safety.h"
#include "engine/engine_state.h"
#include "engine/net_policy.h"

namespace muni {

using namespace engine_detail;

std::optional<WorkKind> next_work_kind(const QueuedWork& queued) {
  for (const WorkKind w : {WorkKind::kPoll, WorkKind::kRefresh, WorkKind::kComments}) {
    if (queued.any[static_cast<int>(w)]) return w;
  }
  if (!queued.backfill_allowed) return std::nullopt;
  for (const WorkKind w : {WorkKind::kBackfill, WorkKind::kCommentBackfill}) {
    if (queued.any[static_cast<int>(w)]) return w;
  }
  return std::nullopt;
}

bool Engine::may_start(AccountRt& a, TimeMs now) {
  if (const auto failure = vault_.failure(a.stored.platform, a.credential_slot);
      failure && a.platform->capabilities.needs_credential) {
    set_state(a, AccountState::kAuthFailed, *failure, now);
    return false;
  }
  QuotaBudget* quota = quota_of(a);
  const TimeMs wall = wall_of(now);
  if (quota == nullptr || quota->remaining(wall) > 0) return true;
  // The credential's quota is spent: wait for its reset (a wall-clock
  // instant), and say so.
  const TimeMs wall_reset = quota->next_reset(wall);
  const TimeMs reset = timer_of(wall_reset);
  ++counters_.quota_waits;
  a.rt().backoff_until = wall_reset;
  set_state(a, AccountState::kRateLimited,
            "quota " + quota->scope() + " spent (" + std::to_string(quota->spent(wall)) + " of " +
                std::to_string(quota->units()) + " units); waiting for its reset at " +
                clock_time(wall_reset),
            now);
  for (int w = 0; w < kWorkKinds; ++w) {
    if (a.queued[w] || a.next_at[w] != 0) schedule(a, work_of(w), reset, !a.once);
  }
  if (a.once && !a.once_done) {
    // poll --once does not wait hours for a quota: the account ends here.
    a.once_done = true;
    --once_pending_;
  }
  return false;
}

bool Engine::comment_share_left(AccountRt& a, WorkKind work, TimeMs now) {
  if (a.quota_scope.empty()) return true;
  const auto it = budgets_.find(comment_scope(a.quota_scope));
  if (it == budgets_.end()) return true;
  QuotaBudget& share = *it->second;
  const TimeMs wall = wall_of(now);
  if (share.remaining(wall) > 0) return true;
  // Comments wait for the share's reset; polls and refreshes go on.
  const TimeMs wall_reset = share.next_reset(wall);
  ++counters_.quota_waits;
  schedule(a, work, timer_of(wall_reset), !a.once);
  if (a.once && !a.once_done) {
    a.once_done = true;
    --once_pending_;
  }
  log()->debug("{}: {} waits for the comment share {} ({} of {} units) until {}", a.label(),
               work_kind_id(work), share.scope(), share.spent(wall), share.units(),
               clock_time(wall_reset));
  return false;
}

void Engine::dispatch(HostRt& host, TimeMs now) {
  while (true) {
    if (!host.waiting.empty()) {
      const TimeMs wait = host.limiter.try_acquire(now, host.in_flight);
      if (wait != 0) {
        if (once_mode_ && wait - now > kMinuteMs) {
          // poll --once does not wait minutes for a host's rate limit (a
          // server may announce a long window): the waiting units end as
          // rate-limited, like a spent quota, and the daemon catches up.
          std::vector<uint64_t> held(host.waiting.begin(), host.waiting.end());
          host.waiting.clear();
          for (const uint64_t sid : held) {
            const auto it = sessions_.find(sid);
            if (it == sessions_.end()) continue;
            finish(*it->second,
                   Finish{Outcome::kRateLimited, FailureKind::kNone, true,
                          "rate-limited by " + host.key + " until " + clock_time_of(wait) +
                              "; poll --once does not wait that long",
                          0, wait},
                   now);
          }
          continue;
        }
        if (host.wake_at < wait) ++counters_.rate_limit_waits;
        host.wake_at = wait;
        return;
      }
      host.wake_at = 0;
      const uint64_t sid = host.waiting.front();
      host.waiting.pop_front();
      const auto it = sessions_.find(sid);
      if (it != sessions_.end()) send_ready(host, *it->second, now);
      continue;
    }
    if (stopping_ || host.active >= host.cap) return;
    QueuedWork queued;
    for (int w = 0; w < kWorkKinds; ++w) queued.any[w] = !host.queue[w].empty();
    queued.backfill_allowed =
        (queued.any[idx(WorkKind::kBackfill)] || queued.any[idx(WorkKind::kCommentBackfill)]) &&
        (once_mode_ || host.limiter.headroom(now) > options_.backfill_reserve);
    const std::optional<WorkKind> kind = next_work_kind(queued);
    if (!kind) return;
    const int pick = idx(*kind);
    // One account, or a batch of several where the platform's API takes
    // many ids at once.
    std::vector<AccountRt*> batch;
    int limit = 1;
    while (!host.queue[pick].empty() && static_cast<int>(batch.size()) < limit) {
      const int64_t id = host.queue[pick].front();
      host.queue[pick].pop_front();
      AccountRt* a = account(id);
      if (a == nullptr || a->connector == nullptr) continue;
      a->queued[pick] = false;
      if (!pollable(*a)) continue;
      if (a->busy) {
        a->pending[pick] = true;
        continue;
      }
      if (!may_start(*a, now)) continue;
      if (is_comment_work(work_of(pick)) && !comment_share_left(*a, work_of(pick), now)) continue;
      if (batch.empty()) {
        const WorkSpec* spec = a->platform->work_spec(work_of(pick));
        limit = spec != nullptr ? std::max(1, spec->batch) : 1;
      }
      batch.push_back(a);
    }
    if (batch.empty()) continue;
    start_session(batch, work_of(pick), now);
  }
}

void Engine::start_session(const std::vector<AccountRt*>& batch, WorkKind work, TimeMs now) {
  AccountRt& a = *batch.front();
  std::vector<AccountView> views;
  for (AccountRt* b : batch) {
    AccountView view = view_of(*b);
    view.now = wall_of(now);  // compared with post times: wall time
    if (work == WorkKind::kRefresh || work == WorkKind::kComments) {
      view.refresh_since = view.now - options_.refresh_window_ms;
      auto ids =
          store_.recent_post_ids(b->stored.id, view.refresh_since, options_.refresh_max_posts);
      if (ids.ok()) view.refresh_ids = std::move(*ids);
      // The daily sweep reads the refresh window's items.
      if (work == WorkKind::kComments) view.comment_ids = view.refresh_ids;
    }
    if (work == WorkKind::kCommentBackfill) {
      // Items of the history horizon never read, newest first, then those
      // not read within the re-sweep interval (docs/metrics.md, "Comment
      // coverage"); the store's coverage is the resumable cursor.
      auto ids = store_.comment_sweep_due(b->stored.id, b->backfill_since.value_or(0),
                                          view.now - comment_resweep_interval(*b),
                                          kCommentItemsPerUnit);
      if (ids.ok()) view.comment_ids = std::move(*ids);
    }
    views.push_back(std::move(view));
  }
  auto session = std::make_unique<Session>();
  Session& s = *session;
  s.id = next_session_id_++;
  for (AccountRt* b : batch) s.accounts.push_back(b->stored.id);
  s.platform = a.stored.platform;
  s.label = a.label() + (batch.size() > 1 ? " (+" + std::to_string(batch.size() - 1) + ")" : "");
  s.work = work;
  s.host_key = a.host_key;
  s.credential_slot = a.credential_slot;
  s.quota_scope = a.quota_scope;
  s.started_at = wall_of(now);  // for the poll log
  for (AccountRt* b : batch) {
    b->busy = true;
    b->busy_work = work;
    // The next poll is due at the next slot whether or not this one finishes
    // in time; if it does not, that poll is skipped and counted.
    if (work == WorkKind::kPoll) schedule(*b, WorkKind::kPoll, slot_after(*b, now), !b->once);
  }
  HostRt& host = host_for(a);
  ++host.active;
  sessions_[s.id] = std::move(session);
  StepResult first;
  try {
    s.impl = batch.size() > 1 ? a.connector->begin_batch(views, work)
                              : a.connector->begin(views.front(), work);
    first = s.impl->start();
  } catch (const std::exception& e) {
    first = StepResult::fail(FailureKind::kMalformed, std::string("connector error: ") + e.what());
  }
  handle_step(s, std::move(first), now);
}

void Engine::send_ready(HostRt& host, Session& s, TimeMs now) {
  HttpRequest req = *s.request;
  const bool credentialed = req.credential.kind != CredentialUse::Kind::kNone;
  if (credentialed && !s.quota_scope.empty()) {
    // The request's units come out of the credential's quota budget.
    QuotaBudget* quota = budgets_.at(s.quota_scope).get();
    const TimeMs wall = wall_of(now);
    // Comment work also spends from its share; a unit under way finishes
    // (at most one unit beyond the share), new units wait (may_start).
    if (is_comment_work(s.work)) {
      if (const auto c = budgets_.find(comment_scope(s.quota_scope)); c != budgets_.end())
        (void)c->second->try_spend(req.cost, wall);
    }
    if (!quota->try_spend(req.cost, wall)) {
      ++counters_.quota_waits;
      const TimeMs wall_reset = quota->next_reset(wall);
      finish(s,
             Finish{Outcome::kRateLimited, FailureKind::kNone, true,
                    "quota " + s.quota_scope + " spent (" + std::to_string(quota->spent(wall)) +
                        " of " + std::to_string(quota->units()) + " units); resets at " +
                        clock_time(wall_reset),
                    0, timer_of(wall_reset)},
             now);
      return;
    }
  }
  // The engine, not the connector, attaches secrets.
  if (credentialed) {
    const AccountRt* a = account(s.accounts.front());
    const AuthStyle style =
        a != nullptr && a->platform != nullptr ? a->platform->auth : AuthStyle{};
    (void)vault_.attach(req, s.platform, s.credential_slot, style);
  }
  s.sent_validators = false;
  if (req.conditional) {
    auto cached = store_.http_cache_get(s.request->url);
    if (cached.ok() && cached->has_value()) {
      if (!(*cached)->etag.empty()) req.headers.push_back({"If-None-Match", (*cached)->etag});
      if (!(*cached)->last_modified.empty())
        req.headers.push_back({"If-Modified-Since", (*cached)->last_modified});
      s.sent_validators = !(*cached)->etag.empty() || !(*cached)->last_modified.empty();
    }
  }
  s.transfer = next_transfer_id_++;
  s.sent_at = now;
  transfer_to_session_[s.transfer] = s.id;
  ++host.in_flight;
  ++host.requests_total;
  ++s.requests;
  ++counters_.requests;
  log()->debug("{} {} {}", s.label, req.method, vault_.scrub(redact_url(req.url)));
  transport_.start(s.transfer, req);
}

std::optional<std::string> Engine::unit_guard(Session& s, const HttpRequest& next) {
  // The same request twice in one unit: the server's paging repeats or goes
  // in circles (a page token that never ends, A -> B -> A). Whatever the
  // connector thinks, asking again would only repeat the answer.
  const uint64_t key = std::hash<std::string>{}(next.method + ' ' + next.url);
  if (!s.request_keys.insert(key).second) {
    return "stopped the " + std::string(work_kind_id(s.work)) + " after " +
           std::to_string(s.requests) + " request(s): it would ask for " +
           printable(redact_url(next.url), 200) +
           " a second time (the server's paging repeats or goes in circles); what was read is "
           "kept";
  }
  if (s.requests >= options_.max_requests_per_unit) {
    return "stopped the " + std::string(work_kind_id(s.work)) + " after " +
           std::to_string(s.requests) +
           " requests, the most one unit of work may send (the "
           "server's paging does not end); what was read is kept";
  }
  if (next.credential.kind != CredentialUse::Kind::kNone && !s.quota_scope.empty()) {
    if (const auto b = budgets_.find(s.quota_scope); b != budgets_.end()) {
      const int64_t cap =
          std::max<int64_t>(1, static_cast<int64_t>(static_cast<double>(b->second->units()) *
                                                    options_.max_quota_share_per_unit));
      if (s.units_asked + next.cost > cap) {
        return "stopped the " + std::string(work_kind_id(s.work)) + " after " +
               std::to_string(s.units_asked) +
               " quota units, the most one unit of work may "
               "spend (" +
               std::to_string(cap) + " of " + std::to_string(b->second->units()) + " for quota " +
               s.quota_scope + "); what was read is kept";
      }
      s.units_asked += next.cost;
    }
  }
  return std::nullopt;
}

}  // namespace muni
