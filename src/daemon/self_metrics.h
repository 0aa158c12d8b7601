// The daemon's own health as Prometheus text exposition format (version
// 0.0.4), served on GET /metrics when `metrics_listen` is configured. The
// exposition is rendered on the engine thread and handed to the HTTP thread
// as a finished string, so the engine is never locked by a scrape.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "core/result.h"
#include "engine/engine.h"
#include "store/store.h"

namespace muni {

struct SelfMetricsInput {
  EngineCounters counters;
  EngineSummary summary;
  std::vector<HostStatusRow> hosts;
  std::vector<BudgetRow> budgets;  // quota budgets (Engine::budget_status)
  TimeMs now = 0;                  // for "held" (a budget blocked until later)
  int64_t store_bytes = 0;
  bool last_reload_ok = true;
  TimeMs last_reload_at = 0;
  TimeMs started_at = 0;
  std::string version;
  // Platforms with configured accounts: their labelled counters start at 0,
  // so a rate() over them works from the first scrape.
  std::vector<std::string> platforms;
};

std::string render_prometheus(const SelfMetricsInput& in);

// Writes the exposition to `path` atomically (a temporary file renamed over
// it), as node_exporter's textfile collector expects (`poll --once
// --metrics-file`).
Status write_metrics_file(const std::string& path, const std::string& exposition);

class MetricsServer {
 public:
  MetricsServer();
  ~MetricsServer();
  // Binds host:port and serves in a background thread. Fails with kIo when
  // the address cannot be bound.
  Status start(const std::string& listen);
  void update(std::string exposition);
  void stop();
  int port() const { return port_; }

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  std::thread thread_;
  int port_ = 0;
};

}  // namespace muni
