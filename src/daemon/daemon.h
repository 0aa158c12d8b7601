// The daemon (`muniscope run`) and one-shot polling (`muniscope poll --once`):
// wiring of config, store, transport, connectors and engine around one loop.
//
// run: sd_notify READY once the config is valid and the store open; STATUS
// with accounts ok / backing off / failing; WATCHDOG when WATCHDOG_USEC is
// set; SIGTERM/SIGINT stop within 5 seconds (in-flight pages are committed as
// they arrive; transfers still running after 4 seconds are cancelled);
// SIGHUP reloads the config and keeps the old one, loudly, if the new one is
// invalid. Retention runs periodically (store.retention.run_every).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "config/config.h"
#include "engine/curl_transport.h"
#include "engine/engine.h"

namespace muni {

struct DaemonOptions {
  std::string config_path;
  std::string db_override;  // --db
};

// Returns the process exit code: 0 clean stop, 1 runtime error, 2 config error.
int run_daemon(const DaemonOptions& options);

struct PollOnceOptions {
  std::string config_path;
  std::string db_override;
  std::vector<std::string> accounts;        // --account (id, platform:handle or handle)
  std::vector<std::string> municipalities;  // --municipality
  bool all = false;                         // --all: every account, due or not
  std::string metrics_file;  // --metrics-file: Prometheus textfile-collector output
};

// Where a poll --once run stands, for a progress line.
struct PollOnceProgress {
  int64_t total = 0;  // accounts in the run
  int64_t done = 0;
  std::string waiting;  // what the run waits for ("rate limit of HOST until T"), or ""
};

// What a poll --once run did, for the CLI to print (the daemon prints
// nothing; presentation is the CLI's).
struct PollOnceReport {
  // 0 when every selected account ended ok (after errors it recovered
  // from); 1 when any did not, the run was interrupted or a runtime error
  // ended it; 2 for usage or configuration errors (already reported).
  int exit_code = 0;
  bool ran = false;  // false: it ended before polling (exit_code says why)
  bool interrupted = false;
  int64_t accounts_selected = 0;
  int64_t accounts_unsupported = 0;
  EngineCounters counters;
  struct NotOk {
    std::string account;  // municipality/account key
    std::string state;
    std::string reason;
  };
  std::vector<NotOk> not_ok;

  static PollOnceReport ended_early(int code) {
    PollOnceReport r;
    r.exit_code = code;
    return r;
  }
};

// Runs the selected (or all due) accounts to completion, backfill included.
// `on_progress` (may be empty) is called on every turn of the loop.
PollOnceReport run_poll_once(const PollOnceOptions& options,
                             const std::function<void(const PollOnceProgress&)>& on_progress);

}  // namespace muni
