#include "cli/report_command.h"

#include <CLI/CLI.hpp>
#include <cstdio>
#include <fstream>

#include "cli/query_commands.h"
#include "config/config.h"
#include "core/clock.h"
#include "report/html_report.h"
#include "survey/check.h"
#include "survey/codebook.h"

namespace muni {

void add_report_options(CLI::App& app, ReportCommandOptions& o) {
  app.add_option("--municipality", o.municipalities,
                 "Only these municipalities (repeatable; default: every one with accounts)");
  app.add_option("--from", o.from, "First day, YYYY-MM-DD (default: 365 days back)");
  app.add_option("--to", o.to, "Last day, inclusive (default: today)");
  app.add_option("--lang", o.lang, "de (default) or en")->check(CLI::IsMember({"de", "en"}));
  app.add_option("-o,--output", o.output, "The HTML file to write")->required();
  app.add_option("--survey", o.survey, "Answers file (CSV): adds the verdict matrix and agreement");
  app.add_option("--codebook", o.codebook, "Codebook (YAML) for --survey");
  app.footer(
      "One self-contained HTML file: inline CSS and SVG charts, no JavaScript, no network; "
      "printable, one page per municipality. docs/report.md describes every section. Exit "
      "status 0, 1 for store or write errors, 2 for bad arguments.");
}

namespace {
int fail(const std::string& message, int code) {
  std::fprintf(stderr, "muniscope: %s\n", message.c_str());
  return code;
}
}  // namespace

int cmd_report(const ReportCommandOptions& o, const CommonOptions& common) {
  if (o.survey.empty() != o.codebook.empty()) {
    return fail("--survey and --codebook go together", 2);
  }
  ConfigLoad load = load_config(common.config_path);
  if (!load.config) {
    for (const auto& e : load.errors) std::fprintf(stderr, "error: %s\n", e.format().c_str());
    return 2;
  }
  const Config& config = *load.config;
  for (const std::string& m : o.municipalities) {
    bool known = false;
    for (const auto& c : config.municipalities) known |= c.id == m;
    if (!known) return fail("no municipality '" + m + "' in the configuration", 2);
  }
  auto tz = TimeZone::load(config.defaults.timezone);
  if (!tz.ok()) return fail(tz.error().message, 2);
  auto store = Store::open(store_path_for(&config, common.db_override), OpenMode::kReadOnly);
  if (!store.ok()) return fail(store.error().message, 1);
  report::ReportOptions ro;
  ro.municipalities = o.municipalities;
  ro.lang = o.lang;
  ro.tz = *tz;
  ro.now = SystemClock().now();
  CivilDate to_date = tz->to_local(ro.now).date;
  if (!o.to.empty()) {
    auto d = parse_civil_date(o.to);
    if (!d) return fail("--to must be a date YYYY-MM-DD", 2);
    to_date = *d;
  }
  ro.to = tz->from_local(civil_from_days(days_from_civil(to_date) + 1));
  if (!o.from.empty()) {
    auto d = parse_civil_date(o.from);
    if (!d) return fail("--from must be a date YYYY-MM-DD", 2);
    ro.from = tz->from_local(*d);
  } else {
    ro.from = tz->from_local(civil_from_days(days_from_civil(to_date) - 364));
  }
  if (ro.from >= ro.to) return fail("--from must be before --to", 2);

  std::optional<survey::Report> survey_report;
  if (!o.survey.empty()) {
    auto cb = survey::load_codebook(o.codebook);
    if (!cb.codebook) {
      for (const auto& e : cb.errors) std::fprintf(stderr, "error: %s\n", e.format().c_str());
      return 2;
    }
    auto answers = survey::read_answers(o.survey, cb.codebook->delimiter, cb.codebook->encoding);
    if (!answers.ok()) return fail(answers.error().message, 2);
    survey::CheckOptions opt;
    auto stz = TimeZone::load(cb.codebook->timezone.empty() ? config.defaults.timezone
                                                            : cb.codebook->timezone);
    if (!stz.ok()) return fail(stz.error().message, 2);
    opt.tz = *stz;
    opt.now = ro.now;
    opt.min_coverage = cb.codebook->min_coverage.value_or(config.metrics.min_coverage);
    opt.default_interval_ms = config.defaults.poll_interval_ms;
    for (const auto& m : config.municipalities) {
      if (m.population) opt.populations[m.id] = *m.population;
    }
    auto rep = survey::check(*cb.codebook, *answers, **store, opt);
    if (!rep.ok()) return fail(rep.error().message, 2);
    survey_report = std::move(*rep);
    ro.survey = &*survey_report;
  }
  auto html = report::render_report(**store, config, ro);
  if (!html.ok()) return fail(html.error().message, 1);
  std::ofstream out(o.output, std::ios::binary | std::ios::trunc);
  out << *html;
  if (!out) return fail("cannot write " + o.output, 1);
  std::fprintf(stderr, "report written to %s (%zu KB)\n", o.output.c_str(), html->size() / 1024);
  return 0;
}

}  // namespace muni
