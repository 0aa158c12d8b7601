// Retry delays: exponential backoff with "full jitter" (delay drawn uniformly
// from [0, min(cap, base * 2^attempt)]; M. Brooker, "Exponential Backoff And
// Jitter", AWS Architecture Blog, 2015), with a floor so that a retry never
// follows immediately.
#pragma once

#include <algorithm>

#include "core/clock.h"
#include "core/time_util.h"

namespace muni {

struct BackoffPolicy {
  DurationMs base_ms = 30 * kSecondMs;
  DurationMs cap_ms = 6 * kHourMs;
  DurationMs floor_ms = kSecondMs;
};

// attempt: 1 for the first retry.
inline DurationMs backoff_delay(const BackoffPolicy& policy, int attempt, Random& random) {
  const int shift = std::clamp(attempt - 1, 0, 30);
  const double ceiling = std::min<double>(
      static_cast<double>(policy.cap_ms),
      static_cast<double>(policy.base_ms) * static_cast<double>(int64_t{1} << shift));
  const auto delay = static_cast<DurationMs>(random.uniform01() * ceiling);
  return std::max(delay, policy.floor_ms);
}

}  // namespace muni
