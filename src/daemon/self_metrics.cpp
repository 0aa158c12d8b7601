#include "daemon/self_metrics.h"
#include <filesystem>
#include <unistd.h>
#include <sys/resource.h>

#include <httplib.h>

#include <cstdio>

#include "core/strings.h"
#include "engine/outcome.h"

namespace muni {

namespace {

std::string label_value(const std::string& v) {
  std::string out;
  for (const char c : v) {
    if (c == '\\' || c == '"') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out;
}

void header(std::string& out, const char* name, const char* type, const char* help) {
  out += std::string("# HELP ") + name + " " + help + "\n# TYPE " + name + " " + type + "\n";
}

void sample(std::string& out, const std::string& name,
            const std::vector<std::pair<std::string, std::string>>& labels, double value) {
  out += name;
  if (!labels.empty()) {
    out += '{';
    for (size_t i = 0; i < labels.size(); ++i) {
      if (i) out += ',';
      out += labels[i].first + "=\"" + label_value(labels[i].second) + "\"";
    }
    out += '}';
  }
  char buf[64];
  std::snprintf(buf, sizeof buf, " %.17g\n", value);
  out += buf;
}

}  // namespace

std::string render_prometheus(const SelfMetricsInput& in) {
  std::string out;
  header(out, "muniscope_polls_total", "counter",
         "Units of work (poll, backfill, refresh) finished, by platform and outcome.");
  // Labelled counters exist from the start at 0 for every configured
  // platform and the common outcomes and classes.
  auto polls = in.counters.polls;
  auto http = in.counters.http;
  for (const std::string& p : in.platforms) {
    for (const Outcome outcome : {Outcome::kOk, Outcome::kNotModified, Outcome::kTransportError,
                                  Outcome::kServerError, Outcome::kRateLimited,
                                  Outcome::kRefused}) {
      polls.try_emplace({p, std::string(outcome_id(outcome))}, 0);
    }
    for (const char* cls : {"2xx", "3xx", "4xx", "5xx", "transport"}) http.try_emplace({p, cls}, 0);
  }
  for (const auto& [key, n] : polls) {
    sample(out, "muniscope_polls_total", {{"platform", key.first}, {"outcome", key.second}},
           static_cast<double>(n));
  }
  header(out, "muniscope_http_responses_total", "counter",
         "HTTP exchanges by platform and status class (transport = no response).");
  for (const auto& [key, n] : http) {
    sample(out, "muniscope_http_responses_total", {{"platform", key.first}, {"class", key.second}},
           static_cast<double>(n));
  }
  header(out, "muniscope_last_success_timestamp_seconds", "gauge",
         "When a unit of work last succeeded on the platform (0: never since start); alert on "
         "staleness.");
  for (const std::string& p : in.platforms) {
    const auto it = in.counters.last_success.find(p);
    sample(out, "muniscope_last_success_timestamp_seconds", {{"platform", p}},
           it == in.counters.last_success.end() ? 0.0 : static_cast<double>(it->second) / 1000.0);
  }
  // Process metrics under the names Prometheus client libraries use.
  {
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    header(out, "process_cpu_seconds_total", "counter", "User and system CPU time spent.");
    sample(out, "process_cpu_seconds_total", {},
           static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
               static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6);
    long pages = 0;
    if (std::FILE* f = std::fopen("/proc/self/statm", "r")) {
      long size = 0;
      if (std::fscanf(f, "%ld %ld", &size, &pages) != 2) pages = 0;
      std::fclose(f);
    }
    header(out, "process_resident_memory_bytes", "gauge", "Resident memory size in bytes.");
    sample(out, "process_resident_memory_bytes", {},
           static_cast<double>(pages) * static_cast<double>(sysconf(_SC_PAGESIZE)));
    int fds = 0;
    std::error_code ec;
    for (auto it = std::filesystem::directory_iterator("/proc/self/fd", ec);
         !ec && it != std::filesystem::directory_iterator(); it.increment(ec)) {
      ++fds;
    }
    header(out, "process_open_fds", "gauge", "Open file descriptors.");
    sample(out, "process_open_fds", {}, static_cast<double>(fds));
    header(out, "process_start_time_seconds", "gauge", "Start time since the epoch in seconds.");
    sample(out, "process_start_time_seconds", {}, static_cast<double>(in.started_at) / 1000.0);
  }
  header(out, "muniscope_requests_total", "counter", "HTTP requests sent.");
  sample(out, "muniscope_requests_total", {}, static_cast<double>(in.counters.requests));
  header(out, "muniscope_rate_limit_waits_total", "counter",
         "429 answers plus times a host's budget held requests back.");
  sample(out, "muniscope_rate_limit_waits_total", {},
         static_cast<double>(in.counters.rate_limit_waits));
  header(out, "muniscope_skipped_polls_total", "counter",
         "Polls that came due while the previous one had not finished.");
  sample(out, "muniscope_skipped_polls_total", {}, static_cast<double>(in.counters.skipped_polls));
  header(out, "muniscope_posts_ingested_total", "counter",
         "Posts written to the store, new or updated.");
  sample(out, "muniscope_posts_ingested_total", {{"change", "new"}},
         static_cast<double>(in.counters.posts_new));
  sample(out, "muniscope_posts_ingested_total", {{"change", "updated"}},
         static_cast<double>(in.counters.posts_updated));
  header(out, "muniscope_accounts", "gauge", "Configured accounts by state.");
  for (const auto& [state, n] : in.summary.accounts_by_state)
    sample(out, "muniscope_accounts", {{"state", state}}, n);
  header(out, "muniscope_in_flight_requests", "gauge", "HTTP requests in flight.");
  sample(out, "muniscope_in_flight_requests", {}, in.summary.in_flight);
  header(out, "muniscope_host_rate_limit_remaining", "gauge",
         "Requests left in the current window per host (-1 unknown).");
  for (const auto& h : in.hosts)
    sample(out, "muniscope_host_rate_limit_remaining", {{"host", h.host}}, h.remaining);
  header(out, "muniscope_host_waiting", "gauge",
         "1 while a host's requests are held back by its rate limit.");
  for (const auto& h : in.hosts)
    sample(out, "muniscope_host_waiting", {{"host", h.host}}, h.wait_until ? 1 : 0);
  header(out, "muniscope_quota_units", "gauge",
         "Units a quota budget allows per period (YouTube: 10000 a day).");
  for (const auto& b : in.budgets)
    sample(out, "muniscope_quota_units", {{"budget", b.scope}, {"platform", b.platform}},
           static_cast<double>(b.units));
  header(out, "muniscope_quota_spent", "gauge", "Units spent in the budget's current period.");
  for (const auto& b : in.budgets)
    sample(out, "muniscope_quota_spent", {{"budget", b.scope}, {"platform", b.platform}},
           static_cast<double>(b.spent));
  header(out, "muniscope_quota_held", "gauge",
         "1 while the platform said the quota is spent and the budget waits for its reset.");
  for (const auto& b : in.budgets)
    sample(out, "muniscope_quota_held", {{"budget", b.scope}, {"platform", b.platform}},
           b.blocked_until && *b.blocked_until > in.now ? 1 : 0);
  header(out, "muniscope_store_size_bytes", "gauge",
         "Size of the SQLite store (database plus WAL).");
  sample(out, "muniscope_store_size_bytes", {}, static_cast<double>(in.store_bytes));
  header(out, "muniscope_config_last_reload_success", "gauge",
         "1 if the last configuration (re)load succeeded.");
  sample(out, "muniscope_config_last_reload_success", {}, in.last_reload_ok ? 1 : 0);
  header(out, "muniscope_config_last_reload_timestamp_seconds", "gauge",
         "Time of the last configuration (re)load attempt.");
  sample(out, "muniscope_config_last_reload_timestamp_seconds", {},
         static_cast<double>(in.last_reload_at) / 1000.0);
  header(out, "muniscope_start_time_seconds", "gauge", "Start time of the daemon.");
  sample(out, "muniscope_start_time_seconds", {}, static_cast<double>(in.started_at) / 1000.0);
  header(out, "muniscope_build_info", "gauge", "Build information.");
  sample(out, "muniscope_build_info", {{"version", in.version}}, 1);
  return out;
}

struct MetricsServer::Impl {
  httplib::Server server;
  std::mutex mu;
  std::string exposition;  // guarded by mu
};

MetricsServer::MetricsServer() : impl_(std::make_unique<Impl>()) {}
MetricsServer::~MetricsServer() { stop(); }

Status MetricsServer::start(const std::string& listen) {
  const size_t colon = listen.rfind(':');
  std::string host = listen.substr(0, colon);
  if (starts_with(host, "[") && ends_with(host, "]")) host = host.substr(1, host.size() - 2);
  const auto port = parse_int64(listen.substr(colon + 1));
  if (!port)
    return make_error(ErrorCode::kInvalidArgument, "metrics_listen: bad port in " + listen);
  impl_->server.Get("/metrics", [this](const httplib::Request&, httplib::Response& res) {
    std::lock_guard<std::mutex> lock(impl_->mu);
    res.set_content(impl_->exposition, "text/plain; version=0.0.4; charset=utf-8");
  });
  impl_->server.Get("/", [](const httplib::Request&, httplib::Response& res) {
    res.set_content("muniscope: metrics at /metrics\n", "text/plain");
  });
  if (*port == 0) {
    port_ = impl_->server.bind_to_any_port(host.c_str());
    if (port_ <= 0) return make_error(ErrorCode::kIo, "cannot bind metrics endpoint on " + listen);
  } else {
    if (!impl_->server.bind_to_port(host.c_str(), static_cast<int>(*port))) {
      return make_error(ErrorCode::kIo,
                        "cannot bind metrics endpoint on " + listen + " (address in use?)");
    }
    port_ = static_cast<int>(*port);
  }
  thread_ = std::thread([this] { impl_->server.listen_after_bind(); });
  return ok_status();
}

void MetricsServer::update(std::string exposition) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  impl_->exposition = std::move(exposition);
}

void MetricsServer::stop() {
  if (thread_.joinable()) {
    impl_->server.stop();
    thread_.join();
  }
}

Status write_metrics_file(const std::string& path, const std::string& exposition) {
  const std::string tmp = path + ".tmp." + std::to_string(getpid());
  {
    std::FILE* f = std::fopen(tmp.c_str(), "wb");
    if (f == nullptr) return make_error(ErrorCode::kIo, "cannot write " + tmp);
    const bool ok = std::fwrite(exposition.data(), 1, exposition.size(), f) == exposition.size();
    if (std::fclose(f) != 0 || !ok) {
      std::remove(tmp.c_str());
      return make_error(ErrorCode::kIo, "cannot write " + tmp);
    }
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    std::remove(tmp.c_str());
    return make_error(ErrorCode::kIo, "cannot rename " + tmp + " to " + path);
  }
  return Status();
}

}  // namespace muni
