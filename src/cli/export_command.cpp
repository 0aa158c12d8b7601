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

// Combinations of options that no configuration can make valid, refused
// before anything is opened (exit status 2, reason printed).
std::optional<int> refuse_arguments(const ExportOptions& o) {
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
  return std::nullopt;
}

// The period exported, as instants [from, to): --from's local midnight and
// the midnight after --to, in the configured time zone. Raw exports without
// a bound take everything on that side; metrics need a period, so they
// default to the 365 days up to the end of today.
struct ExportPeriod {
  std::optional<TimeMs> from, to;
};

Result<ExportPeriod> export_period(const ExportOptions& o, const TimeZone& tz, TimeMs now) {
  ExportPeriod p;
  if (!o.from.empty() && !(p.from = local_day_start(o.from, tz, 0))) {
    return make_error(ErrorCode::kInvalidArgument, "--from must be a date YYYY-MM-DD");
  }
  if (!o.to.empty() && !(p.to = local_day_start(o.to, tz, 1))) {
    return make_error(ErrorCode::kInvalidArgument, "--to must be a date YYYY-MM-DD");
  }
  if (p.from && p.to && *p.from >= *p.to) {
    return make_error(ErrorCode::kInvalidArgument, "--from must be before --to");
  }
  if (o.what == "metrics") {
    if (!p.to) p.to = tz.from_local(civil_from_days(days_from_civil(tz.to_local(now).date) + 1));
    if (!p.from) p.from = tz.from_local(tz.to_local(*p.to - 365 * kDayMs).date);
  }
  return p;
}

// Municipality facts joined to every row, so a file can be read and cited
// without the configuration: name, AGS and Land (ISO code, from the AGS).
struct MunicipalityFacts {
  std::string name, ags, land;
};
using FactsById = std::map<std::string, MunicipalityFacts>;

FactsById municipality_facts(const Config& config) {
  FactsById facts;
  for (const MunicipalityConfig& m : config.municipalities) {
    const Land* land = find_land(m.ags.substr(0, 2));
    facts[m.id] = {m.name, m.ags, land != nullptr ? std::string(land->iso) : m.state};
  }
  return facts;
}

// Appends the name, AGS and Land of municipality `id` (unknown: null).
void append_facts(std::vector<Value>& values, const FactsById& facts, const std::string& id) {
  const auto f = facts.find(id);
  values.push_back(f != facts.end() ? Value(f->second.name) : Value());
  values.push_back(f != facts.end() ? Value(f->second.ags) : Value());
  values.push_back(f != facts.end() ? Value(f->second.land) : Value());
}

// The names of every metric, in catalogue order (the metrics export's
// columns after the keys and the facts).
std::vector<std::string> metric_names() {
  std::vector<std::string> names;
  for (const auto& m : metrics::metric_catalogue()) names.push_back(m.name);
  return names;
}

// One export from an open configuration: the steps in the order they run,
// each either done or failed with the message printed and an exit status
// (1 store or write errors, 2 bad arguments). The output is opened before
// the rows are read, so an unwritable file fails before any work.
class Export {
 public:
  Export(const ExportOptions& o, const CommonOptions& common, const Config& config)
      : o_(o), common_(common), config_(config) {}

  int run() {
    if (auto rc = open_store()) return *rc;
    if (auto rc = settle_period()) return *rc;
    if (auto rc = check_municipalities()) return *rc;
    if (auto rc = open_output()) return *rc;
    begin_metadata();
    std::optional<int> rc;
    if (o_.what == "survey") {
      rc = write_survey();
    } else if (o_.what != "metrics") {
      rc = write_store_rows();
    } else {
      rc = write_metrics();
    }
    if (rc) return *rc;
    return finish_output();
  }

 private:
  // The configured time zone (periods are local days) and the store, read
  // only.
  std::optional<int> open_store() {
    auto tz = TimeZone::load(config_.defaults.timezone);
    if (!tz.ok()) return fail(tz.error().message, 2);
    tz_ = *tz;
    store_path_ = store_path_for(&config_, common_.db_override);
    auto store = Store::open(store_path_, OpenMode::kReadOnly);
    if (!store.ok()) return fail(store.error().message, 1);
    store_ = std::move(*store);
    return std::nullopt;
  }

  std::optional<int> settle_period() {
    now_ = SystemClock().now();
    auto period = export_period(o_, tz_, now_);
    if (!period.ok()) return fail(period.error().message, 2);
    period_ = *period;
    return std::nullopt;
  }

  // Every --municipality must be configured: a typo must not give an
  // empty file that looks like "no data".
  std::optional<int> check_municipalities() {
    facts_ = municipality_facts(config_);
    for (const std::string& m : o_.municipalities) {
      if (!facts_.count(m)) return fail("no municipality '" + m + "' in the configuration", 2);
    }
    return std::nullopt;
  }

  // -o FILE (created or truncated), else standard output ("" or "-").
  std::optional<int> open_output() {
    to_file_ = !o_.output.empty() && o_.output != "-";
    if (to_file_) {
      file_.reset(std::fopen(o_.output.c_str(), "wb"));
      if (!file_) return fail("cannot write " + o_.output, 1);
      out_ = file_.get();
    }
    return std::nullopt;
  }

  // The provenance every export carries: version, time of generation, time
  // zone, period, store, configuration and its digest. Each kind adds its
  // own keys and the columns (write_header closes the record).
  void begin_metadata() {
    meta_.begin_object();
    meta_.key("muniscope_version").value(kMuniscopeVersion);
    meta_.key("export").value(o_.what);
    meta_.key("generated_at").value(format_iso8601(now_));
    meta_.key("time_zone").value(config_.defaults.timezone);
    meta_.key("period_from")
        .value(
            o_.from.empty() && o_.what != "metrics"
                ? std::optional<std::string>()
                : std::optional<std::string>(format_civil_date(tz_.to_local(*period_.from).date)));
    meta_.key("period_to")
        .value(o_.to.empty() && o_.what != "metrics" ? std::optional<std::string>()
                                                     : std::optional<std::string>(format_civil_date(
                                                           tz_.to_local(*period_.to - 1).date)));
    meta_.key("store").value(store_path_);
    meta_.key("configuration").value(common_.config_path);
    meta_.key("configuration_sha256").value(sha256_file_hex(common_.config_path));
    meta_.key("timestamps").value("ISO-8601, UTC");
    meta_.key("columns_documented_in").value("docs/exports.md");
  }

  // Closes the metadata with the column list and writes the file's header
  // (CSV: the header row; NDJSON: the {"_meta": ...} line).
  void write_header(RowWriter& writer, const std::vector<std::string>& columns) {
    meta_.key("columns").begin_array();
    for (const auto& c : columns) meta_.value(c);
    meta_.end_array().end_object();
    writer.header(meta_.str());
  }

  bool ndjson() const { return o_.format == "ndjson"; }

  // export survey: one row per municipality and item of the survey check
  // (the same run as `survey check`), the answers and codebook named and
  // digested in the metadata.
  std::optional<int> write_survey() {
    SurveyOptions so;
    so.answers = o_.answers;
    so.codebook = o_.codebook;
    so.encoding = o_.encoding;
    auto report = run_survey_check(so, common_);
    if (!report) return 2;
    const std::set<std::string> wanted(o_.municipalities.begin(), o_.municipalities.end());
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
    RowWriter writer(out_, ndjson(), columns);
    meta_.key("survey").value(report->survey);
    meta_.key("reference_period").value(report->reference_period);
    meta_.key("answers").value(o_.answers);
    meta_.key("answers_sha256").value(sha256_file_hex(o_.answers));
    meta_.key("codebook").value(o_.codebook);
    meta_.key("codebook_sha256").value(sha256_file_hex(o_.codebook));
    meta_.key("verdicts_documented_in").value("docs/survey.md");
    write_header(writer, columns);
    for (const survey::ItemResult& x : report->results) {
      if (!wanted.empty() && !wanted.count(x.municipality)) continue;
      const auto obs = observable.find(x.item);
      std::vector<Value> values{x.municipality};
      append_facts(values, facts_, x.municipality);
      values.insert(values.end(),
                    {static_cast<int64_t>(x.answers_line), x.item, x.type,
                     obs != observable.end() ? Value(obs->second) : Value(), cell(x.claimed),
                     cell(x.observed), cell(x.observed_number), cell(survey::observed_unit(x)),
                     std::string(survey::verdict_id(x.verdict)), cell(x.flag), cell(x.evidence)});
      writer.row(values);
    }
    rows_ = writer.rows();
    return std::nullopt;
  }

  // export posts | account-samples | post-samples: streamed from the store
  // row by row, so memory stays constant. Into a file on a terminal, a
  // progress line (with a total for the ETA, counted only then).
  std::optional<int> write_store_rows() {
    const ExportKind kind = *parse_export_kind(o_.what);
    RowWriter writer(out_, ndjson(), export_columns(kind));
    write_header(writer, export_columns(kind));
    ExportFilter filter{o_.municipalities, o_.platform, period_.from, period_.to};
    SystemClock clock;
    ProgressLine progress(clock, stderr, "export " + o_.what, "rows", 0);
    const bool show = to_file_ && progress.active();
    if (show) {
      if (auto total = count_export_rows(*store_, kind, filter); total.ok())
        progress.set_total(*total);
    }
    auto st = export_rows(*store_, kind, filter, [&](const std::vector<Value>& values) {
      writer.row(values);
      if (show) progress.update(writer.rows());
      return true;
    });
    progress.clear();
    if (!st.ok()) return fail(st.error().message, 1);
    rows_ = writer.rows();
    return std::nullopt;
  }

  // The metrics query over the selected accounts (duplicates left out, so
  // nothing is counted twice), with the configured metric options.
  Result<metrics::Query> metrics_query(std::vector<metrics::Period> periods) {
    MUNI_TRY(auto stored, store_->load_accounts(true, false));
    const std::set<std::string> wanted(o_.municipalities.begin(), o_.municipalities.end());
    metrics::Query q;
    for (StoredAccount& a : stored) {
      if (!wanted.empty() && !wanted.count(a.municipality_id)) continue;
      if (!o_.platform.empty() && a.platform != o_.platform) continue;
      if (a.duplicate_of) continue;
      q.accounts.push_back(std::move(a));
    }
    q.level = *metrics::parse_level(o_.level);
    q.periods = std::move(periods);
    q.default_interval_ms = config_.defaults.poll_interval_ms;
    for (const auto& m : config_.municipalities) {
      if (m.population) q.populations[m.id] = *m.population;
    }
    q.options = metrics::options_from_config(config_, tz_, now_);
    return q;
  }

  // export metrics: one row per group (--level) and period (--by), keys
  // first, then the municipality's facts, the period and every metric.
  std::optional<int> write_metrics() {
    auto granularity = metrics::parse_granularity(o_.by);
    if (!granularity.ok()) return fail(granularity.error().message, 2);
    auto query =
        metrics_query(metrics::split_periods(*period_.from, *period_.to, *granularity, tz_));
    if (!query.ok()) return fail(query.error().message, 1);
    const metrics::Query& q = *query;
    std::map<std::string, const metrics::Period*> by_label;
    for (const auto& p : q.periods) by_label[p.label] = &p;

    std::vector<std::string> columns = metrics::key_columns(q.level);
    for (const char* c :
         {"municipality_name", "ags", "land", "period", "period_start", "period_end"}) {
      columns.emplace_back(c);
    }
    const std::vector<std::string> names = metric_names();
    for (const auto& n : names) columns.push_back(n);
    RowWriter writer(out_, ndjson(), columns);
    meta_.key("level").value(o_.level);
    write_header(writer, columns);
    auto st = metrics::run_query(*store_, q, [&](metrics::Row&& row) {
      std::vector<Value> values(row.key.begin(), row.key.end());
      append_facts(values, facts_, row.key.empty() ? "" : row.key[0]);
      values.push_back(row.period);
      const auto p = by_label.find(row.period);
      if (p != by_label.end()) {
        values.push_back(format_civil_date(tz_.to_local(p->second->start).date));
        values.push_back(format_civil_date(tz_.to_local(p->second->end - 1).date));
      } else {
        values.emplace_back();
        values.emplace_back();
      }
      for (const auto& n : names) values.push_back(row.values.at(n));
      writer.row(values);
    });
    if (!st.ok()) return fail(st.error().message, 1);
    rows_ = writer.rows();
    return std::nullopt;
  }

  // Everything flushed (a full disk fails here, not silently); the CSV
  // metadata beside a regular file as FILE.meta.json, or, with no file to
  // put it beside (standard output, /dev/null, a pipe), on standard error.
  int finish_output() {
    if (std::fflush(out_) != 0 || std::ferror(out_)) return fail("writing the export failed", 1);
    std::error_code ec;
    const bool regular = to_file_ && std::filesystem::is_regular_file(o_.output, ec);
    if (regular && o_.format == "csv") {
      const std::string sidecar = o_.output + ".meta.json";
      std::unique_ptr<std::FILE, int (*)(std::FILE*)> m(std::fopen(sidecar.c_str(), "wb"),
                                                        &std::fclose);
      if (!m) return fail("cannot write " + sidecar, 1);
      std::fprintf(m.get(), "%s\n", meta_.str().c_str());
    }
    if (to_file_) {
      std::fprintf(stderr, "%lld rows written to %s%s\n", static_cast<long long>(rows_),
                   o_.output.c_str(),
                   o_.format == "csv" ? " (metadata: .meta.json beside it)" : "");
    }
    if (!regular && o_.format == "csv") std::fprintf(stderr, "%s\n", meta_.str().c_str());
    return 0;
  }

  const ExportOptions& o_;
  const CommonOptions& common_;
  const Config& config_;
  TimeZone tz_ = TimeZone::utc();
  std::string store_path_;
  std::unique_ptr<Store> store_;
  TimeMs now_ = 0;
  ExportPeriod period_;
  FactsById facts_;
  bool to_file_ = false;
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> file_{nullptr, &std::fclose};
  std::FILE* out_ = stdout;
  JsonWriter meta_;
  int64_t rows_ = 0;
};

}  // namespace

// Arguments first, then the configuration, then the export's own steps.
int cmd_export(const ExportOptions& o, const CommonOptions& common) {
  if (auto rc = refuse_arguments(o)) return *rc;
  ConfigLoad load = load_config(common.config_path);
  if (!load.config) {
    for (const auto& e : load.errors) std::fprintf(stderr, "error: %s\n", e.format().c_str());
    return 2;
  }
  return Export(o, common, *load.config).run();
}

}  // namespace muni
