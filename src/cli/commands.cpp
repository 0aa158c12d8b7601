#include "cli/commands.h"

#include <algorithm>
#include <cstdio>
#include <map>

#include "cli/output.h"
#include "cli/progress.h"
#include "config/config.h"
#include "core/clock.h"
#include "core/json.h"
#include "core/platform.h"
#include "core/strings.h"
#include "core/text_safety.h"
#include "store/store.h"
#include "store/store_reads.h"

namespace muni {

namespace {

void print_issues(const ConfigLoad& load) {
  for (const auto& e : load.errors) std::fprintf(stderr, "error: %s\n", e.format().c_str());
  for (const auto& w : load.warnings) std::fprintf(stderr, "warning: %s\n", w.format().c_str());
}

// Loads the config for a query command; prints problems. nullopt on errors.
std::optional<Config> config_for(const CommonOptions& o) {
  ConfigLoad load = load_config(o.config_path);
  if (!load.config) {
    print_issues(load);
    std::fprintf(stderr, "muniscope: configuration %s is invalid\n", o.config_path.c_str());
    return std::nullopt;
  }
  return load.config;
}

// Opens the store a command works on; says why not on standard error.
Result<std::unique_ptr<Store>> open_store(const CommonOptions& o, const Config& config,
                                          OpenMode mode) {
  auto store = Store::open(store_path_for(&config, o.db_override), mode);
  if (!store.ok()) std::fprintf(stderr, "muniscope: %s\n", store.error().message.c_str());
  return store;
}

std::string time_cell(const std::optional<TimeMs>& t) { return t ? format_iso8601(*t) : ""; }

// "in 5m" / "3h ago" relative to now, for status tables.
std::string relative(const std::optional<TimeMs>& t, TimeMs now) {
  if (!t) return "";
  const DurationMs d = *t - now;
  if (d >= 0) return "in " + format_duration(d - d % 1000);
  return format_duration((-d) - (-d) % 1000) + " ago";
}

// Whether a daemon works on this store now, from the store's meta "daemon"
// ("PID STARTED", written at start): running if that process still exists
// and is muniscope.
struct DaemonPresence {
  bool ever_started = false;
  bool running = false;
  std::string pid, since;
  std::optional<TimeMs> started;
};

DaemonPresence daemon_presence(Store& store) {
  DaemonPresence d;
  auto meta = store.get_meta("daemon");
  if (!meta.ok() || !meta->has_value()) return d;
  const std::string& v = **meta;
  d.ever_started = true;
  d.pid = v.substr(0, v.find(' '));
  d.since = v.find(' ') == std::string::npos ? "" : v.substr(v.find(' ') + 1);
  d.started = parse_iso8601(d.since);
  const auto comm = read_file_text("/proc/" + d.pid + "/comm");
  d.running = comm && trim(*comm) == "muniscope" && d.started;
  return d;
}

// Without a daemon, the times an account shows are what the last run
// planned, and nothing acts on them: "15m ago (overdue; daemon not running)".
std::string planned_time(const std::optional<TimeMs>& t, TimeMs now, bool daemon_running) {
  if (!t || daemon_running) return relative(t, now);
  return relative(t, now) +
         (*t <= now ? " (overdue; daemon not running)" : " (daemon not running)");
}

// The engine ends a transient failure's reason with " (retry in 22s)",
// counted from the failure (src/engine, the account outcome). Read with no
// daemon running, that promise is stale: say when the retry was due instead.
std::string reason_without_daemon(const std::string& reason, const std::optional<TimeMs>& retry_at,
                                  TimeMs now) {
  const size_t pos = reason.rfind(" (retry in ");
  if (pos == std::string::npos || reason.back() != ')') return reason;
  std::string out = reason.substr(0, pos);
  if (!retry_at) return out + " (retry planned by the last run; daemon not running)";
  return out + (*retry_at <= now ? " (retry was due " : " (retry due ") + relative(retry_at, now) +
         "; daemon not running)";
}

int print_table(const Table& t, const std::string& format) {
  auto f = parse_output_format(format);
  if (!f.ok()) {
    std::fprintf(stderr, "muniscope: %s\n", f.error().message.c_str());
    return 2;
  }
  write_stdout(t.render(*f));
  return 0;
}

}  // namespace

int cmd_check_config(const std::string& path) {
  const ConfigLoad load = load_config(path);
  print_issues(load);
  if (!load.config) {
    std::fprintf(stderr, "%s: INVALID (%zu error(s))\n", path.c_str(), load.errors.size());
    return 2;
  }
  const Config& c = *load.config;
  std::map<std::string, int> by_platform;
  std::map<std::string, int> by_kind;
  for (const auto& m : c.municipalities) {
    ++by_kind[std::string(municipality_kind_label(m.kind))];
    for (const auto& a : m.accounts) ++by_platform[a.platform];
  }
  std::printf("%s: OK (%zu file(s))\n", path.c_str(), c.files.size());
  std::printf("  municipalities: %zu", c.municipalities.size());
  const char* sep = " (";
  for (const auto& [k, n] : by_kind) {
    std::printf("%s%s %d", sep, k.c_str(), n);
    sep = ", ";
  }
  std::printf("%s\n", c.municipalities.empty() ? "" : ")");
  std::printf("  accounts: %zu", c.account_count());
  sep = " (";
  for (const auto& [p, n] : by_platform) {
    std::printf("%s%s %d", sep, p.c_str(), n);
    sep = ", ";
  }
  std::printf("%s\n", by_platform.empty() ? "" : ")");
  size_t proposed = 0;
  for (const auto& m : c.municipalities) proposed += m.proposed_accounts.size();
  if (proposed > 0)
    std::printf(
        "  proposed accounts: %zu (not polled until confirmed: remove `status: proposed`)\n",
        proposed);
  std::printf("  store: %s\n", c.resolved_store_path().c_str());
  std::printf("  timezone: %s\n", c.defaults.timezone.c_str());
  std::printf("  user agent: %s\n", c.effective_user_agent().c_str());
  std::printf("  poll interval: %s\n", format_duration(c.defaults.poll_interval_ms).c_str());
  if (!c.metrics_listen.empty())
    std::printf("  metrics endpoint: http://%s/metrics\n", c.metrics_listen.c_str());
  return 0;
}

int cmd_municipalities(const CommonOptions& o) {
  auto config = config_for(o);
  if (!config) return 2;
  Table t(
      {{"id"}, {"name"}, {"ags"}, {"kind"}, {"state"}, {"population"}, {"accounts"}, {"labels"}});
  for (const auto& m : config->municipalities) {
    std::string labels;
    for (const auto& l : m.labels) labels += (labels.empty() ? "" : ",") + l;
    t.add_row({m.id, m.name, m.ags, std::string(municipality_kind_label(m.kind)), m.state,
               cell(m.population), static_cast<int64_t>(m.accounts.size()), cell(labels)});
  }
  return print_table(t, o.format);
}

int cmd_account_history(const CommonOptions& o, const std::string& ref) {
  auto config = config_for(o);
  if (!config) return 2;
  auto store = open_store(o, *config, OpenMode::kReadOnly);
  if (!store.ok()) return 1;
  auto account = (*store)->find_account(ref);
  if (!account.ok()) {
    std::fprintf(stderr, "muniscope: %s\n", account.error().message.c_str());
    return account.error().code == ErrorCode::kNotFound ? 1 : 2;
  }
  // Who the account is now, then what changed over time.
  std::fprintf(
      stderr, "%s: platform id %s, handle now %s%s%s\n", account->account_key.c_str(),
      account->platform_id.empty() ? "unknown" : account->platform_id.c_str(),
      account->current_handle.empty() ? account->handle.c_str() : account->current_handle.c_str(),
      account->display_name.empty() ? "" : ", name ",
      printable(account->display_name, 120).c_str());
  auto events = account_events(**store, account->id);
  if (!events.ok()) {
    std::fprintf(stderr, "muniscope: %s\n", events.error().message.c_str());
    return 1;
  }
  Table t({{"observed_at"}, {"event"}, {"detail"}});
  for (const AccountEventRow& e : *events)
    t.add_row({format_iso8601(e.observed_at), e.kind, printable(e.detail, 400)});
  if (t.size() == 0 && o.format == "table") {
    std::fputs("no identity events recorded (no rename, move or change of id seen)\n", stdout);
    return 0;
  }
  return print_table(t, o.format);
}

int cmd_accounts(const CommonOptions& o, const std::string& municipality,
                 const std::string& platform) {
  if (!platform.empty() && find_platform(platform) == nullptr) {
    std::fprintf(stderr, "muniscope: %s\n", unknown_platform_message(platform).c_str());
    return 2;
  }
  auto config = config_for(o);
  if (!config) return 2;
  // State comes from the store when there is one; a fresh install lists the
  // configured accounts as never polled.
  std::map<std::string, StoredAccount> stored;
  auto store = Store::open(store_path_for(&*config, o.db_override), OpenMode::kReadOnly);
  if (store.ok()) {
    if (auto rows = (*store)->load_accounts(false); rows.ok()) {
      for (auto& a : *rows) stored[a.account_key] = std::move(a);
    } else {
      std::fprintf(stderr, "warning: %s; states are not shown\n", rows.error().message.c_str());
    }
  } else if (store.error().code != ErrorCode::kNotFound) {
    // A fresh install has no store yet (every account "never polled"); any
    // other reason is worth saying.
    std::fprintf(stderr, "warning: %s; states are not shown\n", store.error().message.c_str());
  }
  Table t({{"id"},
           {"municipality"},
           {"platform"},
           {"category"},
           {"handle"},
           {"role"},
           {"state"},
           {"followers"},
           {"posts_stored"},
           {"backfill"},
           {"last_success"}});
  for (const auto& m : config->municipalities) {
    if (!municipality.empty() && m.id != municipality) continue;
    for (const auto& a : m.accounts) {
      if (!platform.empty() && a.platform != platform) continue;
      const PlatformDescriptor* info = find_platform(a.platform);
      const auto it = stored.find(a.key());
      Cell id, state = std::string("never polled"), posts, backfill, last, followers;
      if (it != stored.end()) {
        const StoredAccount& s = it->second;
        id = s.id;
        state = std::string(s.state_id());
        posts = s.own_posts_stored;
        backfill = std::string(backfill_state_id(s.backfill_state));
        last = cell(time_cell(s.runtime.last_success_at));
        if (auto f = latest_followers(**store, s.id); f.ok() && *f) followers = **f;
      }
      t.add_row({id, m.id, a.platform, std::string(info ? category_id(info->category) : ""),
                 a.handle, cell(a.role), state, followers, posts, backfill, last});
    }
  }
  return print_table(t, o.format);
}

// How far comment backfill is for an account whose platform shows comments
// ("120 of 200 items, 80 due"): items of the history horizon whose comments
// were read at least once, and those never read or not read within the
// re-sweep interval. Empty for platforms without comments.
Cell comment_progress_cell(Store& store, const Config& config, const StoredAccount& a,
                           TimeMs now) {
  const PlatformDescriptor* info = find_platform(a.platform);
  if (info == nullptr || !info->capabilities.comments) return Cell();
  const PlatformSettings* ps = config.platform(a.platform);
  const DurationMs resweep = ps != nullptr && ps->comment_resweep_interval
                                 ? *ps->comment_resweep_interval
                                 : config.defaults.comment_resweep_interval_ms;
  const std::optional<CivilDate> from =
      a.backfill_since ? a.backfill_since : config.defaults.backfill_since;
  const TimeMs since = from ? days_from_civil(*from) * kDayMs : 0;
  auto p = store.comment_progress(a.id, since, now - resweep);
  if (!p.ok()) return Cell();
  std::string text = std::to_string(p->swept) + " of " + std::to_string(p->items) + " items";
  if (p->due > 0) text += ", " + std::to_string(p->due) + " due";
  return Cell(text);
}

int cmd_status(const CommonOptions& o) {
  auto config = config_for(o);
  if (!config) return 2;
  auto store = open_store(o, *config, OpenMode::kReadOnly);
  if (!store.ok()) return 1;
  auto accounts = (*store)->load_accounts(true);
  if (!accounts.ok()) {
    std::fprintf(stderr, "muniscope: %s\n", accounts.error().message.c_str());
    return 1;
  }
  const TimeMs now = SystemClock().now();
  auto format = parse_output_format(o.format);
  if (!format.ok()) {
    std::fprintf(stderr, "muniscope: %s\n", format.error().message.c_str());
    return 2;
  }
  const bool table = *format == OutputFormat::kTable;
  const DaemonPresence daemon = daemon_presence(**store);
  Table t({{"id"},
           {"account"},
           {"state"},
           {"last_success"},
           {"next_due"},
           {"skipped"},
           {"comments_read"},
           {"last_error"}});
  for (const StoredAccount& a : *accounts) {
    const AccountRuntime& rt = a.runtime;
    const bool error_state = rt.state != AccountState::kOk && rt.state != AccountState::kPending;
    // Machine formats carry absolute times, true whether or not a daemon
    // runs; the table's relative ones say when nothing will act on them.
    std::string reason = error_state ? rt.state_reason : std::string();
    if (table && !daemon.running) reason = reason_without_daemon(reason, rt.backoff_until, now);
    t.add_row({a.id, a.municipality_id + "/" + a.account_key, std::string(a.state_id()),
               cell(table ? relative(rt.last_success_at, now) : time_cell(rt.last_success_at)),
               cell(table ? planned_time(rt.next_due_at, now, daemon.running)
                          : time_cell(rt.next_due_at)),
               rt.skipped_polls, comment_progress_cell(**store, *config, a, now), cell(reason)});
  }
  Table h({{"host"},
           {"platform"},
           {"budget"},
           {"remaining"},
           {"window"},
           {"source"},
           {"resets"},
           {"waiting_until"},
           {"in_flight"},
           {"queued"},
           {"requests"},
           {"http_429"}});
  auto hosts = (*store)->load_hosts();
  if (hosts.ok()) {
    for (const HostStatusRow& r : *hosts) {
      h.add_row({r.host, r.platform, r.limit > 0 ? Cell(static_cast<int64_t>(r.limit)) : Cell(),
                 r.remaining >= 0 ? Cell(static_cast<int64_t>(r.remaining)) : Cell(),
                 cell(r.window_ms > 0 ? format_duration(r.window_ms) : std::string()),
                 r.budget_source, cell(table ? relative(r.reset_at, now) : time_cell(r.reset_at)),
                 cell(table ? relative(r.wait_until, now) : time_cell(r.wait_until)),
                 static_cast<int64_t>(r.in_flight), static_cast<int64_t>(r.queued),
                 r.requests_total, r.rate_limited_total});
    }
  }
  // Quota budgets (YouTube's daily units and the like): what is spent, what
  // is left, when the next period starts, and whether the platform said stop.
  Table b({{"budget"},
           {"platform"},
           {"policy"},
           {"units"},
           {"spent"},
           {"remaining"},
           {"resets"},
           {"held_until"}});
  if (auto budgets = (*store)->load_budgets(); budgets.ok()) {
    for (const BudgetRow& r : *budgets) {
      const bool held = r.blocked_until && *r.blocked_until > now;
      b.add_row({r.scope, r.platform, r.policy, r.units, r.spent,
                 held ? Cell(int64_t{0}) : Cell(std::max<int64_t>(0, r.units - r.spent)),
                 cell(table ? relative(r.next_reset, now) : time_cell(r.next_reset)),
                 cell(!held   ? std::string()
                      : table ? relative(r.blocked_until, now)
                              : time_cell(r.blocked_until))});
    }
  }
  if (!table) {
    // Machine formats: accounts first; hosts with --format and a second call
    // would be clumsy, so JSON carries all three, CSV the accounts only.
    if (*format == OutputFormat::kJson) {
      // "daemon" says whether the next_due and backoff times are being acted on.
      const std::string d =
          std::string("{\"running\":") + (daemon.running ? "true" : "false") +
          ",\"pid\":" + (daemon.ever_started ? json_escape(daemon.pid) : "null") +
          ",\"started\":" + (daemon.ever_started ? json_escape(daemon.since) : "null") + "}";
      std::printf("{\"accounts\":%s,\"hosts\":%s,\"budgets\":%s,\"daemon\":%s}\n",
                  t.render_json().c_str(), h.render_json().c_str(), b.render_json().c_str(),
                  d.c_str());
      return 0;
    }
    write_stdout(t.render(*format));
    return 0;
  }
  std::map<std::string, int> by_state;
  for (const auto& a : *accounts) ++by_state[std::string(a.state_id())];
  std::printf("accounts: %zu", accounts->size());
  for (const auto& [st, n] : by_state) std::printf(", %s %d", st.c_str(), n);
  std::printf("\n");
  if (daemon.running) {
    const DurationMs up = now - *daemon.started;
    std::printf("daemon: running, pid %s, up %s (since %s)\n", daemon.pid.c_str(),
                format_duration(up - up % 1000).c_str(), daemon.since.c_str());
  } else {
    if (daemon.ever_started) {
      std::printf("daemon: not running (last started %s as pid %s)\n", daemon.since.c_str(),
                  daemon.pid.c_str());
    } else {
      std::printf("daemon: never started on this store\n");
    }
    // The times a run leaves behind (poll --once records them too) read
    // like live plans; say whose they are.
    const bool plans = std::any_of(accounts->begin(), accounts->end(), [](const StoredAccount& a) {
      return a.runtime.next_due_at || a.runtime.backoff_until;
    });
    if (plans) {
      std::printf(
          "        next_due and retry times below are the plans of the last run; nothing polls "
          "until the daemon runs\n");
    }
  }
  if (auto reload = (*store)->get_meta("config_reload"); reload.ok() && reload->has_value()) {
    std::printf("last configuration load: %s\n", (*reload)->c_str());
  }
  std::printf("\n%s", t.render_table().c_str());
  // What an account's history can and cannot hold (a feed's newest entries
  // only; YouTube without an API key): said once per reason.
  std::map<std::string, std::vector<std::string>> notes;
  for (const StoredAccount& a : *accounts) {
    if (a.backfill_state == BackfillState::kIncomplete && !a.history_note.empty())
      notes[a.history_note].push_back(a.municipality_id + "/" + a.account_key);
  }
  if (!notes.empty()) std::printf("\nhistory notes:\n");
  for (const auto& [note, who] : notes) {
    std::printf("  %s\n    %s%s\n", note.c_str(), who.front().c_str(),
                who.size() > 1 ? (" and " + std::to_string(who.size() - 1) + " more").c_str() : "");
  }
  if (h.size() > 0) {
    std::printf("\nhosts (%s):\n%s",
                daemon.running ? "rate-limit budgets in force"
                               : "rate-limit budgets as the last run left them",
                h.render_table().c_str());
  }
  if (b.size() > 0)
    std::printf("\nquota budgets (units per period; see docs/platforms.md):\n%s",
                b.render_table().c_str());
  return 0;
}

int cmd_store_compact(const CommonOptions& o) {
  auto config = config_for(o);
  if (!config) return 2;
  auto store = open_store(o, *config, OpenMode::kReadWrite);
  if (!store.ok()) return 1;
  // In steps, so that a terminal sees how far it is on a large store.
  SystemClock clock;
  RetentionPass pass(config->retention, clock.now());
  ProgressLine progress(clock, stderr, "store compact", "%", 100);
  while (!pass.done()) {
    if (auto st = (*store)->retention_step(pass, 200'000); !st.ok()) {
      progress.clear();
      std::fprintf(stderr, "muniscope: %s\n", st.error().message.c_str());
      return 1;
    }
    progress.update(pass.percent_done(), pass.phase_name());
  }
  progress.clear();
  const RetentionSummary* r = &pass.summary();
  std::printf(
      "removed %lld engagement samples, %lld account samples and %lld poll log rows; store %lld "
      "-> %lld bytes\n",
      static_cast<long long>(r->engagement_samples_deleted),
      static_cast<long long>(r->account_samples_deleted),
      static_cast<long long>(r->poll_log_deleted), static_cast<long long>(r->bytes_before),
      static_cast<long long>(r->bytes_after));
  return 0;
}

int cmd_store_backup(const CommonOptions& o, const std::string& destination) {
  auto config = config_for(o);
  if (!config) return 2;
  auto store = open_store(o, *config, OpenMode::kReadOnly);
  if (!store.ok()) return 1;
  if (auto st = (*store)->backup_to(destination); !st.ok()) {
    std::fprintf(stderr, "muniscope: %s\n", st.error().message.c_str());
    return 1;
  }
  std::printf("backup written to %s\n", destination.c_str());
  return 0;
}

int cmd_store_info(const CommonOptions& o) {
  auto config = config_for(o);
  if (!config) return 2;
  const std::string path = store_path_for(&*config, o.db_override);
  auto store = Store::open(path, OpenMode::kReadOnly);
  if (!store.ok()) {
    std::fprintf(stderr, "muniscope: %s\n", store.error().message.c_str());
    return 1;
  }
  auto counts = table_row_counts(**store);
  if (!counts.ok()) {
    std::fprintf(stderr, "muniscope: %s\n", counts.error().message.c_str());
    return 1;
  }
  Table t({{"item"}, {"value"}});
  t.add_row({std::string("path"), path});
  t.add_row({std::string("schema version"), static_cast<int64_t>((*store)->schema_version())});
  t.add_row({std::string("size (bytes)"), (*store)->file_size_bytes()});
  for (const auto& [table, n] : *counts) t.add_row({table + " rows", n});
  return print_table(t, o.format);
}

}  // namespace muni
