// The page guard: what every connector's page passes through before the
// store sees it. Connectors parse what a server said; the guard decides what
// of it may be stored, the same way for every platform, so a new connector
// cannot forget a check:
//
//   text     every string becomes valid UTF-8 without NUL bytes (U+FFFD for
//            what was broken; the post is flagged kQualityTextRepaired)
//   counts   a negative count, or one beyond kMaxPlausibleCount (a saturated
//            2^64-1 or 1e300), is stored as unknown (NULL), never as a wrong
//            number; flagged kQualityCountsRejected. This holds for every
//            count: post engagement, comment likes, profile followers,
//            following and posts, and further account counters (views)
//   dates    a created_at before the platform existed or more than
//            kMaxFutureSkew after now is replaced by the post's independent
//            evidence when that is plausible (kQualityDateCorrected), else the
//            post is skipped and reported; implausible parent, edit and
//            profile dates become unknown
//   repeats  a post id that occurs twice in one page is stored once
//
// Pure: time comes in as an argument.
#pragma once

#include <string>
#include <vector>

#include "core/model.h"
#include "core/time_util.h"

namespace muni {

// Larger than any real follower, view or like count (the most viewed video
// has under 2e10 views), far below where int64 arithmetic in metrics could
// overflow.
constexpr int64_t kMaxPlausibleCount = 1'000'000'000'000LL;  // 10^12
// Server clocks run a little ahead at times; more than this is not a clock.
constexpr DurationMs kMaxFutureSkew = kHourMs;

struct PageAudit {
  int texts_repaired = 0;
  int counts_rejected = 0;
  int dates_corrected = 0;
  int dates_dropped = 0;      // parent/edit/profile dates set unknown
  int duplicates_merged = 0;  // the same post id twice in one page
  std::vector<SkippedItem> skipped;  // posts that could not be kept
  bool clean() const {
    return texts_repaired == 0 && counts_rejected == 0 && dates_corrected == 0 &&
           dates_dropped == 0 && duplicates_merged == 0 && skipped.empty();
  }
  // "2 texts repaired, 1 count out of range set unknown, ..." for logs.
  std::string summary() const;
};

// Applies the rules above to `page` in place. `earliest_item_ms` is the
// platform's bound (PlatformInfo::earliest_item_ms).
PageAudit guard_page(Page& page, TimeMs earliest_item_ms, TimeMs now);

}  // namespace muni
