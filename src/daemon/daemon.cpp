#include "daemon/daemon.h"


#include <chrono>

#include <malloc.h>
#include <signal.h>
#include <spdlog/spdlog.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <optional>
#include <set>

#include "config/config.h"
#include "connectors/builtin.h"
#include "core/clock.h"
#include "core/strings.h"
#include "daemon/logging.h"
#include "daemon/self_metrics.h"
#include "daemon/systemd_notify.h"
#include "engine/curl_transport.h"
#include "engine/engine.h"
#include "store/store.h"

namespace muni {

// Platform ids with configured accounts, for zero-initialised counters.
static std::vector<std::string> configured_platforms(const Config& c) {
  std::set<std::string> ids;
  for (const MunicipalityConfig& m : c.municipalities) {
    for (const AccountConfig& a : m.accounts) ids.insert(a.platform);
  }
  return {ids.begin(), ids.end()};
}

namespace {

std::shared_ptr<spdlog::logger> log() {
  auto l = spdlog::get("daemon");
  return l ? l : spdlog::default_logger();
}

// SIGTERM, SIGINT and SIGHUP arrive through a signalfd that wakes the event
// loop, so they are handled between loop turns, never inside a handler.
class SignalChannel {
 public:
  SignalChannel() {
    sigset_t set;
    sigemptyset(&set);
    for (const int sig : {SIGTERM, SIGINT, SIGHUP}) {
      // An ignored signal is discarded before a signalfd can see it, and a
      // parent (nohup, some supervisors) may have left these ignored.
      ::signal(sig, SIG_DFL);
      sigaddset(&set, sig);
    }
    pthread_sigmask(SIG_BLOCK, &set, nullptr);
    fd_ = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
  }
  ~SignalChannel() {
    if (fd_ >= 0) close(fd_);
  }
  int fd() const { return fd_; }
  // Returns the pending signals (0 when none).
  std::vector<int> drain() {
    std::vector<int> out;
    signalfd_siginfo info;
    while (fd_ >= 0 && read(fd_, &info, sizeof info) == static_cast<ssize_t>(sizeof info)) {
      out.push_back(static_cast<int>(info.ssi_signo));
    }
    return out;
  }

 private:
  int fd_ = -1;
};

// Whether a SIGTERM or SIGINT waits to be read from the signal channel: the
// signals are blocked, so a pending one shows in sigpending() until read.
bool stop_signal_pending() {
  sigset_t pending;
  sigemptyset(&pending);
  if (sigpending(&pending) != 0) return false;
  return sigismember(&pending, SIGTERM) == 1 || sigismember(&pending, SIGINT) == 1;
}

void print_config_issues(const ConfigLoad& load) {
  for (const auto& w : load.warnings) log()->warn("{}", w.format());
  for (const auto& e : load.errors) log()->error("{}", e.format());
}

std::string status_line(const EngineSummary& s) {
  std::string line = std::to_string(s.ok) + " accounts ok, " + std::to_string(s.backing_off) +
                     " backing off, " + std::to_string(s.failing) + " failing";
  if (s.unsupported > 0) line += ", " + std::to_string(s.unsupported) + " without connector";
  return line + "; " + std::to_string(s.in_flight) + " requests in flight";
}

// Everything both modes share: config, store, connectors, transport, engine.
struct Setup {
  Config config;
  std::unique_ptr<Store> store;
  ConnectorRegistry registry;
  SystemClock clock;
  SystemRandom random;
  std::unique_ptr<CurlTransport> transport;
  std::unique_ptr<Engine> engine;
};

// The engine's and the store's state for the Prometheus exposition (the
// endpoint of `run`, the textfile of `poll --once`).
SelfMetricsInput metrics_input(const Setup& s, TimeMs started) {
  SelfMetricsInput in;
  in.counters = s.engine->counters();
  in.summary = s.engine->summary();
  in.hosts = s.engine->host_status();
  in.budgets = s.engine->budget_status();
  in.now = s.clock.now();
  in.store_bytes = s.store->file_size_bytes();
  in.started_at = started;
  in.version = kMuniscopeVersion;
  in.platforms = configured_platforms(s.config);
  return in;
}

// Returns an exit code on failure.
std::optional<int> prepare(const std::string& config_path, const std::string& db_override,
                           Setup& s) {
  const ConfigLoad load = load_config(config_path);
  print_config_issues(load);
  if (!load.config) {
    log()->error("configuration {} is invalid ({} error(s)); not starting", config_path,
                 load.errors.size());
    return 2;
  }
  s.config = *load.config;
  set_log_level(s.config.log_level);
  // Platform operators must be able to reach whoever runs muniscope. Loopback
  // tests (allow_private_addresses) reach no real server and may keep one.
  if (auto why = placeholder_contact(s.config.defaults);
      why && !s.config.defaults.allow_private_addresses) {
    log()->error(
        "defaults.contact: {}; not contacting any server. Set your own address in {} "
        "(or MUNISCOPE_CONTACT=mailto:you@your.institution)",
        *why, config_path);
    return 2;
  }
  const std::string db = store_path_for(&s.config, db_override);
  auto store = Store::open(db, OpenMode::kReadWrite);
  if (!store.ok()) {
    log()->error("{}", store.error().message);
    return 1;
  }
  s.store = std::move(*store);
  auto sync = s.store->sync_config(s.config, s.clock.now());
  if (!sync.ok()) {
    log()->error("{}", sync.error().message);
    return 1;
  }
  s.registry = builtin_connectors();
  s.transport = std::make_unique<CurlTransport>(transport_options(s.config));
  s.engine = std::make_unique<Engine>(s.clock, s.random, *s.transport, *s.store, s.registry,
                                      EngineOptions::from_config(s.config));
  s.engine->set_stop_check(stop_signal_pending);
  if (auto st = s.engine->load(s.config); !st.ok()) {
    log()->error("{}", st.error().message);
    return 1;
  }
  // Parsing a large YAML configuration leaves freed memory behind; give it
  // back to the system before settling in for months of polling.
  malloc_trim(0);
  log()->info(
      "store {}; {} municipalities, {} accounts configured (+{} new, {} no longer configured)", db,
      sync->municipalities, s.config.account_count(), sync->accounts_added,
      sync->accounts_deactivated);
  return std::nullopt;
}

}  // namespace

namespace {

// A task the daemon's loop runs every `period` on monotonic time (a stepped
// wall clock must neither silence the watchdog nor run retention twice), in
// the manner of Redis's run_with_period.
class Periodic {
 public:
  Periodic(TimeMs first_at, DurationMs period) : next_(first_at), period_(period) {}
  // True (and the next time set) when the task is due at `tick`.
  bool due(TimeMs tick) {
    if (tick < next_) return false;
    next_ = tick + period_;
    return true;
  }

 private:
  TimeMs next_;
  DurationMs period_;
};

// `muniscope run`: the loop and its named steps. One turn: let the engine
// work, handle signals, then the periodic tasks (status, summary,
// retention). Wall time is only what is stored.
class DaemonLoop {
 public:
  DaemonLoop(const DaemonOptions& options, Setup& s, SignalChannel& signals)
      : options_(options), s_(s), signals_(signals), started_(s.clock.now()),
        started_tick_(s.clock.monotonic()),
        status_(0, 5 * kSecondMs),
        summary_(started_tick_ + 10 * kMinuteMs, 10 * kMinuteMs),
        retention_due_(started_tick_ + s.config.retention.run_interval_ms,
                       s.config.retention.run_interval_ms),
        last_reload_at_(started_) {}

  int run() {
    if (auto rc = start()) return *rc;
    while (!stop_) {
      s_.engine->step(retention_ ? 0 : 1000);
      handle_signals();
      const TimeMs tick = s_.clock.monotonic();
      notifier_.watchdog_tick(tick);
      if (status_.due(tick)) report_status();
      if (summary_.due(tick)) log_summary();
      if (!retention_ && retention_due_.due(tick))
        retention_.emplace(s_.config.retention, s_.clock.now());  // cut-offs are wall time
      if (retention_) retention_step();
    }
    stop_gracefully();
    return 0;
  }

 private:
  // Marks the store as this process's, opens the metrics endpoint, tells
  // systemd it is ready. An exit code when the endpoint cannot open.
  std::optional<int> start() {
    (void)s_.store->set_meta("config_reload", "ok " + format_iso8601(started_));
    // For `status`: which process runs on this store, since when.
    (void)s_.store->set_meta("daemon", std::to_string(getpid()) + " " + format_iso8601(started_));
    if (!s_.config.metrics_listen.empty()) {
      if (auto st = metrics_.start(s_.config.metrics_listen); !st.ok()) {
        log()->error("{}", st.error().message);
        return 1;
      }
      log()->info("metrics endpoint on http://{}:{}/metrics",
                  s_.config.metrics_listen.substr(0, s_.config.metrics_listen.rfind(':')),
                  metrics_.port());
    }
    refresh_metrics();
    notifier_.ready(status_line(s_.engine->summary()));
    log()->info("muniscope {} running (pid {}); user agent \"{}\"", kMuniscopeVersion, getpid(),
                s_.config.effective_user_agent());
    return std::nullopt;
  }

  void refresh_metrics() {
    SelfMetricsInput in = metrics_input(s_, started_);
    in.last_reload_ok = last_reload_ok_;
    in.last_reload_at = last_reload_at_;
    metrics_.update(render_prometheus(in));
  }

  void handle_signals() {
    for (const int sig : signals_.drain()) {
      if (sig == SIGHUP) {
        reload();
      } else {
        log()->info("received {}; stopping", sig == SIGTERM ? "SIGTERM" : "SIGINT");
        stop_ = true;
      }
    }
  }

  // SIGHUP: the new configuration replaces the old one only when it is
  // valid and the store takes it; otherwise the old one stays, loudly, and
  // `status` shows the first reason.
  void reload() {
    notifier_.reloading();
    const TimeMs now = s_.clock.now();
    const ConfigLoad load = load_config(options_.config_path);
    last_reload_at_ = now;
    if (!load.config) {
      last_reload_ok_ = false;
      for (const auto& e : load.errors) log()->error("{}", e.format());
      log()->error("configuration reload FAILED ({} error(s)); keeping the old configuration",
                   load.errors.size());
      (void)s_.store->set_meta(
          "config_reload",
          "failed " + format_iso8601(now) + ": " +
              (load.errors.empty() ? std::string("invalid") : load.errors.front().format()) +
              (load.errors.size() > 1
                   ? " (and " + std::to_string(load.errors.size() - 1) + " more)"
                   : std::string()));
    } else {
      apply_config(*load.config, load, now);
    }
    notifier_.ready(status_line(s_.engine->summary()));
    refresh_metrics();
  }

  void apply_config(const Config& next, const ConfigLoad& load, TimeMs now) {
    for (const auto& w : load.warnings) log()->warn("{}", w.format());
    if (store_path_for(&next, options_.db_override) != s_.store->path()) {
      log()->warn("store path changed in the configuration; restart muniscope to switch stores");
    }
    auto sync = s_.store->sync_config(next, now);
    if (!sync.ok()) {
      last_reload_ok_ = false;
      log()->error("configuration reload failed: {}; keeping the old configuration",
                   sync.error().message);
      return;
    }
    s_.config = next;
    set_log_level(s_.config.log_level);
    s_.transport->set_user_agent(s_.config.effective_user_agent());
    if (auto st = s_.engine->load(s_.config); !st.ok()) log()->error("{}", st.error().message);
    last_reload_ok_ = true;
    malloc_trim(0);
    (void)s_.store->set_meta("config_reload", "ok " + format_iso8601(now));
    log()->info(
        "configuration reloaded: {} municipalities, {} accounts (+{} new, {} no longer "
        "configured)",
        sync->municipalities, s_.config.account_count(), sync->accounts_added,
        sync->accounts_deactivated);
  }

  // Every 5 s: sd_notify STATUS, host status for `muniscope status`, metrics.
  void report_status() {
    notifier_.status(status_line(s_.engine->summary()));
    s_.engine->save_host_status();
    refresh_metrics();
  }

  // Every 10 minutes: one journal line of what was done.
  void log_summary() {
    const EngineCounters& c = s_.engine->counters();
    log()->info(
        "last 10 minutes: {} requests, {} new and {} updated posts, {} rate-limit waits; {}",
        c.requests - at_last_summary_.requests, c.posts_new - at_last_summary_.posts_new,
        c.posts_updated - at_last_summary_.posts_updated,
        c.rate_limit_waits - at_last_summary_.rate_limit_waits,
        status_line(s_.engine->summary()));
    at_last_summary_ = c;
  }

  // One bounded step of a retention pass per turn of the loop, so HTTP keeps
  // flowing while a large store is thinned.
  void retention_step() {
    if (auto st = s_.store->retention_step(*retention_, kRetentionSamplesPerStep); !st.ok()) {
      log()->error("retention: {}; trying again in {}", st.error().message,
                   format_duration(s_.config.retention.run_interval_ms));
      retention_.reset();
    } else if (retention_->done()) {
      const RetentionSummary& r = retention_->summary();
      log()->info(
          "retention: {} engagement and {} account samples thinned out, {} poll log rows "
          "deleted; store {} -> {} bytes",
          r.engagement_samples_deleted, r.account_samples_deleted, r.poll_log_deleted,
          r.bytes_before, r.bytes_after);
      retention_.reset();
    }
  }

  // Graceful stop: no new work; let running exchanges finish for up to 4 s
  // (each page is committed the moment it arrives, long pages in chunks that
  // stop at once), then cancel the rest. The deadline is monotonic: a wall
  // clock stepped by NTP during shutdown must neither cut it short nor
  // stretch it.
  void stop_gracefully() {
    notifier_.stopping();
    s_.engine->stop_new_work();
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(4);
    while (!s_.engine->idle() && std::chrono::steady_clock::now() < deadline) {
      s_.engine->step(100);
      signals_.drain();
    }
    if (!s_.engine->idle()) {
      log()->info("cancelling {} unfinished unit(s) of work", s_.engine->summary().sessions);
      s_.engine->abort_in_flight();
    }
    s_.engine->save_host_status();
    metrics_.stop();
    log()->info("stopped");
  }

  const DaemonOptions& options_;
  Setup& s_;
  SignalChannel& signals_;
  SystemdNotifier notifier_;
  MetricsServer metrics_;
  const TimeMs started_;       // wall time, shown and stored
  const TimeMs started_tick_;  // monotonic
  Periodic status_;
  Periodic summary_;
  Periodic retention_due_;
  std::optional<RetentionPass> retention_;  // a pass in progress
  EngineCounters at_last_summary_;
  bool last_reload_ok_ = true;
  TimeMs last_reload_at_;
  bool stop_ = false;
};

}  // namespace

int run_daemon(const DaemonOptions& options) {
  SignalChannel signals;  // before any thread starts, so all inherit the mask
  Setup s;
  if (auto rc = prepare(options.config_path, options.db_override, s)) return *rc;
  s.transport->add_wakeup_fd(signals.fd());
  return DaemonLoop(options, s, signals).run();
}

PollOnceReport run_poll_once(const PollOnceOptions& options,
                              const std::function<void(const PollOnceProgress&)>& on_progress) {
  SignalChannel signals;
  Setup s;
  if (auto rc = prepare(options.config_path, options.db_override, s))
    return PollOnceReport::ended_early(*rc);
  const TimeMs run_started = s.clock.now();
  s.transport->add_wakeup_fd(signals.fd());

  auto accounts = s.store->load_accounts(true);
  if (!accounts.ok()) {
    log()->error("{}", accounts.error().message);
    return PollOnceReport::ended_early(1);
  }
  std::set<int64_t> selected;
  bool explicit_selection = false;
  for (const std::string& ref : options.accounts) {
    explicit_selection = true;
    auto a = s.store->find_account(ref);
    if (!a.ok()) {
      std::fprintf(stderr, "muniscope: %s\n", a.error().message.c_str());
      return PollOnceReport::ended_early(2);
    }
    selected.insert(a->id);
  }
  for (const std::string& m : options.municipalities) {
    explicit_selection = true;
    bool any = false;
    for (const StoredAccount& a : *accounts) {
      if (a.municipality_id == m) {
        selected.insert(a.id);
        any = true;
      }
    }
    if (!any) {
      std::fprintf(
          stderr,
          "muniscope: no active accounts for municipality '%s' (see `muniscope municipalities`)\n",
          m.c_str());
      return PollOnceReport::ended_early(2);
    }
  }
  if (!explicit_selection) {
    for (const StoredAccount& a : *accounts) selected.insert(a.id);
  }
  std::vector<int64_t> ids(selected.begin(), selected.end());
  const size_t unsupported = static_cast<size_t>(
      std::count_if(accounts->begin(), accounts->end(), [&](const StoredAccount& a) {
        return selected.count(a.id) && s.registry.find(a.platform) == nullptr;
      }));
  s.engine->start_once(ids, options.all || explicit_selection);
  bool interrupted = false;
  const auto report_progress = [&] {
    if (!on_progress) return;
    const auto p = s.engine->once_progress_view();
    on_progress(PollOnceProgress{static_cast<int64_t>(p.total), static_cast<int64_t>(p.done),
                                 p.waiting});
  };
  report_progress();
  while (!s.engine->once_finished()) {
    s.engine->step(500);
    report_progress();
    if (!signals.drain().empty()) {
      interrupted = true;
      s.engine->stop_new_work();
      const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(4);
      while (!s.engine->idle() && std::chrono::steady_clock::now() < deadline) s.engine->step(100);
      s.engine->abort_in_flight();
      break;
    }
  }
  s.engine->save_host_status();

  // What was done, and every selected account that did not end up ok,
  // including those that never got a unit of work (a missing credential
  // holds them before any request): a run that skipped accounts is not a
  // success.
  PollOnceReport report;
  report.ran = true;
  report.interrupted = interrupted;
  report.accounts_selected = static_cast<int64_t>(ids.size());
  report.accounts_unsupported = static_cast<int64_t>(unsupported);
  report.counters = s.engine->counters();
  if (auto after = s.store->load_accounts(true); after.ok()) {
    for (const StoredAccount& a : *after) {
      if (!selected.count(a.id)) continue;
      const AccountState st = a.runtime.state;
      if (st == AccountState::kOk || st == AccountState::kUnsupported ||
          st == AccountState::kDuplicate) {
        continue;
      }
      report.not_ok.push_back(
          {a.municipality_id + "/" + a.account_key,
           std::string(st == AccountState::kPending ? "not polled" : a.state_id()),
           a.runtime.state_reason.empty() && st == AccountState::kPending
               ? std::string("no unit of work ran for it")
               : a.runtime.state_reason});
    }
  }
  if (!options.metrics_file.empty()) {
    const SelfMetricsInput in = metrics_input(s, run_started);
    if (auto st = write_metrics_file(options.metrics_file, render_prometheus(in)); !st.ok()) {
      std::fprintf(stderr, "muniscope: %s\n", st.error().message.c_str());
      report.exit_code = 1;
      return report;
    }
  }
  // The accounts' end states decide: a unit that failed and was retried
  // successfully (a 503, a timeout) is in the counters, but the run did
  // what it was asked to do.
  report.exit_code = interrupted || !report.not_ok.empty() ? 1 : 0;
  return report;
}

}  // namespace muni
