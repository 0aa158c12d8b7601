// muniscope: one executable for the daemon and every query over its store.
// Thin by design: parse arguments, call a command, return its exit code
// (0 ok, 1 runtime error, 2 usage or configuration error).
#include <CLI/CLI.hpp>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "cli/commands.h"
#include "cli/discover_command.h"
#include "cli/export_command.h"
#include "cli/report_command.h"
#include "cli/import_commands.h"
#include "cli/man_page.h"
#include "cli/poll_command.h"
#include "cli/output.h"
#include "cli/query_commands.h"
#include "connectors/builtin.h"
#include "config/config.h"
#include "daemon/daemon.h"
#include "daemon/logging.h"

namespace {

std::string default_config_path() {
  if (const char* env = std::getenv("MUNISCOPE_CONFIG"); env != nullptr && *env != '\0') return env;
  return "/etc/muniscope/muniscope.yaml";
}

}  // namespace

namespace {

int run_cli(int argc, char** argv) {
  muni::setup_logging("info");
  muni::register_builtin_platforms();
  CLI::App app{
      "muniscope observes the public social media accounts of German municipalities, stores their "
      "activity\n"
      "as time series, computes usage metrics and checks self-reported survey answers against "
      "them.\n"
      "Documentation: README.md and docs/ (installed under /usr/share/doc/muniscope)."};
  app.name("muniscope");
  app.set_version_flag("--version", std::string("muniscope ") + muni::kMuniscopeVersion);
  app.require_subcommand(1);
  app.fallthrough();

  muni::CommonOptions common;
  common.config_path = default_config_path();
  app.add_option(
      "-c,--config", common.config_path,
      "Configuration file (default: $MUNISCOPE_CONFIG, else /etc/muniscope/muniscope.yaml)");
  app.add_option("--db", common.db_override,
                 "Store (SQLite file) to use instead of the one the config names");

  // check-config
  auto* check =
      app.add_subcommand("check-config", "Validate a configuration file and print a summary");
  std::string check_path;
  check->add_option("file", check_path, "File to check (default: --config)");
  check->footer(
      "Exit status 0 when valid, 2 when not; every problem is printed as file:line:column: key: "
      "message.");

  // run
  auto* run = app.add_subcommand(
      "run", "Run the polling daemon in the foreground (what the systemd service starts)");
  run->footer(
      "Signals: SIGTERM/SIGINT stop within 5 s after committing what has arrived; SIGHUP reloads "
      "the\n"
      "configuration (an invalid one is reported and the old one kept). Logs go to stderr.");

  // poll
  muni::PollOnceOptions poll_opts;
  bool once = false;
  auto* poll =
      app.add_subcommand("poll", "Poll accounts once, backfill included, and print a summary");
  poll->add_flag("--once", once,
                 "Run every due account (or the selection) to completion and exit (required)");
  poll->add_option("--account", poll_opts.accounts,
                   "Account to poll: id, platform:handle or handle (repeatable)");
  poll->add_option("--municipality", poll_opts.municipalities,
                   "Poll the accounts of this municipality (repeatable)");
  poll->add_flag("--all", poll_opts.all, "Poll every account now, whether due or not");
  poll->add_option("--metrics-file", poll_opts.metrics_file,
                   "Write the run's Prometheus metrics to this file (atomically), for "
                   "node_exporter's textfile collector");

  // status
  auto* status = app.add_subcommand(
      "status", "Accounts with state, last success, next due, last error; per-host budgets");
  muni::add_format_option(*status, common.format);

  // municipalities / accounts
  auto* munis = app.add_subcommand("municipalities", "List the configured municipalities");
  muni::add_format_option(*munis, common.format);
  std::string acc_municipality, acc_platform;
  auto* accounts =
      app.add_subcommand("accounts", "List the configured accounts with their state in the store");
  accounts->add_option("--municipality", acc_municipality, "Only this municipality");
  accounts->add_option("--platform", acc_platform, "Only this platform");
  std::string acc_history;
  accounts->add_option("--history", acc_history,
                       "Show one account's identity over time instead (renames, moves, changes "
                       "of the platform id): id, platform:handle or handle");
  muni::add_format_option(*accounts, common.format);

  // metrics / series
  muni::MetricsOptions metrics_opts;
  auto* metrics = app.add_subcommand(
      "metrics",
      "Observed usage metrics per account, municipality, category or platform and period");
  muni::add_metrics_options(*metrics, metrics_opts, common);
  muni::SeriesOptions series_opts;
  auto* series =
      app.add_subcommand("series", "Time series of one account: followers, posts or engagement");
  muni::add_series_options(*series, series_opts, common);

  // survey check
  auto* survey =
      app.add_subcommand("survey", "Compare self-reported survey answers with observed behaviour");
  survey->require_subcommand(1);
  muni::SurveyOptions survey_opts;
  auto* survey_check = survey->add_subcommand(
      "check", "Check an answers file (CSV) against the store, item by item");
  muni::add_survey_options(*survey_check, survey_opts, common);

  // store maintenance
  auto* store = app.add_subcommand("store", "Store maintenance: compact, backup, info");
  store->require_subcommand(1);
  auto* compact = store->add_subcommand(
      "compact", "Apply sample retention now and return free pages to the file system");
  std::string backup_file;
  auto* backup = store->add_subcommand(
      "backup", "Copy the store with SQLite's online backup API (safe while the daemon runs)");
  backup->add_option("file", backup_file, "Destination file (must not exist)")->required();
  auto* info = store->add_subcommand("info", "Schema version, size and row counts");
  muni::add_format_option(*info, common.format);

  // import
  auto* import = app.add_subcommand(
      "import", "Configuration from official and open data: the municipality directory, accounts");
  import->require_subcommand(1);
  muni::ImportGvOptions gv_opts;
  auto* import_gv = import->add_subcommand(
      "gv", "Municipalities and Landkreise from the Destatis Gemeindeverzeichnis (GV100AD)");
  muni::add_import_gv_options(*import_gv, gv_opts);
  muni::ImportWikidataOptions wd_opts;
  auto* import_wd = import->add_subcommand(
      "wikidata", "Accounts and websites from a Wikidata SPARQL result, attached by AGS");
  muni::add_import_wikidata_options(*import_wd, wd_opts);

  muni::ExportOptions export_opts;
  auto* export_cmd = app.add_subcommand(
      "export", "Raw posts, samples or metrics as CSV or NDJSON for R, Stata and pandas");
  muni::add_export_options(*export_cmd, export_opts);

  muni::ReportCommandOptions report_opts;
  auto* report_cmd = app.add_subcommand(
      "report", "A self-contained HTML report with charts, per municipality and compared");
  muni::add_report_options(*report_cmd, report_opts);

  muni::DiscoverOptions discover_opts;
  auto* discover = app.add_subcommand(
      "discover", "Propose accounts found on municipalities' official websites");
  muni::add_discover_options(*discover, discover_opts);

  // Hidden (no group): the build renders muniscope.1 with it.
  auto* man_page = app.add_subcommand("man-page", "Print the manual page (roff)")->group("");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int rc = app.exit(e);
    return rc == 0 ? 0 : 2;
  }

  if (*man_page) {
    std::fputs(muni::render_man_page(app, muni::kMuniscopeVersion).c_str(), stdout);
    return 0;
  }
  if (*check) return muni::cmd_check_config(check_path.empty() ? common.config_path : check_path);
  if (*run) return muni::run_daemon({common.config_path, common.db_override});
  if (*poll) {
    if (!once) {
      std::fprintf(stderr,
                   "muniscope: poll needs --once (continuous polling is `muniscope run`)\n");
      return 2;
    }
    poll_opts.config_path = common.config_path;
    poll_opts.db_override = common.db_override;
    return muni::cmd_poll_once(poll_opts);
  }
  if (*status) return muni::cmd_status(common);
  if (*munis) return muni::cmd_municipalities(common);
  if (*accounts && !acc_history.empty()) return muni::cmd_account_history(common, acc_history);
  if (*accounts) return muni::cmd_accounts(common, acc_municipality, acc_platform);
  if (*metrics) return muni::cmd_metrics(metrics_opts, common);
  if (*series) return muni::cmd_series(series_opts, common);
  if (*survey_check) return muni::cmd_survey_check(survey_opts, common);
  if (*compact) return muni::cmd_store_compact(common);
  if (*backup) return muni::cmd_store_backup(common, backup_file);
  if (*info) return muni::cmd_store_info(common);
  if (*import_gv) return muni::cmd_import_gv(gv_opts);
  if (*import_wd) return muni::cmd_import_wikidata(wd_opts);
  if (*export_cmd) return muni::cmd_export(export_opts, common);
  if (*report_cmd) return muni::cmd_report(report_opts, common);
  if (*discover) {
    discover_opts.config_path = common.config_path;
    return muni::cmd_discover(discover_opts);
  }
  return 2;
}

}  // namespace

// No command ends in an uncaught exception: whatever escapes (a damaged
// store, a full disk) becomes one line and exit status 1.
int main(int argc, char** argv) {
  try {
    return run_cli(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr,
                 "muniscope: %s (if this concerns the store, `muniscope store info` checks it; "
                 "docs/operations.md has backups)\n",
                 e.what());
    return 1;
  } catch (...) {
    std::fprintf(stderr, "muniscope: unexpected error\n");
    return 1;
  }
}
