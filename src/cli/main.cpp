// muniscope: one executable for the daemon and every query over its store.
// Thin by design: parse arguments, call a command, return its exit code
// (0 ok, 1 runtime error, 2 usage or configuration error).
#include <CLI/CLI.hpp>

#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>

#include "cli/commands.h"
#include "cli/discover_command.h"
#include "cli/export_command.h"
#include "cli/import_commands.h"
#include "cli/man_page.h"
#include "cli/output.h"
#include "cli/poll_command.h"
#include "cli/query_commands.h"
#include "cli/report_command.h"
#include "config/config.h"
#include "connectors/builtin.h"
#include "daemon/daemon.h"
#include "daemon/logging.h"

namespace {

std::string default_config_path() {
  if (const char* env = std::getenv("MUNISCOPE_CONFIG"); env != nullptr && *env != '\0') return env;
  return "/etc/muniscope/muniscope.yaml";
}

constexpr char kAbout[] =
    "muniscope observes the public social media accounts of German municipalities, stores their "
    "activity\n"
    "as time series, computes usage metrics and checks self-reported survey answers against "
    "them.\n"
    "Documentation: README.md and docs/ (installed under /usr/share/doc/muniscope).";

// The whole command line: every subcommand (CLI11 marks the one given) and
// the variables its options fill. CLI11 binds options to these members by
// reference, so a Cli stays where it was built.
struct Cli {
  Cli() = default;
  Cli(const Cli&) = delete;
  Cli& operator=(const Cli&) = delete;

  CLI::App app{kAbout};
  muni::CommonOptions common;

  CLI::App* check = nullptr;
  std::string check_path;
  CLI::App* run = nullptr;
  CLI::App* poll = nullptr;
  muni::PollOnceOptions poll_opts;
  bool once = false;

  CLI::App* status = nullptr;
  CLI::App* munis = nullptr;
  CLI::App* accounts = nullptr;
  std::string acc_municipality, acc_platform, acc_history;
  CLI::App* metrics = nullptr;
  muni::MetricsOptions metrics_opts;
  CLI::App* series = nullptr;
  muni::SeriesOptions series_opts;
  CLI::App* survey_check = nullptr;
  muni::SurveyOptions survey_opts;

  CLI::App* compact = nullptr;
  CLI::App* backup = nullptr;
  std::string backup_file;
  CLI::App* info = nullptr;

  CLI::App* import_gv = nullptr;
  muni::ImportGvOptions gv_opts;
  CLI::App* import_wd = nullptr;
  muni::ImportWikidataOptions wd_opts;
  CLI::App* export_cmd = nullptr;
  muni::ExportOptions export_opts;
  CLI::App* report_cmd = nullptr;
  muni::ReportCommandOptions report_opts;
  CLI::App* discover = nullptr;
  muni::DiscoverOptions discover_opts;
  CLI::App* man_page = nullptr;
};

// The program's name and version, exactly one subcommand, and the options
// every command shares (they may stand before or after the subcommand).
void add_global_options(Cli& c) {
  CLI::App& app = c.app;
  app.name("muniscope");
  app.set_version_flag("--version", std::string("muniscope ") + muni::kMuniscopeVersion);
  app.require_subcommand(1);
  app.fallthrough();

  c.common.config_path = default_config_path();
  app.add_option(
      "-c,--config", c.common.config_path,
      "Configuration file (default: $MUNISCOPE_CONFIG, else /etc/muniscope/muniscope.yaml)");
  app.add_option("--db", c.common.db_override,
                 "Store (SQLite file) to use instead of the one the config names");
}

// Commands that check the configuration or poll: check-config, run, poll.
void add_polling_commands(Cli& c) {
  CLI::App& app = c.app;
  c.check = app.add_subcommand("check-config", "Validate a configuration file and print a summary");
  c.check->add_option("file", c.check_path, "File to check (default: --config)");
  c.check->footer(
      "Exit status 0 when valid, 2 when not; every problem is printed as file:line:column: key: "
      "message.");

  c.run = app.add_subcommand(
      "run", "Run the polling daemon in the foreground (what the systemd service starts)");
  c.run->footer(
      "Signals: SIGTERM/SIGINT stop within 5 s after committing what has arrived; SIGHUP reloads "
      "the\n"
      "configuration (an invalid one is reported and the old one kept). Logs go to stderr.");

  c.poll = app.add_subcommand("poll", "Poll accounts once, backfill included, and print a summary");
  c.poll->add_flag("--once", c.once,
                   "Run every due account (or the selection) to completion and exit (required)");
  c.poll->add_option("--account", c.poll_opts.accounts,
                     "Account to poll: id, platform:handle or handle (repeatable)");
  c.poll->add_option("--municipality", c.poll_opts.municipalities,
                     "Poll the accounts of this municipality (repeatable)");
  c.poll->add_flag("--all", c.poll_opts.all, "Poll every account now, whether due or not");
  c.poll->add_option("--metrics-file", c.poll_opts.metrics_file,
                     "Write the run's Prometheus metrics to this file (atomically), for "
                     "node_exporter's textfile collector");
}

// Queries over the store: status, municipalities, accounts, metrics,
// series, survey check.
void add_query_commands(Cli& c) {
  CLI::App& app = c.app;
  c.status = app.add_subcommand(
      "status", "Accounts with state, last success, next due, last error; per-host budgets");
  muni::add_format_option(*c.status, c.common.format);

  c.munis = app.add_subcommand("municipalities", "List the configured municipalities");
  muni::add_format_option(*c.munis, c.common.format);
  c.accounts =
      app.add_subcommand("accounts", "List the configured accounts with their state in the store");
  c.accounts->add_option("--municipality", c.acc_municipality, "Only this municipality");
  c.accounts->add_option("--platform", c.acc_platform, "Only this platform");
  c.accounts->add_option("--history", c.acc_history,
                         "Show one account's identity over time instead (renames, moves, changes "
                         "of the platform id): id, platform:handle or handle");
  muni::add_format_option(*c.accounts, c.common.format);

  c.metrics = app.add_subcommand(
      "metrics",
      "Observed usage metrics per account, municipality, category or platform and period");
  muni::add_metrics_options(*c.metrics, c.metrics_opts, c.common);
  c.series =
      app.add_subcommand("series", "Time series of one account: followers, posts or engagement");
  muni::add_series_options(*c.series, c.series_opts, c.common);

  auto* survey =
      app.add_subcommand("survey", "Compare self-reported survey answers with observed behaviour");
  survey->require_subcommand(1);
  c.survey_check = survey->add_subcommand(
      "check", "Check an answers file (CSV) against the store, item by item");
  muni::add_survey_options(*c.survey_check, c.survey_opts, c.common);
}

// Store maintenance: store compact, backup, info.
void add_store_commands(Cli& c) {
  auto* store = c.app.add_subcommand("store", "Store maintenance: compact, backup, info");
  store->require_subcommand(1);
  c.compact = store->add_subcommand(
      "compact", "Apply sample retention now and return free pages to the file system");
  c.backup = store->add_subcommand(
      "backup", "Copy the store with SQLite's online backup API (safe while the daemon runs)");
  c.backup->add_option("file", c.backup_file, "Destination file (must not exist)")->required();
  c.info = store->add_subcommand("info", "Schema version, size and row counts");
  muni::add_format_option(*c.info, c.common.format);
}

// Data in and out: import gv and wikidata, export, report, discover; and
// the hidden man-page the build renders muniscope.1 with.
void add_data_commands(Cli& c) {
  CLI::App& app = c.app;
  auto* import = app.add_subcommand(
      "import", "Configuration from official and open data: the municipality directory, accounts");
  import->require_subcommand(1);
  c.import_gv = import->add_subcommand(
      "gv", "Municipalities and Landkreise from the Destatis Gemeindeverzeichnis (GV100AD)");
  muni::add_import_gv_options(*c.import_gv, c.gv_opts);
  c.import_wd = import->add_subcommand(
      "wikidata", "Accounts and websites from a Wikidata SPARQL result, attached by AGS");
  muni::add_import_wikidata_options(*c.import_wd, c.wd_opts);

  c.export_cmd = app.add_subcommand(
      "export", "Raw posts, samples or metrics as CSV or NDJSON for R, Stata and pandas");
  muni::add_export_options(*c.export_cmd, c.export_opts);

  c.report_cmd = app.add_subcommand(
      "report", "A self-contained HTML report with charts, per municipality and compared");
  muni::add_report_options(*c.report_cmd, c.report_opts);

  c.discover =
      app.add_subcommand("discover", "Propose accounts found on municipalities' official websites");
  muni::add_discover_options(*c.discover, c.discover_opts);

  // Hidden (no group): the build renders muniscope.1 with it.
  c.man_page = app.add_subcommand("man-page", "Print the manual page (roff)")->group("");
}

// Parses the command line; an exit status when parsing ends the program:
// 0 after --help or --version, 2 for a usage error (CLI11 printed it).
std::optional<int> parse(Cli& c, int argc, char** argv) {
  try {
    c.app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int rc = c.app.exit(e);
    return rc == 0 ? 0 : 2;
  }
  return std::nullopt;
}

// Runs the subcommand that was given, with the shared options passed on.
int dispatch(Cli& c) {
  if (*c.man_page) {
    std::fputs(muni::render_man_page(c.app, muni::kMuniscopeVersion).c_str(), stdout);
    return 0;
  }
  if (*c.check)
    return muni::cmd_check_config(c.check_path.empty() ? c.common.config_path : c.check_path);
  if (*c.run) return muni::run_daemon({c.common.config_path, c.common.db_override});
  if (*c.poll) {
    if (!c.once) {
      std::fprintf(stderr,
                   "muniscope: poll needs --once (continuous polling is `muniscope run`)\n");
      return 2;
    }
    c.poll_opts.config_path = c.common.config_path;
    c.poll_opts.db_override = c.common.db_override;
    return muni::cmd_poll_once(c.poll_opts);
  }
  if (*c.status) return muni::cmd_status(c.common);
  if (*c.munis) return muni::cmd_municipalities(c.common);
  if (*c.accounts && !c.acc_history.empty())
    return muni::cmd_account_history(c.common, c.acc_history);
  if (*c.accounts) return muni::cmd_accounts(c.common, c.acc_municipality, c.acc_platform);
  if (*c.metrics) return muni::cmd_metrics(c.metrics_opts, c.common);
  if (*c.series) return muni::cmd_series(c.series_opts, c.common);
  if (*c.survey_check) return muni::cmd_survey_check(c.survey_opts, c.common);
  if (*c.compact) return muni::cmd_store_compact(c.common);
  if (*c.backup) return muni::cmd_store_backup(c.common, c.backup_file);
  if (*c.info) return muni::cmd_store_info(c.common);
  if (*c.import_gv) return muni::cmd_import_gv(c.gv_opts);
  if (*c.import_wd) return muni::cmd_import_wikidata(c.wd_opts);
  if (*c.export_cmd) return muni::cmd_export(c.export_opts, c.common);
  if (*c.report_cmd) return muni::cmd_report(c.report_opts, c.common);
  if (*c.discover) {
    c.discover_opts.config_path = c.common.config_path;
    return muni::cmd_discover(c.discover_opts);
  }
  return 2;
}

// Describe the command line (in the order --help lists it), parse it, run
// the command given.
int run_cli(int argc, char** argv) {
  muni::setup_logging("info");
  muni::register_builtin_platforms();
  Cli c;
  add_global_options(c);
  add_polling_commands(c);
  add_query_commands(c);
  add_store_commands(c);
  add_data_commands(c);
  if (auto rc = parse(c, argc, argv)) return *rc;
  return dispatch(c);
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
