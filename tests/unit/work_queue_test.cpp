// The order in which a host's queued work starts (engine/work_queue.h):
// first in first out without ranks, backfill longest history first.
#include <doctest/doctest.h>

#include <vector>

#include "engine/work_queue.h"

using namespace muni;

namespace {

std::vector<int64_t> drain(WorkQueue& q) {
  std::vector<int64_t> out;
  while (!q.empty()) {
    out.push_back(q.front());
    q.pop_front();
  }
  return out;
}

}  // namespace

TEST_CASE("work queue: backfill_remaining is the profile's count minus the posts stored") {
  CHECK(backfill_remaining(5000, 20) == 4980);
  CHECK(backfill_remaining(40, 40) == 0);
  // Profiles count differently (boosts, deleted posts): never below 0.
  CHECK(backfill_remaining(10, 25) == 0);
  // No count (a feed): the length is unknown, not 0.
  CHECK(backfill_remaining(std::nullopt, 25) == std::nullopt);
}

TEST_CASE("work queue: starts_before puts known and longer first, equal ranks are neither") {
  CHECK(starts_before(100, 99));
  CHECK_FALSE(starts_before(99, 100));
  CHECK(starts_before(0, std::nullopt));
  CHECK_FALSE(starts_before(std::nullopt, 0));
  CHECK_FALSE(starts_before(7, 7));
  CHECK_FALSE(starts_before(std::nullopt, std::nullopt));
}

TEST_CASE("work queue: without ranks it is first in first out (polls, refreshes, comments)") {
  WorkQueue q;
  for (const int64_t id : {3, 1, 2, 9}) q.push(id);
  CHECK(q.size() == 4);
  CHECK(drain(q) == std::vector<int64_t>{3, 1, 2, 9});
  CHECK(q.empty());
}

TEST_CASE("work queue: backfill starts longest history first, unknown lengths last") {
  WorkQueue q;
  q.push(1, 40);
  q.push(2, std::nullopt);
  q.push(3, 5000);
  q.push(4, 0);
  q.push(5, 800);
  q.push(6, -3);  // a rank is a count: below 0 counts as 0, still before unknown
  CHECK(drain(q) == std::vector<int64_t>{3, 5, 1, 4, 6, 2});
}

TEST_CASE("work queue: equal ranks keep their arrival order, whatever the account id") {
  WorkQueue q;
  q.push(7, 100);
  q.push(2, 100);
  q.push(9, std::nullopt);
  q.push(5, std::nullopt);
  q.push(4, 100);
  CHECK(drain(q) == std::vector<int64_t>{7, 2, 4, 9, 5});
}

TEST_CASE("work queue: a long chain queued again after its page goes ahead of shorter ones") {
  // What the engine does after every backfill page: the account is queued
  // again with what is left. The longest stays at the front until it is no
  // longer the longest, then the accounts take turns by what is left.
  WorkQueue q;
  q.push(1, 60);
  q.push(2, 60);
  q.push(3, 1000);
  CHECK(q.front() == 3);
  q.pop_front();
  q.push(3, 980);  // one page of 20 read
  CHECK(q.front() == 3);
  q.pop_front();
  q.push(3, 50);  // now shorter than the others
  CHECK(drain(q) == std::vector<int64_t>{1, 2, 3});
}
