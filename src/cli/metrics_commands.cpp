// `muniscope metrics` and `muniscope series`.
#include <CLI/CLI.hpp>

#include <array>
#include <cstdio>
#include <map>
#include <set>

#include "cli/output.h"
#include "cli/query_commands.h"
#include "config/config.h"
#include "core/ags.h"
#include "core/clock.h"
#include "core/platform.h"
#include "core/strings.h"
#include "metrics/metrics.h"
#include "store/store.h"
#include "store/store_reads.h"

namespace muni {

namespace {

int fail(const std::string& message, int code) {
  std::fprintf(stderr, "muniscope: %s\n", message.c_str());
  return code;
}

// Config, time zone and the store for read-only queries.
struct QueryContext {
  Config config;
  TimeZone tz = TimeZone::utc();
  std::unique_ptr<Store> store;
};

std::optional<int> open_context(const CommonOptions& common, QueryContext& ctx) {
  ConfigLoad load = load_config(common.config_path);
  if (!load.config) {
    for (const auto& e : load.errors) std::fprintf(stderr, "error: %s\n", e.format().c_str());
    return 2;
  }
  ctx.config = *load.config;
  auto tz = TimeZone::load(ctx.config.defaults.timezone);
  if (!tz.ok()) return fail(tz.error().message, 2);
  ctx.tz = *tz;
  auto store = Store::open(store_path_for(&ctx.config, common.db_override), OpenMode::kReadOnly);
  if (!store.ok()) return fail(store.error().message, 1);
  ctx.store = std::move(*store);
  return std::nullopt;
}

// [from, to) from inclusive local dates; defaults: the last 365 days to today.
std::optional<std::pair<TimeMs, TimeMs>> resolve_range(const std::string& from,
                                                       const std::string& to, const TimeZone& tz,
                                                       TimeMs now, DurationMs default_span) {
  CivilDate to_date = tz.to_local(now).date;
  if (!to.empty()) {
    auto d = parse_civil_date(to);
    if (!d) return std::nullopt;
    to_date = *d;
  }
  const TimeMs end = tz.from_local(civil_from_days(days_from_civil(to_date) + 1));
  TimeMs start = end - default_span;
  if (!from.empty()) {
    auto d = parse_civil_date(from);
    if (!d) return std::nullopt;
    start = tz.from_local(*d);
  } else {
    start = tz.from_local(tz.to_local(start).date);
  }
  if (start >= end) return std::nullopt;
  return std::make_pair(start, end);
}

Column column_for(const std::string& name) {
  for (const auto& m : metrics::metric_catalogue()) {
    if (m.name != name) continue;
    Column c{name};
    if (m.unit == "share" || m.unit == "share/week") c.percent = true;
    c.decimals = m.unit == "count" ? 0 : 2;
    return c;
  }
  return Column{name};
}

}  // namespace

void add_metrics_options(CLI::App& app, MetricsOptions& o, CommonOptions& common) {
  app.add_option("--municipality", o.municipalities, "Only these municipalities (repeatable)");
  app.add_option("--platform", o.platform, "Only accounts on this platform");
  app.add_option("--category", o.category,
                 "Only accounts of this KGSt category: social_network, microblog, "
                 "content_community, blog, wiki, "
                 "forum, messenger");
  app.add_option("--from", o.from,
                 "First day, YYYY-MM-DD in the configured time zone (default: 365 days back)");
  app.add_option("--to", o.to, "Last day, inclusive (default: today)");
  app.add_option("--by", o.by, "Split into day, week, month, quarter or year (default: one period)")
      ->check(CLI::IsMember({"day", "week", "month", "quarter", "year"}));
  app.add_option("--level", o.level,
                 "One row per account, municipality, category or platform (default: municipality)")
      ->check(CLI::IsMember({"account", "municipality", "category", "platform"}));
  app.add_option("--metric", o.metrics,
                 "Metrics to show (repeatable; 'all' for every one; see --list)");
  app.add_flag("--include-inactive", o.include_inactive,
               "Include accounts no longer in the configuration");
  app.add_flag("--list", o.list, "List the metrics with units and definitions");
  add_format_option(app, common.format);
  app.footer(
      "Definitions, formulas and sources: docs/metrics.md. Shares print as percentages in tables, "
      "0..1 in CSV/JSON.");
}

int cmd_metrics(const MetricsOptions& o, const CommonOptions& common) {
  if (o.list) {
    Table t({{"metric"}, {"group"}, {"unit"}, {"definition"}});
    for (const auto& m : metrics::metric_catalogue())
      t.add_row({m.name, m.group, m.unit, m.definition});
    auto f = parse_output_format(common.format);
    write_stdout(t.render(f.ok() ? *f : OutputFormat::kTable));
    return 0;
  }
  auto format = parse_output_format(common.format);
  if (!format.ok()) return fail(format.error().message, 2);
  if (!o.category.empty() && !parse_category(o.category))
    return fail("unknown category '" + o.category + "'", 2);
  if (!o.platform.empty() && find_platform(o.platform) == nullptr)
    return fail(unknown_platform_message(o.platform), 2);
  std::vector<std::string> names = o.metrics;
  if (names.empty()) {
    if (*format == OutputFormat::kTable) {
      names = metrics::default_table_metrics();
    } else {
      names = {"all"};
    }
  }
  if (names.size() == 1 && names[0] == "all") {
    names.clear();
    for (const auto& m : metrics::metric_catalogue()) names.push_back(m.name);
  }
  for (const auto& n : names) {
    bool known = false;
    for (const auto& m : metrics::metric_catalogue()) known = known || m.name == n;
    if (!known) {
      std::vector<std::string> all;
      for (const auto& m : metrics::metric_catalogue()) all.push_back(m.name);
      return fail("unknown metric '" + n + "'" + did_you_mean(n, all) +
                      " (muniscope metrics --list shows them all)",
                  2);
    }
  }
  auto granularity = metrics::parse_granularity(o.by);
  if (!granularity.ok()) return fail(granularity.error().message, 2);

  QueryContext ctx;
  if (auto rc = open_context(common, ctx)) return *rc;
  const TimeMs now = SystemClock().now();
  const auto range = resolve_range(o.from, o.to, ctx.tz, now, 365 * kDayMs);
  if (!range) return fail("--from/--to must be dates YYYY-MM-DD with --from before --to", 2);
  const auto periods = metrics::split_periods(range->first, range->second, *granularity, ctx.tz);

  auto stored = ctx.store->load_accounts(!o.include_inactive, /*with_post_counts=*/false);
  if (!stored.ok()) return fail(stored.error().message, 1);
  const std::set<std::string> wanted(o.municipalities.begin(), o.municipalities.end());
  std::set<std::string> known_municipalities;
  std::vector<StoredAccount> selected;
  for (StoredAccount& a : *stored) {
    known_municipalities.insert(a.municipality_id);
    if (!wanted.empty() && !wanted.count(a.municipality_id)) continue;
    if (!o.platform.empty() && a.platform != o.platform) continue;
    if (!o.category.empty() && a.category != o.category) continue;
    // An account configured twice under two spellings counts once, as its primary.
    if (a.duplicate_of) continue;
    selected.push_back(std::move(a));
  }
  for (const auto& m : wanted) {
    if (!known_municipalities.count(m))
      return fail("no municipality '" + m + "' with accounts in the store", 2);
  }
  metrics::Query q;
  q.accounts = std::move(selected);
  q.level = *metrics::parse_level(o.level);
  q.periods = periods;
  q.default_interval_ms = ctx.config.defaults.poll_interval_ms;
  for (const auto& m : ctx.config.municipalities) {
    if (m.population) q.populations[m.id] = *m.population;
  }
  q.options = metrics::options_from_config(ctx.config, ctx.tz, now);

  std::vector<Column> columns;
  for (const auto& k : metrics::key_columns(q.level)) columns.push_back({k});
  // For programs (CSV, JSON): what a reader needs to join and cite a row,
  // the municipality's name, AGS (text) and Land, and the period's dates
  // beside its label. Tables for people keep to the figures.
  const bool for_programs = *format != OutputFormat::kTable;
  if (for_programs) {
    for (const char* c : {"municipality_name", "ags", "land"}) columns.push_back({c});
  }
  columns.push_back({"period"});
  if (for_programs) {
    columns.push_back({"period_start"});
    columns.push_back({"period_end"});
  }
  for (const auto& n : names) columns.push_back(column_for(n));
  std::map<std::string, std::array<std::string, 3>> facts;  // id -> name, AGS, Land
  for (const MunicipalityConfig& m : ctx.config.municipalities) {
    const Land* land = find_land(m.ags.substr(0, 2));
    facts[m.id] = {m.name, m.ags, land != nullptr ? std::string(land->iso) : m.state};
  }
  std::map<std::string, const metrics::Period*> by_label;
  for (const auto& p : periods) by_label[p.label] = &p;
  Table t(columns);
  auto st = metrics::run_query(*ctx.store, q, [&](metrics::Row&& row) {
    std::vector<Cell> cells(row.key.begin(), row.key.end());
    if (for_programs) {
      const auto f = facts.find(row.key.empty() ? "" : row.key[0]);
      for (size_t i = 0; i < 3; ++i) {
        cells.push_back(f != facts.end() ? Cell(f->second[i]) : Cell());
      }
    }
    cells.push_back(row.period);
    if (for_programs) {
      const auto p = by_label.find(row.period);
      cells.push_back(p != by_label.end()
                          ? Cell(format_civil_date(ctx.tz.to_local(p->second->start).date))
                          : Cell());
      cells.push_back(p != by_label.end()
                          ? Cell(format_civil_date(ctx.tz.to_local(p->second->end - 1).date))
                          : Cell());
    }
    for (const auto& n : names) cells.push_back(row.values.at(n));
    t.add_row(std::move(cells));
  });
  if (!st.ok()) return fail(st.error().message, 1);
  write_stdout(t.render(*format));
  if (*format == OutputFormat::kTable && t.size() == 0) {
    std::fputs("(no accounts match; see `muniscope accounts`)\n", stdout);
  }
  return 0;
}

void add_series_options(CLI::App& app, SeriesOptions& o, CommonOptions& common) {
  app.add_option("what", o.what, "followers, posts or engagement")
      ->required()
      ->check(CLI::IsMember({"followers", "posts", "engagement"}));
  app.add_option("--account", o.account, "Account: id, platform:handle or handle")->required();
  app.add_option("--by", o.by, "day, week or month (default: week)")
      ->check(CLI::IsMember({"day", "week", "month"}));
  app.add_option("--from", o.from,
                 "First day, YYYY-MM-DD (default: the account's first observation)");
  app.add_option("--to", o.to, "Last day, inclusive (default: today)");
  add_format_option(app, common.format);
  app.footer(
      "followers: values at the end of each period (the last sample at or before it).\n"
      "posts: own posts by kind per period. engagement: counts of the period's own posts as last "
      "observed.");
}

int cmd_series(const SeriesOptions& o, const CommonOptions& common) {
  auto format = parse_output_format(common.format);
  if (!format.ok()) return fail(format.error().message, 2);
  QueryContext ctx;
  if (auto rc = open_context(common, ctx)) return *rc;
  auto account = ctx.store->find_account(o.account);
  if (!account.ok()) return fail(account.error().message, 2);
  const TimeMs now = SystemClock().now();
  // Default start: the earliest observation of any kind for this account.
  std::string from = o.from;
  if (from.empty()) {
    auto first = first_observation(*ctx.store, account->id);
    if (!first.ok()) return fail(first.error().message, 1);
    if (*first) from = format_civil_date(ctx.tz.to_local(**first).date);
  }
  const auto range = resolve_range(from, o.to, ctx.tz, now, 365 * kDayMs);
  if (!range) return fail("--from/--to must be dates YYYY-MM-DD with --from before --to", 2);
  auto g = metrics::parse_granularity(o.by);
  const auto periods = metrics::split_periods(range->first, range->second, *g, ctx.tz);
  auto opt_cell = [](const std::optional<int64_t>& v) { return v ? Cell(*v) : Cell(); };
  Table t({{"period"}});
  if (o.what == "followers") {
    t = Table({{"period"},
               {"end"},
               {"followers", 0},
               {"following", 0},
               {"posts_reported", 0},
               {"samples", 0}});
    for (const auto& p : periods) {
      const TimeMs end = std::min(p.end, now);
      auto last = counts_before(*ctx.store, account->id, end);
      auto n = count_account_samples(*ctx.store, account->id, p.start, p.end);
      if (!last.ok()) return fail(last.error().message, 1);
      if (!n.ok()) return fail(n.error().message, 1);
      const CountsSample c = last->value_or(CountsSample{});
      t.add_row({p.label, format_civil_date(ctx.tz.to_local(end - 1).date), opt_cell(c.followers),
                 opt_cell(c.following), opt_cell(c.posts), *n});
    }
  } else if (o.what == "posts") {
    t = Table({{"period"},
               {"own_posts", 0},
               {"originals", 0},
               {"replies_other", 0},
               {"replies_self", 0},
               {"replies_unknown", 0},
               {"quotes", 0},
               {"reposts", 0}});
    for (const auto& p : periods) {
      auto counts = post_kind_counts(*ctx.store, account->id, p.start, p.end);
      if (!counts.ok()) return fail(counts.error().message, 1);
      std::map<std::string, int64_t>& n = *counts;
      const int64_t own =
          n["original"] + n["reply_other"] + n["reply_self"] + n["reply_unknown"] + n["quote"];
      t.add_row({p.label, own, n["original"], n["reply_other"], n["reply_self"], n["reply_unknown"],
                 n["quote"], n["repost"]});
    }
  } else {
    t = Table({{"period"},
               {"own_posts", 0},
               {"likes", 0},
               {"replies", 0},
               {"reposts", 0},
               {"likes_per_post"},
               {"replies_per_post"},
               {"reposts_per_post"}});
    // Per post over the posts whose count is known.
    auto per_post = [](const std::optional<int64_t>& sum, int64_t known) {
      return known > 0 && sum ? Cell(static_cast<double>(*sum) / static_cast<double>(known))
                              : Cell();
    };
    for (const auto& p : periods) {
      auto e = engagement_totals(*ctx.store, account->id, p.start, p.end);
      if (!e.ok()) return fail(e.error().message, 1);
      t.add_row({p.label, e->own_posts, opt_cell(e->likes), opt_cell(e->replies),
                 opt_cell(e->reposts), per_post(e->likes, e->likes_known),
                 per_post(e->replies, e->replies_known), per_post(e->reposts, e->reposts_known)});
    }
  }
  write_stdout(t.render(*format));
  return 0;
}

}  // namespace muni
