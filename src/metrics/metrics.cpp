#include "metrics/metrics.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <set>

#include "core/platform.h"

namespace muni::metrics {

namespace {

std::string local_date(const TimeZone& tz, TimeMs t) {
  return format_civil_date(tz.to_local(t).date);
}

CivilDate add_months(CivilDate d, int months) {
  int m = d.month - 1 + months;
  d.year += m >= 0 ? m / 12 : -((11 - m) / 12);
  d.month = ((m % 12) + 12) % 12 + 1;
  d.day = 1;
  return d;
}

// ISO 8601 week number and week-based year of a date.
std::pair<int, int> iso_week(CivilDate d) {
  const int64_t days = days_from_civil(d);
  const int64_t thursday = days - weekday_from_days(days) + 3;
  const CivilDate th = civil_from_days(thursday);
  const int64_t jan1 = days_from_civil({th.year, 1, 1});
  return {th.year, static_cast<int>((thursday - jan1) / 7 + 1)};
}

bool is_own(PostKind k) { return k != PostKind::kRepost; }

// Length of the union of intervals clipped to [lo, hi).
DurationMs covered_length(std::vector<std::pair<TimeMs, TimeMs>> v, TimeMs lo, TimeMs hi) {
  std::sort(v.begin(), v.end());
  DurationMs total = 0;
  TimeMs cur_start = 0, cur_end = 0;
  bool open = false;
  for (auto [a, b] : v) {
    a = std::max(a, lo);
    b = std::min(b, hi);
    if (b <= a) continue;
    if (!open || a > cur_end) {
      if (open) total += cur_end - cur_start;
      cur_start = a;
      cur_end = b;
      open = true;
    } else {
      cur_end = std::max(cur_end, b);
    }
  }
  if (open) total += cur_end - cur_start;
  return total;
}

struct OwnPost {
  const PostRow* row;
  const AccountData* account;
};

std::optional<double> ratio(double num, double den) {
  if (den <= 0) return std::nullopt;
  return num / den;
}

}  // namespace

Result<Granularity> parse_granularity(const std::string& text) {
  if (text.empty() || text == "none") return Granularity::kNone;
  if (text == "day") return Granularity::kDay;
  if (text == "week") return Granularity::kWeek;
  if (text == "month") return Granularity::kMonth;
  if (text == "quarter") return Granularity::kQuarter;
  if (text == "year") return Granularity::kYear;
  return make_error(ErrorCode::kInvalidArgument,
                    "unknown period '" + text + "' (use day, week, month, quarter or year)");
}

std::vector<Period> split_periods(TimeMs from, TimeMs to, Granularity g, const TimeZone& tz) {
  std::vector<Period> out;
  if (to <= from) return out;
  if (g == Granularity::kNone) {
    out.push_back({from, to, local_date(tz, from) + ".." + local_date(tz, to - 1)});
    return out;
  }
  const CivilDate first = tz.to_local(from).date;
  CivilDate cursor = first;
  switch (g) {
    case Granularity::kDay:
      break;
    case Granularity::kWeek:
      cursor = civil_from_days(days_from_civil(first) - weekday_from_days(days_from_civil(first)));
      break;
    case Granularity::kMonth:
      cursor.day = 1;
      break;
    case Granularity::kQuarter:
      cursor.day = 1;
      cursor.month = (first.month - 1) / 3 * 3 + 1;
      break;
    case Granularity::kYear:
      cursor = CivilDate{first.year, 1, 1};
      break;
    case Granularity::kNone:
      break;
  }
  while (true) {
    CivilDate next = cursor;
    char label[32];
    switch (g) {
      case Granularity::kDay:
        next = civil_from_days(days_from_civil(cursor) + 1);
        std::snprintf(label, sizeof label, "%s", format_civil_date(cursor).c_str());
        break;
      case Granularity::kWeek: {
        next = civil_from_days(days_from_civil(cursor) + 7);
        const auto [y, w] = iso_week(cursor);
        std::snprintf(label, sizeof label, "%04d-W%02d", y, w);
        break;
      }
      case Granularity::kMonth:
        next = add_months(cursor, 1);
        std::snprintf(label, sizeof label, "%04d-%02d", cursor.year, cursor.month);
        break;
      case Granularity::kQuarter:
        next = add_months(cursor, 3);
        std::snprintf(label, sizeof label, "%04d-Q%d", cursor.year, (cursor.month - 1) / 3 + 1);
        break;
      case Granularity::kYear:
        next = CivilDate{cursor.year + 1, 1, 1};
        std::snprintf(label, sizeof label, "%04d", cursor.year);
        break;
      case Granularity::kNone:
        break;
    }
    const TimeMs start = std::max(from, tz.from_local(cursor));
    const TimeMs end = std::min(to, tz.from_local(next));
    if (end > start) out.push_back({start, end, label});
    if (tz.from_local(next) >= to) break;
    cursor = next;
  }
  return out;
}

std::optional<double> percentile(std::vector<double> v, double p) {
  if (v.empty()) return std::nullopt;
  std::sort(v.begin(), v.end());
  const double h = (static_cast<double>(v.size()) - 1) * std::clamp(p, 0.0, 1.0);
  const auto lo = static_cast<size_t>(std::floor(h));
  const auto hi = static_cast<size_t>(std::ceil(h));
  return v[lo] + (h - static_cast<double>(lo)) * (v[hi] - v[lo]);
}

std::optional<int64_t> followers_at(const AccountData& a, TimeMs t) {
  if (a.followers.empty()) return std::nullopt;
  const auto it = std::upper_bound(a.followers.begin(), a.followers.end(), t,
                                   [](TimeMs x, const FollowerSample& s) { return x < s.at; });
  if (it == a.followers.begin()) return a.followers.front().followers;
  return std::prev(it)->followers;
}

namespace {

// Strict: only a sample at or before t counts (audience figures).
std::optional<int64_t> followers_known_at(const AccountData& a, TimeMs t) {
  if (a.followers.empty() || a.followers.front().at > t) return std::nullopt;
  return followers_at(a, t);
}

std::optional<TimeMs> history_start(const AccountData& a) {
  switch (a.account.backfill_state) {
    case BackfillState::kComplete:
      return std::numeric_limits<TimeMs>::min() / 2;
    case BackfillState::kReachedStart:
      if (a.account.backfill_since) return days_from_civil(*a.account.backfill_since) * kDayMs;
      return a.first_own_post;
    case BackfillState::kPending:
    case BackfillState::kIncomplete:
      return a.first_own_post;
  }
  return std::nullopt;
}

}  // namespace

double coverage(const AccountData& a, TimeMs start, TimeMs end, TimeMs now) {
  const TimeMs hi = std::min(end, now);
  if (hi <= start || a.spans.empty()) return 0.0;
  // Known: every span of uninterrupted polling (the latest one reaching on to
  // the next poll), and the history backfilled before the first poll.
  std::vector<std::pair<TimeMs, TimeMs>> known = a.spans;
  known.back().second += a.interval_ms;
  if (auto h = history_start(a)) known.emplace_back(*h, a.spans.front().first);
  return static_cast<double>(covered_length(known, start, hi)) / static_cast<double>(hi - start);
}

Result<std::vector<AccountData>> load_account_data(
    Store& store, const std::vector<StoredAccount>& accounts,
    const std::map<std::string, int64_t>& populations, DurationMs default_interval_ms, TimeMs from,
    TimeMs to) {
  std::vector<AccountData> out;
  out.reserve(accounts.size());
  ActivityReader reader(store);
  for (const StoredAccount& acc : accounts) {
    AccountData d;
    d.account = acc;
    if (auto it = populations.find(acc.municipality_id); it != populations.end())
      d.population = it->second;
    d.interval_ms = acc.interval_ms.value_or(default_interval_ms);
    const PlatformDescriptor* platform = find_platform(acc.platform);
    d.platform_shows_comments = platform != nullptr && platform->capabilities.comments;
    auto activity = reader.read(acc.id, acc.platform_id, from, to, d.platform_shows_comments);
    if (!activity.ok()) return activity.error();
    AccountActivity& a = *activity;
    d.posts = std::move(a.posts);
    d.comment_sweeps = std::move(a.comment_sweeps);
    d.first_own_post = a.first_own_post;
    d.last_own_post_before_window = a.last_own_post_before_window;
    d.followers = std::move(a.followers);
    d.spans = std::move(a.spans);
    d.comments = std::move(a.comments);
    out.push_back(std::move(d));
  }
  return out;
}

namespace {

// Dialogue with citizens, one rule on every platform with comments or
// topics (docs/metrics.md, "Answered"):
//   - a citizen question is a thread someone other than the account opened
//     in the period: a top-level comment on the account's item (a forum
//     topic a citizen opened);
//   - it is answered when the account posts anywhere in that thread after
//     the opening; the answer time is the account's first such post minus
//     the opening;
//   - citizens' follow-ups inside threads are counted on their own
//     (citizen_replies), never as unanswered questions.
// A comment's thread is found by walking reply_to up to the top-level
// comment (YouTube replies name the thread directly; nested platforms name
// the comment answered). Null where no account of the group is on a
// platform that shows comments.
// Comment coverage of one account for a period: of its own items that could
// be commented on in the period (created before its end), how many had their
// comments read completely late enough to include the period's comments:
// after the period ended, or for a running period within the tolerance.
struct CommentCoverage {
  int64_t items = 0;
  int64_t read = 0;
  bool complete() const { return read == items; }
};

CommentCoverage comment_coverage_of(const AccountData& a, const Period& p, const Options& o) {
  CommentCoverage c;
  const TimeMs needed_after = std::min(p.end, o.now - o.comment_read_tolerance_ms);
  for (const ItemCommentSweep& s : a.comment_sweeps) {
    if (s.created_at >= p.end) break;  // ascending
    ++c.items;
    if (s.complete && s.swept_at && *s.swept_at >= needed_after) ++c.read;
  }
  return c;
}

// Dialogue with citizens, one rule on every platform with comments or
// topics (docs/metrics.md, "Answered"). Unknown, never 0, where the
// platform shows no comments, or where any item that could be commented on
// in the period was not read (docs/metrics.md, "Comment coverage"); the
// reason is in dialogue_unknown.
void add_citizen_dialogue(const std::vector<const AccountData*>& group, const Period& p,
                          const Options& o, Values& v) {
  int64_t questions = 0, follow_ups = 0, answered = 0;
  std::vector<double> answer_hours;
  int64_t items = 0, read = 0;
  int with_comments = 0;
  for (const AccountData* a : group) {
    if (!a->platform_shows_comments) continue;
    ++with_comments;
    const CommentCoverage cov = comment_coverage_of(*a, p, o);
    items += cov.items;
    read += cov.read;
    std::map<std::string, const CommentRow*> by_id;
    for (const CommentRow& c : a->comments) by_id.emplace(c.id, &c);
    // The opening comment's id of `c`'s thread; a parent outside what was
    // read counts as the thread's opening (its id names the thread).
    const auto thread_of = [&](const CommentRow& c) {
      const CommentRow* cur = &c;
      for (int depth = 0; depth < 10000 && !cur->reply_to.empty(); ++depth) {
        const auto it = by_id.find(cur->reply_to);
        if (it == by_id.end()) return cur->reply_to;
        cur = it->second;
      }
      return cur->id;
    };
    // The account's posts in each thread, by time.
    std::map<std::string, std::vector<TimeMs>> account_posts;
    for (const CommentRow& c : a->comments) {
      if (c.by_account) account_posts[thread_of(c)].push_back(c.created_at);
    }
    for (const CommentRow& c : a->comments) {
      if (c.by_account || c.created_at < p.start || c.created_at >= p.end) continue;
      if (!c.reply_to.empty()) {
        ++follow_ups;
        continue;
      }
      ++questions;
      std::optional<TimeMs> first_answer;
      if (const auto it = account_posts.find(c.id); it != account_posts.end()) {
        for (const TimeMs t : it->second) {
          if (t >= c.created_at) first_answer = std::min(first_answer.value_or(t), t);
        }
      }
      if (first_answer) {
        ++answered;
        answer_hours.push_back(static_cast<double>(*first_answer - c.created_at) /
                               static_cast<double>(kHourMs));
      }
    }
  }
  v["comment_coverage"] = with_comments == 0 ? Value()
                          : items == 0
                              ? Value(1.0)
                              : Value(static_cast<double>(read) / static_cast<double>(items));
  std::string unknown;
  if (with_comments == 0) {
    unknown = "the platform shows no comments";
  } else if (read < items) {
    unknown = "comments of " + std::to_string(items - read) + " of " + std::to_string(items) +
              " items never read for this period";
  }
  const bool observable = unknown.empty();
  v["dialogue_unknown"] = observable ? Value() : Value(unknown);
  v["citizen_questions"] = observable ? Value(questions) : Value();
  v["citizen_replies"] = observable ? Value(follow_ups) : Value();
  v["citizen_comments"] = observable ? Value(questions + follow_ups) : Value();
  v["service_level"] =
      observable ? value_of(ratio(static_cast<double>(answered), static_cast<double>(questions)))
                 : Value();
  v["answer_time_median_h"] = observable ? value_of(percentile(answer_hours, 0.5)) : Value();
}

// What has elapsed of the period at `now`: rates per week are over this,
// so a running period is not diluted by its future.
struct Elapsed {
  TimeMs end = 0;  // min(period end, now), never before the period's start
  double weeks = 0;
};

Elapsed elapsed_of(const Period& p, const Options& o) {
  Elapsed e;
  e.end = std::min(p.end, std::max(o.now, p.start));
  e.weeks = static_cast<double>(e.end - p.start) / static_cast<double>(kWeekMs);
  return e;
}

// The group's posts in the period: own posts (everything but reposts)
// ascending by creation, each with its account (engagement reads the
// account's followers), and reposts.
struct PeriodPosts {
  std::vector<OwnPost> own;
  std::vector<const PostRow*> reposts;
};

PeriodPosts posts_in(const std::vector<const AccountData*>& group, const Period& p) {
  PeriodPosts out;
  for (const AccountData* a : group) {
    for (const PostRow& r : a->posts) {
      if (r.created_at < p.start || r.created_at >= p.end) continue;
      if (is_own(r.kind)) {
        out.own.push_back({&r, a});
      } else {
        out.reposts.push_back(&r);
      }
    }
  }
  std::sort(out.own.begin(), out.own.end(), [](const OwnPost& x, const OwnPost& y) {
    return x.row->created_at < y.row->created_at;
  });
  return out;
}

// Presence: accounts, those active (an own post in the period) and dormant
// (no own post within dormant_after_ms before the elapsed end), and the
// dates of first activity, last activity and account creation.
void add_presence(const std::vector<const AccountData*>& group, const Period& p, const Options& o,
                  const Elapsed& e, Values& v) {
  int64_t accounts = 0, active = 0, dormant = 0;
  std::optional<TimeMs> first_activity, last_activity, created;
  for (const AccountData* a : group) {
    ++accounts;
    std::optional<TimeMs> last_own = a->last_own_post_before_window;
    bool posted = false;
    for (const PostRow& r : a->posts) {
      if (r.created_at < p.start || r.created_at >= p.end) {
        if (is_own(r.kind) && r.created_at < p.start)
          last_own = std::max(last_own.value_or(r.created_at), r.created_at);
        continue;
      }
      if (is_own(r.kind)) {
        posted = true;
        last_own = std::max(last_own.value_or(r.created_at), r.created_at);
      }
    }
    if (posted) ++active;
    if (!last_own || *last_own < e.end - o.dormant_after_ms) ++dormant;
    // Activity after the period is not first activity in it.
    std::optional<TimeMs> first = a->first_own_post && *a->first_own_post < p.end
                                      ? a->first_own_post
                                      : std::optional<TimeMs>();
    // An account created after the period did not start being active in it.
    if (a->account.created_at && *a->account.created_at < p.end &&
        (!first || *a->account.created_at < *first))
      first = a->account.created_at;
    if (first) first_activity = std::min(first_activity.value_or(*first), *first);
    if (a->account.created_at)
      created = std::min(created.value_or(*a->account.created_at), *a->account.created_at);
    if (last_own) last_activity = std::max(last_activity.value_or(*last_own), *last_own);
  }
  v["accounts"] = accounts;
  v["accounts_active"] = active;
  v["accounts_dormant"] = dormant;
  v["first_activity"] = first_activity ? Value(local_date(o.tz, *first_activity)) : Value();
  v["last_activity"] = last_activity ? Value(local_date(o.tz, *last_activity)) : Value();
  v["account_created"] = created ? Value(local_date(o.tz, *created)) : Value();
}

// Own posts counted by kind and by local time, with the reply times the
// dialogue figures need; one pass, shared by activity and dialogue.
struct OwnPostTally {
  int64_t n = 0;
  int64_t originals = 0, replies_other = 0, replies_self = 0, replies_unknown = 0, quotes = 0;
  int64_t outside_office = 0, weekend = 0;
  int64_t with_mentions_not_reply = 0;  // mentions someone without replying: networking
  std::set<int64_t> days;               // local days with an own post
  std::vector<double> response_hours;   // replies to others: hours after the post answered
};

OwnPostTally tally_own_posts(const std::vector<OwnPost>& own, const Options& o) {
  OwnPostTally t;
  t.n = static_cast<int64_t>(own.size());
  for (const OwnPost& op : own) {
    const PostRow& r = *op.row;
    switch (r.kind) {
      case PostKind::kOriginal:
        ++t.originals;
        break;
      case PostKind::kReplyOther:
        ++t.replies_other;
        break;
      case PostKind::kReplySelf:
        ++t.replies_self;
        break;
      case PostKind::kReplyUnknown:
        ++t.replies_unknown;
        break;
      case PostKind::kQuote:
        ++t.quotes;
        break;
      case PostKind::kRepost:
        break;
    }
    const LocalTime lt = o.tz.to_local(r.created_at);
    t.days.insert(days_from_civil(lt.date));
    const bool is_weekend = lt.weekday >= 5;
    if (is_weekend) ++t.weekend;
    if (is_weekend || lt.hour < o.office_start_hour || lt.hour >= o.office_end_hour)
      ++t.outside_office;
    if (r.kind == PostKind::kReplyOther && r.parent_created_at &&
        r.created_at >= *r.parent_created_at) {
      t.response_hours.push_back(static_cast<double>(r.created_at - *r.parent_created_at) /
                                 static_cast<double>(kHourMs));
    }
    if (r.kind != PostKind::kReplyOther && r.mentions > 0) ++t.with_mentions_not_reply;
  }
  return t;
}

// The longest stretch without an own post, in days, from the period's start
// to the elapsed end (own posts ascending); null before the period began.
Value longest_gap_days(const std::vector<OwnPost>& own, const Period& p, const Elapsed& e) {
  if (e.end <= p.start) return Value();
  TimeMs prev = p.start;
  DurationMs gap = 0;
  for (const OwnPost& op : own) {
    gap = std::max(gap, op.row->created_at - prev);
    prev = op.row->created_at;
  }
  gap = std::max(gap, e.end - prev);
  return static_cast<double>(gap) / static_cast<double>(kDayMs);
}

// Activity: own posts by kind, reposts, rate per elapsed week, active days,
// the longest gap, and the shares posted outside office hours and at
// weekends.
void add_activity(const PeriodPosts& posts, const OwnPostTally& t, const Period& p,
                  const Elapsed& e, Values& v) {
  v["own_posts"] = t.n;
  v["originals"] = t.originals;
  v["replies_other"] = t.replies_other;
  v["replies_self"] = t.replies_self;
  v["replies_unknown"] = t.replies_unknown;
  v["quotes"] = t.quotes;
  v["reposts"] = static_cast<int64_t>(posts.reposts.size());
  v["posts_per_week"] = e.weeks > 0 ? Value(static_cast<double>(t.n) / e.weeks) : Value();
  v["active_days"] = static_cast<int64_t>(t.days.size());
  v["longest_gap_days"] = longest_gap_days(posts.own, p, e);
  v["share_outside_office_hours"] =
      value_of(ratio(static_cast<double>(t.outside_office), static_cast<double>(t.n)));
  v["share_weekend"] = value_of(ratio(static_cast<double>(t.weekend), static_cast<double>(t.n)));
}

// Dialogue in the account's own posts: the reply share, response times to
// the posts answered, and the networking share (replies to others, reposts
// of others and mentions, over all actions). Comments are
// add_citizen_dialogue's.
void add_reply_dialogue(const std::vector<const AccountData*>& group, const Period& p,
                        const PeriodPosts& posts, const OwnPostTally& t, Values& v) {
  v["reply_share"] =
      value_of(ratio(static_cast<double>(t.replies_other), static_cast<double>(t.n)));
  v["responses_timed"] = static_cast<int64_t>(t.response_hours.size());
  v["response_time_median_h"] = value_of(percentile(t.response_hours, 0.5));
  v["response_time_p90_h"] = value_of(percentile(t.response_hours, 0.9));
  int64_t reposts_of_others = 0;
  for (const AccountData* a : group) {
    for (const PostRow& r : a->posts) {
      if (r.kind == PostKind::kRepost && r.created_at >= p.start && r.created_at < p.end &&
          r.parent_is_other) {
        ++reposts_of_others;
      }
    }
  }
  const int64_t actions = t.n + static_cast<int64_t>(posts.reposts.size());
  v["networking_share"] = value_of(
      ratio(static_cast<double>(t.replies_other + reposts_of_others + t.with_mentions_not_reply),
            static_cast<double>(actions)));
}

// One reaction count (likes, replies or shares) over the own posts that
// report it: how many do, how many have at least one, the sum, and the
// per-1000-followers sum where the followers at posting time are known.
struct ReactionSums {
  int64_t n = 0, with_one = 0;
  double sum = 0, per_follower_sum = 0;
  int64_t per_follower_n = 0;

  void add(const std::optional<int64_t>& count, const std::optional<int64_t>& followers) {
    if (!count) return;
    ++n;
    sum += static_cast<double>(*count);
    if (*count >= 1) ++with_one;
    if (followers && *followers > 0) {
      per_follower_sum += static_cast<double>(*count) / static_cast<double>(*followers) * 1000.0;
      ++per_follower_n;
    }
  }
  std::optional<double> share_with_one() const {
    return ratio(static_cast<double>(with_one), static_cast<double>(n));
  }
  std::optional<double> per_post() const { return ratio(sum, static_cast<double>(n)); }
  std::optional<double> per_1000() const {
    return ratio(per_follower_sum, static_cast<double>(per_follower_n));
  }
};

// Engagement on own posts (reposts carry no counts of their own): P/C/V
// 1-3 for likes, replies and shares, their sum E, and the weighted
// interaction rate (likes + 2 replies + 3 shares, per follower) over posts
// with all three counts.
void add_engagement(const std::vector<OwnPost>& own, Values& v) {
  ReactionSums likes, replies, shares;
  double weighted_sum = 0;
  int64_t weighted_n = 0;
  for (const OwnPost& op : own) {
    const PostRow& r = *op.row;
    const auto f = followers_at(*op.account, r.created_at);
    likes.add(r.likes, f);
    replies.add(r.replies, f);
    shares.add(r.reposts, f);
    if (r.likes && r.replies && r.reposts && f && *f > 0) {
      weighted_sum +=
          static_cast<double>(*r.likes + 2 * *r.replies + 3 * *r.reposts) / static_cast<double>(*f);
      ++weighted_n;
    }
  }
  v["posts_with_counts"] = likes.n;
  v["P1"] = value_of(likes.share_with_one());
  v["P2"] = value_of(likes.per_post());
  v["P3"] = value_of(likes.per_1000());
  v["C1"] = value_of(replies.share_with_one());
  v["C2"] = value_of(replies.per_post());
  v["C3"] = value_of(replies.per_1000());
  v["V1"] = value_of(shares.share_with_one());
  v["V2"] = value_of(shares.per_post());
  v["V3"] = value_of(shares.per_1000());
  const auto p3 = likes.per_1000(), c3 = replies.per_1000(), v3 = shares.per_1000();
  v["E"] = p3 && c3 && v3 ? Value(*p3 + *c3 + *v3) : Value();
  v["weighted_interaction_rate"] = value_of(ratio(weighted_sum, static_cast<double>(weighted_n)));
}

// Audience: followers at the period's start and elapsed end (null unless
// every account has a sample at or before each instant), their growth in
// total and per week, and followers per 1000 inhabitants of the group's
// municipalities (each counted once).
void add_audience(const std::vector<const AccountData*>& group, const Period& p, const Elapsed& e,
                  Values& v) {
  std::optional<int64_t> f_start = 0, f_end = 0;
  std::set<std::string> municipalities;
  std::optional<int64_t> population;
  for (const AccountData* a : group) {
    const auto s = followers_known_at(*a, p.start);
    const auto at_end = followers_known_at(*a, e.end);
    f_start = f_start && s ? std::optional<int64_t>(*f_start + *s) : std::nullopt;
    f_end = f_end && at_end ? std::optional<int64_t>(*f_end + *at_end) : std::nullopt;
    if (municipalities.insert(a->account.municipality_id).second && a->population) {
      population = population.value_or(0) + *a->population;
    }
  }
  if (group.empty()) f_start = f_end = std::nullopt;
  v["followers_start"] = value_of(f_start);
  v["followers_end"] = value_of(f_end);
  if (f_start && f_end) {
    v["followers_growth"] = *f_end - *f_start;
    v["followers_weekly_growth_abs"] =
        e.weeks > 0 ? Value(static_cast<double>(*f_end - *f_start) / e.weeks) : Value();
    v["followers_weekly_growth_rate"] =
        e.weeks > 0 && *f_start > 0
            ? Value(std::pow(static_cast<double>(*f_end) / static_cast<double>(*f_start),
                             1.0 / e.weeks) -
                    1.0)
            : Value();
  } else {
    v["followers_growth"] = Value();
    v["followers_weekly_growth_abs"] = Value();
    v["followers_weekly_growth_rate"] = Value();
  }
  v["followers_per_1000_inhabitants"] =
      f_end && population && *population > 0
          ? Value(static_cast<double>(*f_end) / static_cast<double>(*population) * 1000.0)
          : Value();
}

// Coverage: the least-covered account's share of the period (the group's
// figure), the mean, and whether it is below min_coverage. Returns whether
// any of the period was observed for any account of the group.
bool add_coverage(const std::vector<const AccountData*>& group, const Period& p, const Options& o,
                  Values& v) {
  std::optional<double> cmin;
  double csum = 0;
  for (const AccountData* a : group) {
    const double c = coverage(*a, p.start, p.end, o.now);
    cmin = std::min(cmin.value_or(c), c);
    csum += c;
  }
  v["coverage"] = value_of(cmin);
  v["coverage_mean"] = group.empty() ? Value() : Value(csum / static_cast<double>(group.size()));
  v["low_coverage"] = static_cast<int64_t>(!cmin || *cmin < o.min_coverage);
  return csum != 0;
}

// Nothing of the period observed for any account of the group: how much it
// posted is unknown, not zero (docs/metrics.md, "Unknown is not zero").
// Presence by account count, dates and coverage stay as computed.
void forget_unobserved_counts(Values& v) {
  for (const char* name : {"accounts_active",
                           "accounts_dormant",
                           "own_posts",
                           "originals",
                           "replies_other",
                           "replies_self",
                           "replies_unknown",
                           "quotes",
                           "reposts",
                           "posts_per_week",
                           "active_days",
                           "longest_gap_days",
                           "share_outside_office_hours",
                           "share_weekend",
                           "reply_share",
                           "responses_timed",
                           "response_time_median_h",
                           "response_time_p90_h",
                           "networking_share",
                           "citizen_questions",
                           "citizen_replies",
                           "citizen_comments",
                           "service_level",
                           "answer_time_median_h",
                           "posts_with_counts",
                           "P1",
                           "P2",
                           "P3",
                           "C1",
                           "C2",
                           "C3",
                           "V1",
                           "V2",
                           "V3",
                           "E",
                           "weighted_interaction_rate"}) {
    v[name] = Value();
  }
}

}  // namespace

Values compute(const std::vector<const AccountData*>& group, const Period& p, const Options& o) {
  Values v;
  const Elapsed elapsed = elapsed_of(p, o);
  const PeriodPosts posts = posts_in(group, p);
  const OwnPostTally own = tally_own_posts(posts.own, o);
  add_presence(group, p, o, elapsed, v);
  add_activity(posts, own, p, elapsed, v);
  add_reply_dialogue(group, p, posts, own, v);
  add_citizen_dialogue(group, p, o, v);
  add_engagement(posts.own, v);
  add_audience(group, p, elapsed, v);
  const bool observed = add_coverage(group, p, o, v);
  if (!group.empty() && !observed) {
    forget_unobserved_counts(v);
    if (is_null(v["dialogue_unknown"])) v["dialogue_unknown"] = "the period was not observed";
  }
  return v;
}

Options options_from_config(const Config& config, const TimeZone& tz, TimeMs now) {
  Options o;
  o.tz = tz;
  o.now = now;
  o.dormant_after_ms = config.metrics.dormant_after_ms;
  o.min_coverage = config.metrics.min_coverage;
  o.office_start_hour = config.metrics.office_start_hour;
  o.office_end_hour = config.metrics.office_end_hour;
  o.comment_read_tolerance_ms = config.defaults.comment_resweep_interval_ms + kDayMs;
  return o;
}

Result<Level> parse_level(const std::string& text) {
  if (text == "account") return Level::kAccount;
  if (text == "municipality") return Level::kMunicipality;
  if (text == "category") return Level::kCategory;
  if (text == "platform") return Level::kPlatform;
  return make_error(ErrorCode::kInvalidArgument,
                    "unknown level '" + text + "' (account, municipality, category, platform)");
}

std::vector<std::string> key_columns(Level level) {
  switch (level) {
    case Level::kAccount:
      return {"municipality", "account", "platform", "category"};
    case Level::kMunicipality:
      return {"municipality"};
    case Level::kCategory:
      return {"municipality", "category"};
    case Level::kPlatform:
      return {"municipality", "platform"};
  }
  return {"municipality"};
}

Status run_query(Store& store, const Query& q, const std::function<void(Row&&)>& sink) {
  if (q.periods.empty()) return ok_status();
  std::map<std::vector<std::string>, std::vector<StoredAccount>> groups;
  for (const StoredAccount& a : q.accounts) {
    std::vector<std::string> key;
    switch (q.level) {
      case Level::kAccount:
        key = {a.municipality_id, a.account_key, a.platform, a.category};
        break;
      case Level::kMunicipality:
        key = {a.municipality_id};
        break;
      case Level::kCategory:
        key = {a.municipality_id, a.category};
        break;
      case Level::kPlatform:
        key = {a.municipality_id, a.platform};
        break;
    }
    groups[key].push_back(a);
  }
  const TimeMs from = q.periods.front().start;
  const TimeMs to = q.periods.back().end;
  for (const auto& [key, accounts] : groups) {
    MUNI_TRY(std::vector<AccountData> data,
             load_account_data(store, accounts, q.populations, q.default_interval_ms, from, to));
    std::vector<const AccountData*> group;
    for (const auto& d : data) group.push_back(&d);
    for (const Period& p : q.periods) sink(Row{key, p.label, compute(group, p, q.options)});
  }
  return ok_status();
}

const std::vector<MetricInfo>& metric_catalogue() {
  static const std::vector<MetricInfo> kCatalogue = {
      {"accounts", "presence", "count", "configured accounts in the group"},
      {"accounts_active", "presence", "count", "accounts with at least one own post in the period"},
      {"accounts_dormant", "presence", "count",
       "accounts without own post for metrics.dormant_after before the period end"},
      {"first_activity", "presence", "date",
       "earliest own post stored or account creation date, whichever is earlier"},
      {"last_activity", "presence", "date", "latest own post up to the period end"},
      {"account_created", "presence", "date",
       "earliest account creation date the platforms report"},
      {"own_posts", "activity", "count", "originals + replies + quotes (reposts excluded)"},
      {"originals", "activity", "count", "original posts"},
      {"replies_other", "activity", "count", "replies to other accounts"},
      {"replies_self", "activity", "count", "replies in the account's own threads"},
      {"replies_unknown", "activity", "count",
       "replies whose target cannot be seen (deleted, blocked, unknown author)"},
      {"quotes", "activity", "count", "quote posts"},
      {"reposts", "activity", "count", "reposts / boosts"},
      {"posts_per_week", "activity", "posts/week", "own posts / elapsed weeks of the period"},
      {"active_days", "activity", "days", "local calendar days with at least one own post"},
      {"longest_gap_days", "activity", "days",
       "longest stretch without own post, period edges included"},
      {"share_outside_office_hours", "activity", "share",
       "own posts outside Mon-Fri office hours (local time)"},
      {"share_weekend", "activity", "share", "own posts on Saturdays and Sundays (local time)"},
      {"reply_share", "dialogue", "share", "replies to others / own posts"},
      {"responses_timed", "dialogue", "count",
       "replies to others whose parent's creation time is known"},
      {"response_time_median_h", "dialogue", "hours",
       "median of reply time minus parent time, replies to others"},
      {"response_time_p90_h", "dialogue", "hours",
       "90th percentile of the same (type 7 interpolation)"},
      {"networking_share", "dialogue", "share",
       "(replies to others + reposts of others + other posts mentioning accounts) / (own posts + "
       "reposts)"},
      {"citizen_questions", "dialogue", "count",
       "threads citizens opened on the account's items: top-level comments by others "
       "(platforms that show comments)"},
      {"citizen_replies", "dialogue", "count",
       "citizens' follow-ups inside threads (not questions of their own)"},
      {"citizen_comments", "dialogue", "count",
       "all comments by others: citizen_questions + citizen_replies"},
      {"service_level", "dialogue", "share",
       "citizen questions in whose thread the account posted after the opening / citizen "
       "questions"},
      {"answer_time_median_h", "dialogue", "hours",
       "median time from a citizen question to the account's first post in its thread"},
      {"dialogue_unknown", "dialogue", "text",
       "why the citizen dialogue figures are unknown: no comments on the platform, or comments "
       "of items never read"},
      {"posts_with_counts", "engagement", "count", "own posts with a known like count"},
      {"P1", "engagement", "share", "own posts with at least one like (Bonson & Ratkai 2013)"},
      {"P2", "engagement", "likes/post", "likes per own post"},
      {"P3", "engagement", "per 1,000 followers",
       "likes per post per 1,000 followers at posting time"},
      {"C1", "engagement", "share", "own posts with at least one reply"},
      {"C2", "engagement", "replies/post", "replies per own post"},
      {"C3", "engagement", "per 1,000 followers", "replies per post per 1,000 followers"},
      {"V1", "engagement", "share", "own posts reposted at least once"},
      {"V2", "engagement", "reposts/post", "reposts per own post"},
      {"V3", "engagement", "per 1,000 followers", "reposts per post per 1,000 followers"},
      {"E", "engagement", "per 1,000 followers", "stakeholder engagement index P3 + C3 + V3"},
      {"weighted_interaction_rate", "engagement", "share",
       "mean over posts of (likes + 2 replies + 3 reposts) / followers (Fanpage Karma weighting)"},
      {"followers_start", "audience", "followers", "followers at the period start"},
      {"followers_end", "audience", "followers", "followers at the period end (or now)"},
      {"followers_growth", "audience", "followers", "followers_end - followers_start"},
      {"followers_weekly_growth_abs", "audience", "followers/week", "growth / elapsed weeks"},
      {"followers_weekly_growth_rate", "audience", "share/week",
       "(end / start)^(1/weeks) - 1 (compounding)"},
      {"followers_per_1000_inhabitants", "audience", "per 1,000 inhabitants",
       "followers_end / population x 1000"},
      {"coverage", "coverage", "share",
       "share of the period with the account's history known (minimum over the group)"},
      {"coverage_mean", "coverage", "share", "mean coverage over the group's accounts"},
      {"comment_coverage", "coverage", "share",
       "items that could be commented on in the period whose comments were read completely / "
       "those items (platforms that show comments)"},
      {"low_coverage", "coverage", "flag", "1 when coverage is below metrics.min_coverage"},
  };
  return kCatalogue;
}

const std::vector<std::string>& default_table_metrics() {
  static const std::vector<std::string> kDefault = {"accounts",    "accounts_active",
                                                    "own_posts",   "posts_per_week",
                                                    "reply_share", "response_time_median_h",
                                                    "E",           "followers_end",
                                                    "coverage",    "low_coverage"};
  return kDefault;
}

}  // namespace muni::metrics
