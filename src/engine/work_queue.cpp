#include "engine/work_queue.h"

#include <algorithm>

namespace muni {

std::optional<int64_t> backfill_remaining(std::optional<int64_t> profile_posts,
                                          int64_t own_posts_stored) {
  if (!profile_posts) return std::nullopt;
  return std::max<int64_t>(0, *profile_posts - own_posts_stored);
}

bool starts_before(std::optional<int64_t> x, std::optional<int64_t> y) {
  if (!x) return false;  // unknown never goes before anything
  if (!y) return true;
  return *x > *y;
}

void WorkQueue::push(int64_t account_id, std::optional<int64_t> rank) {
  if (rank && *rank < 0) rank = 0;  // counts only; -1 marks the unknown
  const Entry entry{account_id, rank.value_or(kUnknown)};
  // The common cases, polls and unranked work, append: no search.
  if (entries_.empty() || !starts_before(rank, rank_of(entries_.back()))) {
    entries_.push_back(entry);
    return;
  }
  // Behind everything that does not rank below the new entry.
  const auto at = std::upper_bound(
      entries_.begin(), entries_.end(), rank,
      [](const std::optional<int64_t>& r, const Entry& e) { return starts_before(r, rank_of(e)); });
  entries_.insert(at, entry);
}

}  // namespace muni
