// `muniscope run` as a process: readiness and status over sd_notify, the
// watchdog, SIGHUP reload (keeping the old config when the new one is broken),
// SIGTERM within five seconds, journald-style logs, and the Prometheus
// endpoint scraped and validated.
#include <doctest/doctest.h>

#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <map>
#include <mutex>
#include <regex>
#include <set>
#include <sstream>
#include <thread>

#include "child_process.h"
#include "loopback_server.h"
#include "core/strings.h"
#include "engine/curl_transport.h"
#include "test_support.h"

using namespace muni;
using namespace muni::test;

namespace {

std::string config_text(bool broken, int municipalities, const std::string& extra = "") {
  std::string t = "defaults:\n  contact: mailto:test@example.org\n  allow_private_addresses: true\n";
  if (broken) t += "  pol_interval: 1h\n";
  t += extra;
  t += "municipalities:\n";
  for (int i = 0; i < municipalities; ++i) {
    t += "  - id: m" + std::to_string(i) + "\n    name: M" + std::to_string(i) +
         "\n    ags: \"08231000\"\n    kind: kreisfreie Stadt\n    state: BW\n"
         "    accounts: [{platform: facebook, handle: stadt" +
         std::to_string(i) + "}]\n";
  }
  return t;
}

// A unix datagram socket standing in for systemd's NOTIFY_SOCKET. Like
// systemd it reads continuously: an unread datagram queue would block the
// sender once full (net.unix.max_dgram_qlen).
class NotifySocket {
 public:
  explicit NotifySocket(const std::string& path) : path_(path) {
    fd_ = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, path.c_str(), sizeof(addr.sun_path) - 1);
    REQUIRE(bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
    timeval tv{0, 100000};
    setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    reader_ = std::thread([this] {
      while (!stop_) {
        char buf[4096];
        const ssize_t n = recv(fd_, buf, sizeof buf - 1, 0);
        if (n > 0) {
          std::lock_guard<std::mutex> lock(mu_);
          messages_.emplace_back(buf, static_cast<size_t>(n));
        }
      }
    });
  }
  ~NotifySocket() {
    stop_ = true;
    reader_.join();
    close(fd_);
    unlink(path_.c_str());
  }
  bool wait_for(const std::string& needle, int timeout_ms) {
    const auto end = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    while (std::chrono::steady_clock::now() < end) {
      {
        std::lock_guard<std::mutex> lock(mu_);
        for (const auto& m : messages_) {
          if (m.find(needle) != std::string::npos) return true;
        }
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return false;
  }

 private:
  std::string path_;
  int fd_ = -1;
  std::atomic<bool> stop_{false};
  std::thread reader_;
  std::mutex mu_;
  std::vector<std::string> messages_;  // guarded by mu_
};

// Checks Prometheus text exposition format 0.0.4 line by line; returns the
// samples by name{labels}.
std::map<std::string, double> parse_prometheus(const std::string& text) {
  static const std::regex kSample(
      R"(^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{([a-zA-Z_][a-zA-Z0-9_]*="(\\.|[^"\\])*",?)*\})? (\S+)$)");
  static const std::regex kHelp(R"(^# HELP [a-zA-Z_:][a-zA-Z0-9_:]* .+$)");
  static const std::regex kType(
      R"(^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|histogram|summary|untyped)$)");
  std::map<std::string, double> samples;
  std::set<std::string> typed;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    std::smatch m;
    if (std::regex_match(line, m, kType)) {
      CHECK_MESSAGE(!typed.count(m[1].str()), "TYPE declared twice: " << line);
      typed.insert(m[1].str());
    } else if (std::regex_match(line, kHelp)) {
      continue;
    } else if (std::regex_match(line, m, kSample)) {
      CHECK_MESSAGE(typed.count(m[1].str()), "sample before its TYPE: " << line);
      const std::string value = m[m.size() - 1].str();
      const auto v = parse_double(value);
      CHECK_MESSAGE(v.has_value(), "value not a number: " << line);
      samples[line.substr(0, line.rfind(' '))] = v.value_or(0);
    } else {
      FAIL_CHECK("not Prometheus text format: '" << line << "'");
    }
  }
  return samples;
}

std::string http_get(const std::string& url) {
  CurlTransport t(loopback_transport());
  HttpRequest r;
  r.url = url;
  t.start(1, r);
  for (int i = 0; i < 50; ++i) {
    for (auto& c : t.poll(100)) return c.response.status == 200 ? c.response.body : "";
  }
  return "";
}

}  // namespace

TEST_CASE("daemon: READY, reload keeping the old config on errors, metrics, SIGTERM within 5 s") {
  TempDir dir;
  const std::string cfg = dir.file("muniscope.yaml");
  write_file(cfg, config_text(false, 1, "metrics_listen: 127.0.0.1:0\n"));
  NotifySocket notify(dir.file("notify.sock"));
  ChildProcess daemon(muniscope_binary(), {"run", "-c", cfg, "--db", dir.file("s.db")},
                      dir.file("log"),
                      {{"NOTIFY_SOCKET", dir.file("notify.sock")},
                       {"WATCHDOG_USEC", "400000"},
                       {"JOURNAL_STREAM", ""}});
  REQUIRE(daemon.wait_for_log("running", 5000));
  CHECK(notify.wait_for("READY=1", 2000));
  CHECK(
      notify.wait_for("STATUS=0 accounts ok, 0 backing off, 0 failing, 1 without connector", 2000));
  CHECK(notify.wait_for("WATCHDOG=1", 2000));
  // The unsupported (facebook) account is counted, not polled.
  const std::string log = daemon.log();
  std::smatch port;
  REQUIRE(std::regex_search(
      log, port, std::regex(R"(metrics endpoint on http://127\.0\.0\.1:(\d+)/metrics)")));
  const std::string metrics_url = "http://127.0.0.1:" + port[1].str() + "/metrics";

  // A broken config is reported loudly and the old one kept.
  size_t mark = daemon.log().size();
  write_file(cfg, config_text(true, 2, "metrics_listen: 127.0.0.1:0\n"));
  daemon.signal(SIGHUP);
  REQUIRE(daemon.wait_for_log("reload FAILED", 5000, mark));
  CHECK(daemon.log().find("pol_interval: unknown key", mark) != std::string::npos);
  CHECK(daemon.alive());
  auto samples = parse_prometheus(http_get(metrics_url));
  CHECK(samples["muniscope_config_last_reload_success"] == 0);
  CHECK(samples["muniscope_accounts{state=\"unsupported\"}"] == 1);
  // status (with a valid copy of the configuration: the file is broken)
  // says the daemon runs, and why the reload failed.
  {
    write_file(dir.file("valid.yaml"), config_text(false, 2, "metrics_listen: 127.0.0.1:0\n"));
    const auto st = run_muniscope("status -c " + dir.file("valid.yaml") + " --db " + dir.file("s.db"));
    INFO(st.out << st.err);
    CHECK(st.out.find("daemon: running, pid ") != std::string::npos);
    CHECK(st.out.find("last configuration load: failed ") != std::string::npos);
    CHECK(st.out.find("pol_interval: unknown key") != std::string::npos);
  }

  // A valid one is applied.
  mark = daemon.log().size();
  write_file(cfg, config_text(false, 2, "metrics_listen: 127.0.0.1:0\n"));
  daemon.signal(SIGHUP);
  REQUIRE(daemon.wait_for_log("configuration reloaded: 2 municipalities", 5000, mark));
  CHECK(notify.wait_for("RELOADING=1", 2000));

  const std::string text = http_get(metrics_url);
  samples = parse_prometheus(text);
  CHECK(samples.count("muniscope_build_info{version=\"" + std::string(MUNISCOPE_VERSION) + "\"}"));
  CHECK(samples.count("muniscope_store_size_bytes"));
  CHECK(samples["muniscope_store_size_bytes"] > 0);
  CHECK(samples.count("muniscope_requests_total"));
  CHECK(samples.count("muniscope_posts_ingested_total{change=\"new\"}"));
  // Labelled counters exist at 0 from the start; staleness and process metrics.
  CHECK(samples.count("muniscope_polls_total{platform=\"facebook\",outcome=\"rate_limited\"}"));
  CHECK(samples["muniscope_polls_total{platform=\"facebook\",outcome=\"rate_limited\"}"] == 0);
  CHECK(samples.count("muniscope_http_responses_total{platform=\"facebook\",class=\"5xx\"}"));
  CHECK(samples.count("muniscope_last_success_timestamp_seconds{platform=\"facebook\"}"));
  CHECK(samples["process_resident_memory_bytes"] > 0);
  CHECK(samples["process_open_fds"] > 0);
  CHECK(samples["process_start_time_seconds"] > 1.7e9);

  const auto t0 = std::chrono::steady_clock::now();
  daemon.signal(SIGTERM);
  CHECK_MESSAGE(daemon.wait_exit(5000) == 0, daemon.log());
  CHECK(std::chrono::steady_clock::now() - t0 < std::chrono::seconds(5));
  CHECK(notify.wait_for("STOPPING=1", 1000));
  CHECK(daemon.log().find("stopped") != std::string::npos);
  // The reload is on record in the store, for `muniscope status`.
  const auto st = run_muniscope("status -c " + cfg + " --db " + dir.file("s.db"));
  CHECK(st.exit_code == 0);
  CHECK(st.out.find("last configuration load: ok") != std::string::npos);
  CHECK(st.out.find("daemon: not running (last started ") != std::string::npos);
  CHECK(st.out.find("unsupported") != std::string::npos);
}

TEST_CASE("daemon: under journald, log lines carry a priority prefix and no timestamp") {
  TempDir dir;
  const std::string cfg = dir.file("muniscope.yaml");
  write_file(cfg, config_text(false, 1));
  ChildProcess daemon(muniscope_binary(), {"run", "-c", cfg, "--db", dir.file("s.db")},
                      dir.file("log"), {{"JOURNAL_STREAM", "8:12345"}});
  REQUIRE(daemon.wait_for_log("running", 5000));
  daemon.signal(SIGINT);
  CHECK(daemon.wait_exit(5000) == 0);
  const std::string log = daemon.log();
  CHECK(log.rfind("<6>daemon: ", 0) == 0);
  CHECK_FALSE(std::regex_search(log, std::regex(R"(\d{4}-\d{2}-\d{2} \d{2}:\d{2})")));
}

TEST_CASE("daemon: an invalid config at start exits 2 without touching the store") {
  TempDir dir;
  const std::string cfg = dir.file("bad.yaml");
  write_file(cfg, config_text(true, 1));
  ChildProcess daemon(muniscope_binary(), {"run", "-c", cfg, "--db", dir.file("s.db")},
                      dir.file("log"));
  CHECK(daemon.wait_exit(5000) == 2);
  CHECK(daemon.log().find(cfg + ":4:3: defaults.pol_interval") != std::string::npos);
  CHECK_FALSE(std::filesystem::exists(dir.file("s.db")));
}
