#include "cli/export_command.h"

#include <openssl/evp.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <filesystem>
#include <map>
#include <memory>
#include <set>

#include "cli/output.h"
#include "cli/progress.h"
#include "cli/query_commands.h"
#include "config/config.h"
#include "core/ags.h"
#include "core/clock.h"
#include "core/json.h"
#include "core/platform.h"
#include "core/strings.h"
#include "core/tz.h"
#include "metrics/metrics.h"
#include "store/store.h"
#include "store/store_export.h"

namespace muni {

void add_export_options(CLI::App& app, ExportOptions& o) {
  app.add_option("what", o.what, "posts, account-samples, post-samples, metrics or survey")
      ->required()
      ->check(CLI::IsMember({"posts", "account-samples", "post-samples", "metrics", "survey"}));
  app.add_option("--municipality", o.municipalities, "Only these municipalities (repeatable)");
  app.add_option("--platform", o.platform, "Only accounts on this platform");
  app.add_option("--from", o.from,
                 "First day, YYYY-MM-DD in the configured time zone (default: everything; "
                 "metrics: 365 days back)");
  app.add_option("--to", o.to, "Last day, inclusive (default: today)");
  app.add_option("--format", o.format, "csv (with FILE.meta.json beside it) or ndjson")
      ->check(CLI::IsMember({"csv", "ndjson", "parquet"}));
  app.add_option("-o,--output", o.output, "Write to this file (default: standard output)");
  app.add_option("--by", o.by, "metrics: day, week, month, quarter or year (default: one period)")
      ->check(CLI::IsMember({"day", "week", "month", "quarter", "year"}));
  app.add_option("--level", o.level, "metrics: account, municipality, category or platform")
      ->check(CLI::IsMember({"account", "municipality", "category", "platform"}));
  app.add_option("--answers", o.answers, "survey: the answers file (as for `survey check`)");
  app.add_option("--codebook", o.codebook, "survey: the codebook (YAML)");
  app.add_option("--encoding", o.encoding,
                 "survey: encoding of the answers file (auto, utf-8, windows-1252, latin1, "
                 "utf-16)");
  app.footer(
      "Columns, types and their order: docs/exports.md (stable; new columns are only ever "
      "added at the end). UTF-8, timestamps ISO-8601 UTC, AGS as text, unknown values empty "
      "(CSV) or null (NDJSON). Memory stays constant however many rows. Exit status 0, 1 for "
      "store or write errors, 2 for bad arguments.");
}

namespace {

int fail(const std::string& message, int code) {
  std::fprintf(stderr, "muniscope: %s\n", message.c_str());
  return code;
}

std::string sha256_file_hex(const std::string& path) {
  auto text = read_file_text(path);
  if (!text) return "";
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(text->data(), text->size(), digest, &len, EVP_sha256(), nullptr);
  std::string hex;
  char buf[3];
  for (unsigned int i = 0; i < len; ++i) {
    std::snprintf(buf, sizeof buf, "%02x", digest[i]);
    hex += buf;
  }
  return hex;
}

// Rows out, in CSV or NDJSON, to a FILE*.
class RowWriter {
 public:
  RowWriter(std::FILE* out, bool ndjson, std::vector<std::string> columns)
      : out_(out), ndjson_(ndjson), columns_(std::move(columns)) {}

  void header(const std::string& meta_json) {
    if (ndjson_) {
      std::fprintf(out_, "{\"_meta\":%s}\n", meta_json.c_str());
      return;
    }
    std::string line;
    for (size_t i = 0; i < columns_.size(); ++i) line += (i ? "," : "") + csv_escape(columns_[i]);
    line += "\r\n";
    write_output(out_, line);
  }

  void row(const std::vector<Value>& values) {
    if (ndjson_) {
      JsonWriter w;
      w.begin_object();
      for (size_t i = 0; i < columns_.size(); ++i) {
        w.key(columns_[i]);
        const Value& v = i < values.size() ? values[i] : Value();
        if (is_null(v)) {
          w.null();
        } else if (const auto* s = std::get_if<std::string>(&v)) {
          w.value(*s);
        } else if (const auto* n = std::get_if<int64_t>(&v)) {
          w.value(*n);
        } else {
          w.value(std::get<double>(v));
        }
      }
      w.end_object();
      write_output(out_, w.str());
      std::fputc('\n', out_);
    } else {
      line_.clear();
      for (size_t i = 0; i < columns_.size(); ++i) {
        if (i) line_ += ',';
        const Value& v = i < values.size() ? values[i] : Value();
        if (const auto* s = std::get_if<std::string>(&v)) {
          line_ += csv_escape(*s);
        } else if (const auto* n = std::get_if<int64_t>(&v)) {
          line_ += std::to_string(*n);
        } else if (const auto* d = std::get_if<double>(&v)) {
          JsonWriter w;  // shortest round-trip representation
          w.value(*d);
          line_ += w.str();
        }
      }
      line_ += "\r\n";
      write_output(out_, line_);
    }
    ++rows_;
  }
  int64_t rows() const { return rows_; }

 private:
  std::FILE* out_;
  bool ndjson_;
  std::vector<std::string> columns_;
  std::string line_;
  int64_t rows_ = 0;
};

std::optional<TimeMs> local_day_start(const std::string& date, const TimeZone& tz, int plus_days) {
  auto d = parse_civil_date(date);
  if (!d) return std::nullopt;
  return tz.from_local(civil_from_days(days_from_civil(*d) + plus_days));
}

}  // namespace

int cmd_export(const ExportOptions& o, const CommonOptions& common) {
  if (o.format == "parquet") {
    return fail(
        "parquet is not offered: Debian 12 does not package Apache Arrow's C++ library, and "
        "muniscope takes its dependencies from Debian only. Use csv or ndjson "
        "(docs/exports.md shows pandas and R reading them, and converting to Parquet)",
        2);
  }
  if (!o.platform.empty() && find_platform(o.platform) == nullptr) {
    return fail(unknown_platform_message(o.platform), 2);
  }
  if (o.what == "survey" && (o.answers.empty() || o.codebook.empty())) {
    return fail("export survey needs --answers FILE and --codebook FILE", 2);
  }
  if (o.what != "survey" && (!o.answers.empty() || !o.codebook.empty())) {
    return fail("--answers and --codebook belong to `export survey`", 2);
  }
  ConfigLoad load = load_config(common.config_path);
  if (!load.config) {
    for (const auto& e : load.errors) std::fprintf(stderr, "error: %s\n", e.format().c_str());
    return 2;
  }
  const Config& config = *load.config;
  auto tz = TimeZone::load(config.defaults.timezone);
  if (!tz.ok()) return fail(tz.error().message, 2);
  const std::string store_path = store_path_for(&config, common.db_override);
  auto store = Store::open(store_path, OpenMode::kReadOnly);
  if (!store.ok()) return fail(store.error().message, 1);

  std::optional<TimeMs> from, to;
  if (!o.from.empty() && !(from = local_day_start(o.from, *tz, 0))) {
    return fail("--from must be a date YYYY-MM-DD", 2);
  }
  if (!o.to.empty() && !(to = local_day_start(o.to, *tz, 1))) {
    return fail("--to must be a date YYYY-MM-DD", 2);
  }
  if (from && to && *from >= *to) return fail("--from must be before --to", 2);
  const TimeMs now = SystemClock().now();
  if (o.what == "metrics") {
    if (!to) to = tz->from_local(civil_from_days(days_from_civil(tz->to_local(now).date) + 1));
    if (!from) from = tz->from_local(tz->to_local(*to - 365 * kDayMs).date);
  }

  // Municipality facts for joining and citing.
  struct MunicipalityFacts {
    std::string name, ags, land;
  };
  std::map<std::string, MunicipalityFacts> facts;
  for (const MunicipalityConfig& m : config.municipalities) {
    const Land* land = find_land(m.ags.substr(0, 2));
    facts[m.id] = {m.name, m.ags, land != nullptr ? std::string(land->iso) : m.state};
  }
  for (const std::string& m : o.municipalities) {
    if (!facts.count(m)) return fail("no municipality '" + m + "' in the configuration", 2);
  }

  std::FILE* out = stdout;
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> file(nullptr, &std::fclose);
  const bool to_file = !o.output.empty() && o.output != "-";
  if (to_file) {
    file.reset(std::fopen(o.output.c_str(), "wb"));
    if (!file) return fail("cannot write " + o.output, 1);
    out = file.get();
  }

  // The metadata record.
  JsonWriter meta;
  meta.begin_object();
  meta.key("muniscope_version").value(kMuniscopeVersion);
  meta.key("export").value(o.what);
  meta.key("generated_at").value(format_iso8601(now));
  meta.key("time_zone").value(config.defaults.timezone);
  meta.key("period_from")
      .value(o.from.empty() && o.what != "metrics"
                 ? std::optional<std::string>()
                 : std::optional<std::string>(format_civil_date(tz->to_local(*from).date)));
  meta.key("period_to")
      .value(o.to.empty() && o.what != "metrics"
                 ? std::optional<std::string>()
                 : std::optional<std::string>(format_civil_date(tz->to_local(*to - 1).date)));
  meta.key("store").value(store_path);
  meta.key("configuration").value(common.config_path);
  meta.key("configuration_sha256").value(sha256_file_hex(common.config_path));
  meta.key("timestamps").value("ISO-8601, UTC");
  meta.key("columns_documented_in").value("docs/exports.md");

  int64_t rows = 0;
  if (o.what == "survey") {
    SurveyOptions so;
    so.answers = o.answers;
    so.codebook = o.codebook;
    so.encoding = o.encoding;
    auto report = run_survey_check(so, common);
    if (!report) return 2;
    const std::set<std::string> wanted(o.municipalities.begin(), o.municipalities.end());
    std::map<std::string, std::string> observable;
    for (const auto& it : report->items) observable[it.item] = it.observable;
    const std::vector<std::string> columns = {"municipality_id",
                                              "municipality_name",
                                              "ags",
                                              "land",
                                              "answers_line",
                                              "item",
                                              "type",
                                              "observable",
                                              "claimed",
                                              "observed",
                                              "observed_value",
                                              "observed_unit",
                                              "verdict",
                                              "flag",
                                              "evidence"};
    RowWriter writer(out, o.format == "ndjson", columns);
    meta.key("survey").value(report->survey);
    meta.key("reference_period").value(report->reference_period);
    meta.key("answers").value(o.answers);
    meta.key("answers_sha256").value(sha256_file_hex(o.answers));
    meta.key("codebook").value(o.codebook);
    meta.key("codebook_sha256").value(sha256_file_hex(o.codebook));
    meta.key("verdicts_documented_in").value("docs/survey.md");
    meta.key("columns").begin_array();
    for (const auto& c : columns) meta.value(c);
    meta.end_array().end_object();
    writer.header(meta.str());
    for (const survey::ItemResult& x : report->results) {
      if (!wanted.empty() && !wanted.count(x.municipality)) continue;
      const auto f = facts.find(x.municipality);
      const auto obs = observable.find(x.item);
      writer.row({x.municipality, f != facts.end() ? Value(f->second.name) : Value(),
                  f != facts.end() ? Value(f->second.ags) : Value(),
                  f != facts.end() ? Value(f->second.land) : Value(),
                  static_cast<int64_t>(x.answers_line), x.item, x.type,
                  obs != observable.end() ? Value(obs->second) : Value(), cell(x.claimed),
                  cell(x.observed), cell(x.observed_number), cell(survey::observed_unit(x)),
                  std::string(survey::verdict_id(x.verdict)), cell(x.flag), cell(x.evidence)});
    }
    rows = writer.rows();
  } else if (o.what != "metrics") {
    const ExportKind kind = *parse_export_kind(o.what);
    RowWriter writer(out, o.format == "ndjson", export_columns(kind));
    meta.key("columns").begin_array();
    for (const auto& c : export_columns(kind)) meta.value(c);
    meta.end_array().end_object();
    writer.header(meta.str());
    ExportFilter filter{o.municipalities, o.platform, from, to};
    SystemClock clock;
    ProgressLine progress(clock, stderr, "export " + o.what, "rows", 0);
    const bool show = to_file && progress.active();
    if (show) {
      // The total, for an ETA; counted only when someone watches.
      if (auto total = count_export_rows(**store, kind, filter); total.ok())
        progress.set_total(*total);
    }
    auto st = export_rows(**store, kind, filter, [&](const std::vector<Value>& values) {
      writer.row(values);
      if (show) progress.update(writer.rows());
      return true;
    });
    progress.clear();
    if (!st.ok()) return fail(st.error().message, 1);
    rows = writer.rows();
  } else {
    auto granularity = metrics::parse_granularity(o.by);
    if (!granularity.ok()) return fail(granularity.error().message, 2);
    const auto periods = metrics::split_periods(*from, *to, *granularity, *tz);
    auto stored = (*store)->load_accounts(true, false);
    if (!stored.ok()) return fail(stored.error().message, 1);
    const std::set<std::string> wanted(o.municipalities.begin(), o.municipalities.end());
    metrics::Query q;
    for (StoredAccount& a : *stored) {
      if (!wanted.empty() && !wanted.count(a.municipality_id)) continue;
      if (!o.platform.empty() && a.platform != o.platform) continue;
      if (a.duplicate_of) continue;
      q.accounts.push_back(std::move(a));
    }
    q.level = *metrics::parse_level(o.level);
    q.periods = periods;
    q.default_interval_ms = config.defaults.poll_interval_ms;
    for (const auto& m : config.municipalities) {
      if (m.population) q.populations[m.id] = *m.population;
    }
    q.options.tz = *tz;
    q.options.now = now;
    q.options.dormant_after_ms = config.metrics.dormant_after_ms;
    q.options.min_coverage = config.metrics.min_coverage;
    q.options.office_start_hour = config.metrics.office_start_hour;
    q.options.office_end_hour = config.metrics.office_end_hour;
    std::map<std::string, const metrics::Period*> by_label;
    for (const auto& p : periods) by_label[p.label] = &p;

    std::vector<std::string> columns = metrics::key_columns(q.level);
    for (const char* c :
         {"municipality_name", "ags", "land", "period", "period_start", "period_end"}) {
      columns.emplace_back(c);
    }
    std::vector<std::string> names;
    for (const auto& m : metrics::metric_catalogue()) names.push_back(m.name);
    for (const auto& n : names) columns.push_back(n);
    RowWriter writer(out, o.format == "ndjson", columns);
    meta.key("level").value(o.level);
    meta.key("columns").begin_array();
    for (const auto& c : columns) meta.value(c);
    meta.end_array().end_object();
    writer.header(meta.str());
    auto st = metrics::run_query(**store, q, [&](metrics::Row&& row) {
      std::vector<Value> values(row.key.begin(), row.key.end());
      const auto f = facts.find(row.key.empty() ? "" : row.key[0]);
      values.push_back(f != facts.end() ? Value(f->second.name) : Value());
      values.push_back(f != facts.end() ? Value(f->second.ags) : Value());
      values.push_back(f != facts.end() ? Value(f->second.land) : Value());
      values.push_back(row.period);
      const auto p = by_label.find(row.period);
      if (p != by_label.end()) {
        values.push_back(format_civil_date(tz->to_local(p->second->start).date));
        values.push_back(format_civil_date(tz->to_local(p->second->end - 1).date));
      } else {
        values.emplace_back();
        values.emplace_back();
      }
      for (const auto& n : names) values.push_back(row.values.at(n));
      writer.row(values);
    });
    if (!st.ok()) return fail(st.error().message, 1);
    rows = writer.rows();
  }
  if (std::fflush(out) != 0 || std::ferror(out)) return fail("writing the export failed", 1);
  // A sidecar only beside a regular file (not /dev/null or a pipe).
  std::error_code ec;
  const bool regular = to_file && std::filesystem::is_regular_file(o.output, ec);
  if (regular && o.format == "csv") {
    const std::string sidecar = o.output + ".meta.json";
    std::unique_ptr<std::FILE, int (*)(std::FILE*)> m(std::fopen(sidecar.c_str(), "wb"),
                                                      &std::fclose);
    if (!m) return fail("cannot write " + sidecar, 1);
    std::fprintf(m.get(), "%s\n", meta.str().c_str());
  }
  if (to_file) {
    std::fprintf(stderr, "%lld rows written to %s%s\n", static_cast<long long>(rows),
                 o.output.c_str(), o.format == "csv" ? " (metadata: .meta.json beside it)" : "");
  }
  if (!regular && o.format == "csv") {
    // No file to put a sidecar beside: the metadata goes to standard error.
    std::fprintf(stderr, "%s\n", meta.str().c_str());
  }
  return 0;
}

}  // namespace muni
