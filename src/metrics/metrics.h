// Observed usage metrics: pure functions of stored data and a period.
//
// Every metric is defined in docs/metrics.md with its formula, denominator,
// source and caveats; the catalogue below (metric_catalogue()) carries the
// same names, units and one-line definitions for --help and output headers.
// Figures are computed per account, and per group of accounts (a
// municipality, or a municipality's accounts of one KGSt category) over the
// union of the group's posts. Every figure carries the coverage of the
// observation it rests on.
//
// Times are UTC in the store; periods, days and office hours are evaluated in
// the configured time zone (Europe/Berlin by default, DST included).
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/model.h"
#include "core/result.h"
#include "core/time_util.h"
#include "core/tz.h"
#include "core/value.h"
#include "config/config.h"
#include "store/store.h"
#include "store/store_reads.h"

namespace muni::metrics {

// A half-open period [start, end) with a label such as "2025-03", "2025-W14",
// "2025-Q1", "2025" or "2025-01-01..2025-12-31".
struct Period {
  TimeMs start = 0;
  TimeMs end = 0;
  std::string label;
};

enum class Granularity { kNone, kDay, kWeek, kMonth, kQuarter, kYear };
Result<Granularity> parse_granularity(const std::string& text);

// Splits [from, to) into calendar periods of the time zone (ISO weeks start on
// Monday). Partial periods at either end are clipped to [from, to).
std::vector<Period> split_periods(TimeMs from, TimeMs to, Granularity g, const TimeZone& tz);

struct Options {
  TimeZone tz = TimeZone::utc();
  TimeMs now = 0;  // periods are evaluated up to now
  DurationMs dormant_after_ms = 90 * kDayMs;
  double min_coverage = 0.8;
  int office_start_hour = 8;  // Mon-Fri [start, end) local hours are office hours
  int office_end_hour = 18;
  // An item's comments count as read for a period when they were read
  // completely after the period ended, or, for a period still running, no
  // longer than this before now (the re-sweep interval and a day of slack:
  // docs/metrics.md, "Comment coverage").
  DurationMs comment_read_tolerance_ms = 31 * kDayMs;
};

// The options the configuration sets (metrics: dormant_after, min_coverage,
// office_hours), for time zone `tz` and the instant `now`.
Options options_from_config(const Config& config, const TimeZone& tz, TimeMs now);

// What one account contributes: its identity and the stored rows the
// metrics need (loaded by load_account_data through store_reads.h).
using PostRow = ActivityPost;
using CommentRow = ActivityComment;
using FollowerSample = muni::FollowerSample;

struct AccountData {
  StoredAccount account;
  std::optional<int64_t> population;     // of the account's municipality
  DurationMs interval_ms = kHourMs;      // poll interval in force
  std::vector<PostRow> posts;            // ascending created_at, within the loaded window
  std::optional<TimeMs> first_own_post;  // earliest own post ever stored
  std::optional<TimeMs> last_own_post_before_window;  // latest own post before the window
  std::vector<FollowerSample> followers;              // ascending
  // Observation spans (table coverage_spans): successful polls no more than
  // three poll intervals apart, ascending.
  std::vector<std::pair<TimeMs, TimeMs>> spans;
  std::vector<CommentRow> comments;      // within the window
  bool platform_shows_comments = false;  // the descriptor's capabilities.comments
  // Comment coverage: every own item created before the window's end, with
  // when its comments were last read (store_reads.h). Dialogue figures need
  // every item that could be commented on in a period to have been read.
  std::vector<ItemCommentSweep> comment_sweeps;
};

// Loads what metrics over [from, to) need for the given accounts.
Result<std::vector<AccountData>> load_account_data(
    Store& store, const std::vector<StoredAccount>& accounts,
    const std::map<std::string, int64_t>& populations, DurationMs default_interval_ms, TimeMs from,
    TimeMs to);

// The values of one row: metric name -> value (null when not computable).
using Values = std::map<std::string, Value>;

// Metrics of a group of accounts (one account is a group of one) over `p`.
Values compute(const std::vector<const AccountData*>& group, const Period& p, const Options& o);

// A whole report: accounts grouped by level, every group over every period.
// Groups are loaded one at a time, so memory stays bounded at national scale.
enum class Level { kAccount, kMunicipality, kCategory, kPlatform };
Result<Level> parse_level(const std::string& text);
std::vector<std::string> key_columns(Level level);

struct Query {
  std::vector<StoredAccount> accounts;  // already filtered
  Level level = Level::kMunicipality;
  std::vector<Period> periods;
  Options options;
  std::map<std::string, int64_t> populations;  // municipality id -> inhabitants
  DurationMs default_interval_ms = kHourMs;
};

struct Row {
  std::vector<std::string> key;  // values of key_columns(level)
  std::string period;
  Values values;
};

// Calls `sink` for every row, groups in key order, periods in time order.
Status run_query(Store& store, const Query& q, const std::function<void(Row&&)>& sink);

// Coverage of one account over [start, end): the share of the period for which
// its history is known (see docs/metrics.md, Coverage).
double coverage(const AccountData& a, TimeMs start, TimeMs end, TimeMs now);

// Followers of an account at instant t: the last sample at or before t; the
// first sample after t when none is earlier (flagged by the caller through
// coverage); nullopt without samples.
std::optional<int64_t> followers_at(const AccountData& a, TimeMs t);

// Percentile by linear interpolation between order statistics (Hyndman & Fan
// type 7, R's default); p in [0, 1]. nullopt for an empty sample.
std::optional<double> percentile(std::vector<double> values, double p);

struct MetricInfo {
  std::string name;
  std::string group;  // presence, activity, dialogue, engagement, audience, coverage
  std::string unit;
  std::string definition;
};
const std::vector<MetricInfo>& metric_catalogue();
// The metrics shown by default in the terminal table.
const std::vector<std::string>& default_table_metrics();

}  // namespace muni::metrics
