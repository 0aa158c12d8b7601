// The engine's runtime records, shared by the files that define Engine's
// members (engine.cpp and engine_*.cpp): what the engine keeps per account
// (AccountRt), per host (HostRt) and per running unit of work (Session),
// and the few helpers they all use. Private to src/engine: nothing outside
// the engine includes this header.
#pragma once

#include <spdlog/spdlog.h>

#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unordered_set>
#include <vector>

#include "core/platform.h"
#include "engine/engine.h"
#include "engine/work_queue.h"

namespace muni {

namespace engine_detail {

inline int idx(WorkKind w) { return static_cast<int>(w); }
inline bool is_comment_work(WorkKind w) {
  return w == WorkKind::kComments || w == WorkKind::kCommentBackfill;
}
// The budget scope of comment work's share of a quota scope.
inline std::string comment_scope(const std::string& quota_scope) {
  return quota_scope + "#comments";
}
// Items whose comments one unit of comment backfill reads.
constexpr size_t kCommentItemsPerUnit = 20;
inline WorkKind work_of(int i) { return static_cast<WorkKind>(i); }

inline std::shared_ptr<spdlog::logger> log() {
  auto l = spdlog::get("engine");
  return l ? l : spdlog::default_logger();
}

// "2026-01-01T14:48:00Z" of a wall time, whole seconds, for messages.
inline std::string clock_time(TimeMs t) { return format_iso8601(t - t % 1000); }

}  // namespace engine_detail

struct Engine::AccountRt {
  StoredAccount stored;  // configuration, saved position and the runtime state
  const Connector* connector = nullptr;
  const PlatformDescriptor* platform = nullptr;
  std::string host_key;
  std::string credential_slot;  // "" = the platform's default slot
  std::string quota_scope;      // "" = no quota budget applies
  DurationMs interval = kHourMs;
  TimeMs phase = 0;
  std::optional<std::string> base_url;
  std::map<std::string, std::string> settings;
  std::optional<TimeMs> backfill_since;
  bool busy = false;
  WorkKind busy_work = WorkKind::kPoll;
  bool queued[kWorkKinds] = {};
  bool pending[kWorkKinds] = {};
  uint64_t generation[kWorkKinds] = {};
  TimeMs next_at[kWorkKinds] = {};  // 0: not scheduled
  bool polled = false;              // a poll succeeded since load: backfill may start
  TimeMs retry_at = 0;     // rt().backoff_until in timer time: when a failed unit is retried
  int idle_backfills = 0;  // consecutive backfill units without a new post
  int64_t idle_skipped_items = 0;  // items those units could not store
  // Backfill pages and posts since the last summary line: the journal gets
  // one line per account's backfill, not one per page.
  int64_t backfill_pages = 0;
  int64_t backfill_posts = 0;
  // The last backfill unit had nothing to ask (no position to page back
  // from yet): no further backfill until a poll succeeds.
  bool backfill_idle = false;
  // The last unit of comment backfill read some item's comments: more may
  // be due, so it goes on; one that read none waits for its interval.
  bool comments_left = false;
  // poll --once progress
  bool once = false;
  bool once_done = false;
  int once_attempts = 0;

  std::string label() const { return stored.municipality_id + "/" + stored.account_key; }
  AccountRuntime& rt() { return stored.runtime; }
};

struct Engine::HostRt {
  std::string key;
  std::string platform;
  int cap = 4;
  RateLimiter limiter{RateBudgetDefaults{}};
  int active = 0;
  int in_flight = 0;
  // Polls, refreshes, comments first in first out; backfill longest first
  // (engine/work_queue.h).
  WorkQueue queue[kWorkKinds];
  std::deque<uint64_t> waiting;  // sessions whose next request waits for the budget
  TimeMs wake_at = 0;
  int64_t requests_total = 0;
  int64_t rate_limited_total = 0;
};

struct Engine::Session {
  uint64_t id = 0;
  std::vector<int64_t> accounts;  // the first is the session's own; more in a batch
  std::string platform;
  std::string label;
  WorkKind work = WorkKind::kPoll;
  std::string host_key;
  std::string credential_slot;
  std::string quota_scope;
  std::unique_ptr<ConnectorSession> impl;
  TimeMs started_at = 0;
  std::optional<HttpRequest> request;
  uint64_t transfer = 0;  // 0 when nothing is in flight
  int requests = 0;
  int posts_new = 0;
  int posts_updated = 0;
  int posts_deleted = 0;
  int comment_sweeps = 0;  // items whose comments this unit finished reading
  int items_skipped = 0;
  int redirects = 0;
  int http_status = 0;
  int rate_limited = 0;
  TimeMs sent_at = 0;            // when the request in flight was sent
  bool sent_validators = false;  // the request in flight carried If-None-Match/-Modified-Since
  // The per-unit guard: what this unit has asked for so far.
  std::unordered_set<uint64_t> request_keys;  // hashes of method and URL
  int64_t units_asked = 0;
  std::string notes;  // what the page guard corrected, for the poll log
  // Per-account outcomes a batch session reported (account id -> failure).
  std::map<int64_t, std::pair<FailureKind, std::string>> outcomes;
};

}  // namespace muni
