// `muniscope metrics`, `muniscope series` and `muniscope survey check`:
// option structs, their CLI11 wiring, and the commands.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "survey/check.h"

namespace CLI {
class App;
}

namespace muni {

struct MetricsOptions {
  std::vector<std::string> municipalities;
  std::string platform;
  std::string category;
  std::string from;                    // YYYY-MM-DD, local; default: 365 days before --to
  std::string to;                      // YYYY-MM-DD, local, inclusive; default: today
  std::string by;                      // week, month, quarter, year; default: one period
  std::string level = "municipality";  // account, municipality, category, platform
  std::vector<std::string> metrics;    // names; "all" for every metric
  bool include_inactive = false;
  bool list = false;
};
void add_metrics_options(CLI::App& app, MetricsOptions& o, CommonOptions& common);
int cmd_metrics(const MetricsOptions& o, const CommonOptions& common);

struct SeriesOptions {
  std::string what;  // followers, posts, engagement
  std::string account;
  std::string by = "week";  // day, week, month
  std::string from;
  std::string to;
};
void add_series_options(CLI::App& app, SeriesOptions& o, CommonOptions& common);
int cmd_series(const SeriesOptions& o, const CommonOptions& common);

struct SurveyOptions {
  std::string answers;       // CSV file
  std::string codebook;      // YAML file
  std::string output;        // write to this file instead of stdout
  std::string view = "all";  // all, results, items, overall
  std::string encoding;      // of the answers file; empty: the codebook's (default auto)
};
void add_survey_options(CLI::App& app, SurveyOptions& o, CommonOptions& common);
int cmd_survey_check(const SurveyOptions& o, const CommonOptions& common);
// Loads the codebook, the answers, the configuration and the store, and
// runs the check (survey check, export survey). Says on standard error what
// went wrong, and warns of every unmapped answer; nullopt means exit 2.
std::optional<survey::Report> run_survey_check(const SurveyOptions& o, const CommonOptions& common);

}  // namespace muni
