// A host's queue of one kind of work, and the order in which it starts.
//
// The engine keeps one WorkQueue per host and work kind (poll, refresh,
// comments, backfill) and picks between the kinds by priority
// (engine.h). Within one queue:
//
//   - polls, refreshes and comment sweeps start in the order they came due
//     (first in, first out): they are pushed without a rank;
//   - backfill starts longest history first: it is pushed with the number of
//     posts its account has still to read (backfill_remaining), and entries
//     with more to read start before entries with less.
//
// Why longest first: a backfill is a chain of pages that can only be read one
// after the other (each page's position comes from the one before), so the
// whole backfill cannot end before its longest chain does. A queue that
// serves accounts in turn lets the longest chain wait behind every short one
// on its host at every page, and it ends late (issue 21: 1.4-2.0x the bound
// with 60 accounts). Started first and re-queued ahead after each page, the
// longest chain runs without a gap while the host's other connections serve
// the rest (the longest-processing-time rule).
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>

namespace muni {

// How many posts an account's backfill has still to read, as far as the
// platform's profile says: its count of posts (Mastodon statuses_count,
// Bluesky postsCount, YouTube videoCount) minus the own posts stored, never
// below 0 (profiles count differently: boosts, deletions). nullopt when the
// profile gives no count (feeds): the length is unknown. It is an estimate
// for ordering only; one host serves one platform, so posts order the same
// as pages.
std::optional<int64_t> backfill_remaining(std::optional<int64_t> profile_posts,
                                          int64_t own_posts_stored);

// True when work ranked `x` starts before work ranked `y`: a known rank
// before an unknown one, a larger rank before a smaller one. Equal ranks
// (both unknown included) are neither: they keep the order they arrived in.
bool starts_before(std::optional<int64_t> x, std::optional<int64_t> y);

class WorkQueue {
 public:
  // Queues an account. Without a rank it goes behind everything queued
  // (first in, first out); with one, behind every entry that does not rank
  // below it (starts_before), so equal ranks keep their arrival order. A
  // rank is a count: one below 0 counts as 0.
  // The rank is fixed while queued: the engine queues an account once per
  // kind of work and ranks it again when it queues it again.
  void push(int64_t account_id, std::optional<int64_t> rank = std::nullopt);
  bool empty() const { return entries_.empty(); }
  size_t size() const { return entries_.size(); }
  // The account to start next. Requires !empty().
  int64_t front() const { return entries_.front().account_id; }
  void pop_front() { entries_.pop_front(); }

 private:
  // A rank is a count (>= 0), so an unknown one is kept as -1: an entry is
  // two words, as 10,000 queued polls of a national schedule are.
  static constexpr int64_t kUnknown = -1;
  struct Entry {
    int64_t account_id;
    int64_t rank;  // kUnknown or >= 0
  };
  static std::optional<int64_t> rank_of(const Entry& e) {
    return e.rank == kUnknown ? std::nullopt : std::optional<int64_t>(e.rank);
  }
  std::deque<Entry> entries_;  // ordered by starts_before, ties by arrival
};

}  // namespace muni
