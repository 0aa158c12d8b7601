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

#include <string>
#include <vector>

#include "config/config.h"
#include "engine/curl_transport.h"

namespace muni {

struct DaemonOptions {
  std::string config_path;
  std::string db_override;  // --db
};

// Returns the process exit code: 0 clean stop, 1 runtime error, 2 config error.
int run_daemon(const DaemonOptions& options);

// The transport settings a configuration asks for (User-Agent with contact,
// timeouts, size cap, private addresses): shared by run, poll and discover.
CurlTransportOptions transport_options(const Config& c);

struct PollOnceOptions {
  std::string config_path;
  std::string db_override;
  std::vector<std::string> accounts;        // --account (id, platform:handle or handle)
  std::vector<std::string> municipalities;  // --municipality
  bool all = false;                         // --all: every account, due or not
  std::string metrics_file;  // --metrics-file: Prometheus textfile-collector output
};

// Runs the selected (or all due) accounts to completion, backfill included,
// prints a summary. Exit code 0 when every unit of work succeeded, 1 when
// some failed, 2 for usage or config errors.
int run_poll_once(const PollOnceOptions& options);

}  // namespace muni
