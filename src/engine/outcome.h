// How a unit of work ended: its Outcome (what the poll log stores, the
// Prometheus endpoint labels and `poll --once` prints, by outcome_id) and
// the Finish the engine hands from the part that ended the unit to the
// part that applies it to its accounts (engine_finish.h).
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "core/time_util.h"
#include "engine/connector.h"

namespace muni {

enum class Outcome {
  kOk,
  kNotModified,     // a 304 to a conditional request: nothing new, a success like kOk
  kInterrupted,     // stopped (shutdown) before or while storing; read again next time
  kRateLimited,     // a 429, a throttle or a spent quota: retried at its end
  kTransportError,  // no HTTP answer (DNS, connect, TLS, timeout): backs off
  kServerError,     // a 5xx: backs off
  kStorageError,    // the store could not commit the page: backs off
  kInternalError,   // the connector neither asked nor finished: backs off
  // The outcomes of a FailureKind (outcome_of), under the same names:
  kNotFound,
  kGone,
  kSuspended,
  kAuthRequired,
  kAuthFailed,
  kBlocked,
  kMalformed,
  kInvalidHandle,
  kRefused,
  kDuplicate,
  kNoProgress,
};

// The stored and printed name: "ok", "not_modified", "rate_limited", ...
// These strings are the poll log's and the Prometheus labels': never
// rename one.
std::string_view outcome_id(Outcome o);

// The outcome of a connector's (or the engine's) failure; kNone is kOk.
// outcome_id(outcome_of(f)) == failure_kind_id(f).
Outcome outcome_of(FailureKind f);

// ok and not_modified: the unit read what there was to read.
inline bool is_success(Outcome o) { return o == Outcome::kOk || o == Outcome::kNotModified; }

// Every outcome, in declaration order (self metrics, tests).
inline constexpr Outcome kAllOutcomes[] = {Outcome::kOk,
                                           Outcome::kNotModified,
                                           Outcome::kInterrupted,
                                           Outcome::kRateLimited,
                                           Outcome::kTransportError,
                                           Outcome::kServerError,
                                           Outcome::kStorageError,
                                           Outcome::kInternalError,
                                           Outcome::kNotFound,
                                           Outcome::kGone,
                                           Outcome::kSuspended,
                                           Outcome::kAuthRequired,
                                           Outcome::kAuthFailed,
                                           Outcome::kBlocked,
                                           Outcome::kMalformed,
                                           Outcome::kInvalidHandle,
                                           Outcome::kRefused,
                                           Outcome::kDuplicate,
                                           Outcome::kNoProgress};

// How a unit of work ended, for its accounts.
struct Finish {
  Outcome outcome = Outcome::kOk;
  FailureKind failure = FailureKind::kNone;
  bool transient = false;  // retried after a backoff (or at retry_at)
  std::string reason;
  int http_status = 0;
  // Instead of a backoff: when a rate limit or a spent quota ends (timer time).
  std::optional<TimeMs> retry_at = std::nullopt;
};

}  // namespace muni
