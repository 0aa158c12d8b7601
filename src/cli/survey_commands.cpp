// `muniscope survey check`: loads the codebook and the answers, runs the
// check over the store, renders the report as tables, CSV, JSON or HTML.
#include <CLI/CLI.hpp>

#include <cstdio>
#include <fstream>

#include "cli/output.h"
#include "cli/query_commands.h"
#include "config/config.h"
#include "core/clock.h"
#include "core/json.h"
#include "core/strings.h"
#include "survey/check.h"

namespace muni {

namespace {

using survey::Report;

int fail(const std::string& message, int code) {
  std::fprintf(stderr, "muniscope: %s\n", message.c_str());
  return code;
}

Table results_table(const Report& r) {
  Table t({{"municipality"},
           {"line", 0},
           {"item"},
           {"type"},
           {"claimed"},
           {"observed"},
           {"observed_value", 2},
           {"observed_unit"},
           {"verdict"},
           {"flag"},
           {"evidence"}});
  for (const auto& x : r.results) {
    t.add_row({x.municipality, static_cast<int64_t>(x.answers_line), x.item, x.type,
               cell(x.claimed), cell(x.observed), value_of(x.observed_number),
               cell(survey::observed_unit(x)), std::string(survey::verdict_id(x.verdict)),
               cell(x.flag), cell(x.evidence)});
  }
  return t;
}

std::string matrix_text(const survey::ItemStatistics& s) {
  if (s.confusion.empty()) return "";
  // "claimed\observed: no/yes; no: 3 1; yes: 0 5"
  std::string out = "rows claimed, columns observed [" + join(s.classes, " ") + "]:";
  for (size_t i = 0; i < s.confusion.size(); ++i) {
    out += " " + s.classes[i] + "=";
    for (size_t j = 0; j < s.confusion[i].size(); ++j)
      out += (j ? "/" : "") + std::to_string(static_cast<int64_t>(s.confusion[i][j]));
  }
  return out;
}

Table statistics_table(const Report& r) {
  Table t({{"item"},
           {"type"},
           {"observable"},
           {"answered", 0},
           {"n", 0},
           {"unclassified", 0},
           {"agreement", 1, true},
           {"kappa", 3},
           {"kappa_ci_low", 3},
           {"kappa_ci_high", 3},
           {"kappa_se", 3},
           {"weighted"},
           {"kappa_undefined"},
           {"pearson_r", 3},
           {"mean_difference", 2},
           {"flags", 0},
           {"confusion"},
           {"verdicts"}});
  for (const auto& s : r.items) {
    std::string verdicts;
    for (const auto& [v, n] : s.verdicts)
      verdicts += (verdicts.empty() ? "" : ", ") + v + " " + std::to_string(n);
    t.add_row({s.item, s.type, s.observable, static_cast<int64_t>(s.answered),
               static_cast<int64_t>(s.n), static_cast<int64_t>(s.unclassified),
               value_of(s.agreement), s.kappa ? Cell(s.kappa->kappa) : Cell(),
               s.kappa ? Cell(s.kappa->ci_low) : Cell(), s.kappa ? Cell(s.kappa->ci_high) : Cell(),
               s.kappa ? Cell(s.kappa->se) : Cell(),
               s.kappa ? Cell(std::string(s.ordered ? "linear" : "none")) : Cell(),
               cell(s.kappa_undefined), s.numeric ? value_of(s.numeric->pearson_r) : Cell(),
               s.numeric && s.numeric->n > 0 ? Cell(s.numeric->mean_difference) : Cell(),
               static_cast<int64_t>(s.flags), cell(matrix_text(s)), verdicts});
  }
  return t;
}

// The confusion matrices as rows, the same structure the JSON has: one row
// per item, claimed class and observed class, with the count (zeros too).
Table confusion_table(const Report& r) {
  Table t({{"item"}, {"claimed"}, {"observed"}, {"count", 0}});
  for (const auto& s : r.items) {
    for (size_t i = 0; i < s.confusion.size() && i < s.classes.size(); ++i) {
      for (size_t j = 0; j < s.confusion[i].size() && j < s.classes.size(); ++j) {
        t.add_row({s.item, s.classes[i], s.classes[j], static_cast<int64_t>(s.confusion[i][j])});
      }
    }
  }
  return t;
}

Table overall_table(const Report& r) {
  Table t({{"measure"}, {"value"}});
  t.add_row({std::string("survey"), r.survey});
  t.add_row({std::string("reference period"), r.reference_period});
  t.add_row(
      {std::string("municipalities checked"), static_cast<int64_t>(r.municipalities_checked)});
  t.add_row({std::string("fully consistent"), static_cast<int64_t>(r.municipalities_consistent)});
  t.add_row({std::string("share fully consistent"),
             r.municipalities_checked > 0
                 ? Cell(static_cast<double>(r.municipalities_consistent) / r.municipalities_checked)
                 : Cell()});
  for (const auto& [reason, n] : r.top_mismatches) t.add_row({"mismatch: " + reason, n});
  t.add_row({std::string("answer problems"), static_cast<int64_t>(r.problems.size())});
  return t;
}

Table problems_table(const Report& r, const std::string& file) {
  Table t({{"file"}, {"line", 0}, {"column"}, {"problem"}});
  for (const auto& p : r.problems)
    t.add_row({file, static_cast<int64_t>(p.line), p.column, p.message});
  return t;
}

std::string render_json(const Report& r, const std::string& file) {
  std::string out = "{\"survey\":" + json_escape(r.survey) +
                    ",\"reference_period\":" + json_escape(r.reference_period);
  out += ",\"overall\":{\"municipalities_checked\":" + std::to_string(r.municipalities_checked) +
         ",\"municipalities_consistent\":" + std::to_string(r.municipalities_consistent) +
         ",\"share_consistent\":";
  out += r.municipalities_checked > 0
             ? std::to_string(static_cast<double>(r.municipalities_consistent) /
                              r.municipalities_checked)
             : "null";
  out += ",\"top_mismatches\":[";
  for (size_t i = 0; i < r.top_mismatches.size(); ++i) {
    out += (i ? "," : "") + std::string("{\"reason\":") + json_escape(r.top_mismatches[i].first) +
           ",\"count\":" + std::to_string(r.top_mismatches[i].second) + "}";
  }
  out += "]},\"items\":[";
  for (size_t i = 0; i < r.items.size(); ++i) {
    const auto& s = r.items[i];
    JsonWriter w;
    w.begin_object()
        .key("item")
        .value(s.item)
        .key("type")
        .value(s.type)
        .key("observable")
        .value(s.observable)
        .key("answered")
        .value(s.answered)
        .key("n")
        .value(s.n)
        .key("unclassified")
        .value(s.unclassified);
    w.key("agreement").value(s.agreement);
    if (s.kappa) {
      w.key("kappa")
          .begin_object()
          .key("value")
          .value(s.kappa->kappa)
          .key("se")
          .value(s.kappa->se)
          .key("ci95")
          .begin_array()
          .value(s.kappa->ci_low)
          .value(s.kappa->ci_high)
          .end_array()
          .key("weights")
          .value(s.ordered ? "linear" : "none")
          .end_object();
    } else {
      w.key("kappa").null();
      if (!s.kappa_undefined.empty()) w.key("kappa_undefined").value(s.kappa_undefined);
    }
    if (!s.confusion.empty()) {
      w.key("confusion").begin_object().key("classes").begin_array();
      for (const auto& c : s.classes) w.value(c);
      w.end_array().key("rows_claimed_columns_observed").begin_array();
      for (const auto& row : s.confusion) {
        w.begin_array();
        for (const double v : row) w.value(static_cast<int64_t>(v));
        w.end_array();
      }
      w.end_array().end_object();
    }
    if (s.numeric) {
      w.key("numeric")
          .begin_object()
          .key("n")
          .value(s.numeric->n)
          .key("pearson_r")
          .value(s.numeric->pearson_r)
          .key("mean_difference")
          .value(s.numeric->mean_difference)
          .end_object();
    }
    w.key("flags").value(s.flags).key("verdicts").begin_object();
    for (const auto& [v, n] : s.verdicts) w.key(v).value(n);
    w.end_object().end_object();
    out += (i ? "," : "") + w.str();
  }
  out += "],\"results\":";
  std::string results = results_table(r).render_json();
  results.pop_back();  // trailing newline
  out += results + ",\"problems\":";
  std::string problems = problems_table(r, file).render_json();
  problems.pop_back();
  return out + problems + "}\n";
}

std::string render_html(const Report& r, const std::string& file) {
  std::string out =
      "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>muniscope survey "
      "check: " +
      html_escape(r.survey) +
      "</"
      "title>\n<style>body{font-family:sans-serif;margin:2em;max-width:90em}table{border-collapse:"
      "collapse;margin:1em 0}"
      "td,th{border:1px solid #ccc;padding:.25em "
      ".5em;text-align:left;vertical-align:top}td.num{text-align:right}"
      "th{background:#eee}</style></head><body>\n";
  out += "<h1>Survey check: " + html_escape(r.survey) + "</h1>\n<p>Reference period " +
         html_escape(r.reference_period) +
         ". Verdicts and statistics as defined in docs/survey.md.</p>\n";
  out += "<h2>Overall</h2>\n" + overall_table(r).render(OutputFormat::kHtml);
  out += "<h2>Agreement per item</h2>\n" + statistics_table(r).render(OutputFormat::kHtml);
  out += "<h2>Municipalities and items</h2>\n" + results_table(r).render(OutputFormat::kHtml);
  if (!r.problems.empty())
    out += "<h2>Answer problems</h2>\n" + problems_table(r, file).render(OutputFormat::kHtml);
  return out + "</body></html>\n";
}

}  // namespace

void add_survey_options(CLI::App& app, SurveyOptions& o, CommonOptions& common) {
  app.add_option("answers", o.answers,
                 "Answers file: CSV with a header row, comma or semicolon; UTF-8, UTF-16 with a "
                 "byte-order mark, or Windows-1252 as German Excel saves it")
      ->required();
  app.add_option("--encoding", o.encoding,
                 "Encoding of the answers file: auto (default: UTF-16 by its byte-order mark, "
                 "UTF-8 when valid, else Windows-1252), utf-8, windows-1252, latin1, utf-16");
  app.add_option("--codebook", o.codebook, "Codebook (YAML): items, value labels, reference period")
      ->required();
  add_format_option(app, common.format, /*allow_html=*/true);
  app.add_option("--view", o.view,
                 "For csv: results (per municipality and item), items (statistics), confusion "
                 "(one row per item, claimed and observed class) or overall")
      ->check(CLI::IsMember({"all", "results", "items", "confusion", "overall"}));
  app.add_option("-o,--output", o.output,
                 "Write the report to this file instead of standard output");
  app.footer(
      "Exit status 0 when every row and answer could be mapped, 1 when some could not (they are "
      "reported\n"
      "on standard error and in the report, never guessed), 2 for codebook, answers-file, "
      "configuration or\n"
      "store errors. See docs/survey.md.");
}

std::optional<survey::Report> run_survey_check(const SurveyOptions& o,
                                               const CommonOptions& common) {
  auto refuse = [](const std::string& message) -> std::optional<survey::Report> {
    std::fprintf(stderr, "muniscope: %s\n", message.c_str());
    return std::nullopt;
  };
  auto cb = survey::load_codebook(o.codebook);
  if (!cb.codebook) {
    for (const auto& e : cb.errors) std::fprintf(stderr, "error: %s\n", e.format().c_str());
    return std::nullopt;
  }
  TextEncoding encoding = cb.codebook->encoding;
  if (!o.encoding.empty()) {
    auto e = parse_text_encoding(o.encoding);
    if (!e.ok()) return refuse(e.error().message);
    encoding = *e;
  }
  auto answers = survey::read_answers(o.answers, cb.codebook->delimiter, encoding);
  if (!answers.ok()) return refuse(answers.error().message);
  if (encoding == TextEncoding::kAuto && answers->encoding != TextEncoding::kUtf8) {
    std::fprintf(stderr, "note: %s is not UTF-8; read as %s (--encoding to say otherwise)\n",
                 o.answers.c_str(), std::string(text_encoding_id(answers->encoding)).c_str());
  }
  ConfigLoad load = load_config(common.config_path);
  if (!load.config) {
    for (const auto& e : load.errors) std::fprintf(stderr, "error: %s\n", e.format().c_str());
    return std::nullopt;
  }
  // The codebook's own zone for its reference period, else the configuration's.
  auto tz = TimeZone::load(cb.codebook->timezone.empty() ? load.config->defaults.timezone
                                                         : cb.codebook->timezone);
  if (!tz.ok()) return refuse(tz.error().message);
  auto store = Store::open(store_path_for(&*load.config, common.db_override), OpenMode::kReadOnly);
  if (!store.ok()) return refuse(store.error().message);
  survey::CheckOptions opt;
  opt.tz = *tz;
  opt.now = SystemClock().now();
  opt.min_coverage = cb.codebook->min_coverage.value_or(load.config->metrics.min_coverage);
  opt.default_interval_ms = load.config->defaults.poll_interval_ms;
  for (const auto& m : load.config->municipalities) {
    if (m.population) opt.populations[m.id] = *m.population;
  }
  auto report = survey::check(*cb.codebook, *answers, **store, opt);
  if (!report.ok()) return refuse(report.error().message);
  for (const auto& p : report->problems) {
    std::fprintf(stderr, "warning: %s:%d: %s: %s\n", o.answers.c_str(), p.line, p.column.c_str(),
                 p.message.c_str());
  }
  return std::move(*report);
}

int cmd_survey_check(const SurveyOptions& o, const CommonOptions& common) {
  auto format = parse_output_format(common.format, /*allow_html=*/true);
  if (!format.ok()) return fail(format.error().message, 2);
  auto report = run_survey_check(o, common);
  if (!report) return 2;
  std::string out;
  switch (*format) {
    case OutputFormat::kJson:
      out = render_json(*report, o.answers);
      break;
    case OutputFormat::kHtml:
      out = render_html(*report, o.answers);
      break;
    case OutputFormat::kCsv:
      if (o.view == "items") {
        out = statistics_table(*report).render_csv();
      } else if (o.view == "overall") {
        out = overall_table(*report).render_csv();
      } else if (o.view == "confusion") {
        out = confusion_table(*report).render_csv();
      } else {
        out = results_table(*report).render_csv();
      }
      break;
    case OutputFormat::kTable:
      if (o.view == "all" || o.view == "overall")
        out += "Overall\n" + overall_table(*report).render_table() + "\n";
      if (o.view == "all" || o.view == "items")
        out += "Agreement per item\n" + statistics_table(*report).render_table() + "\n";
      if (o.view == "all" || o.view == "results")
        out += "Municipalities and items\n" + results_table(*report).render_table();
      if (!report->problems.empty())
        out += "\nAnswer problems\n" + problems_table(*report, o.answers).render_table();
      break;
  }
  if (!o.output.empty()) {
    std::ofstream f(o.output);
    f << out;
    if (!f) return fail("cannot write " + o.output, 1);
  } else {
    write_stdout(out);
  }
  // Problems are unmapped answers and rows of unknown municipalities.
  return report->problems.empty() ? 0 : 1;
}

}  // namespace muni
