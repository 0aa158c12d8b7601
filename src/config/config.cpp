#include "config/config.h"

#include <glob.h>
#include <limits>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <set>

#include "config/yaml_reader.h"
#include "core/strings.h"
#include "core/tz.h"

namespace muni {

const char* const kMuniscopeVersion = MUNISCOPE_VERSION;

std::string ConfigIssue::format() const {
  std::string out = file;
  if (line > 0) out += ":" + std::to_string(line) + ":" + std::to_string(column);
  out += ": ";
  if (!key.empty()) out += key + ": ";
  out += message;
  return out;
}

bool looks_like_secret(std::string_view name) {
  // Environment variable names are, by convention, upper-case words
  // (YOUTUBE_API_KEY). A long mixed-case or digit-heavy token, or one with a
  // well-known secret prefix, is most likely the secret itself written where
  // its variable's name belongs.
  static const char* const kPrefixes[] = {"ghp_", "gho_", "github_pat_", "xox", "AIza", "EAA",
                                          "sk-", "glpat-", "ya29."};
  for (const char* p : kPrefixes) {
    if (starts_with(name, p)) return true;
  }
  if (name.size() > 64) return true;
  int lower = 0, digits = 0;
  for (const char c : name) {
    if (c >= 'a' && c <= 'z') ++lower;
    if (c >= '0' && c <= '9') ++digits;
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_')) return true;
  }
  return name.size() >= 20 && lower > 0 && digits > 0;
}

std::string CredentialRef::describe() const {
  switch (kind) {
    case Kind::kNone:
      return "none";
    case Kind::kEnv:
      return looks_like_secret(name) ? "env (name not shown: it looks like a secret)" : "env " + name;
    case Kind::kFile:
      return "file " + name;
    case Kind::kInline:
      return "inline value (not recommended)";
  }
  return "none";
}

std::string Config::effective_user_agent() const {
  if (!defaults.user_agent.empty()) return defaults.user_agent;
  return std::string("muniscope/") + kMuniscopeVersion + " (+" + defaults.contact + ")";
}

const PlatformSettings* Config::platform(const std::string& id) const {
  const auto it = platforms.find(id);
  return it == platforms.end() ? nullptr : &it->second;
}

std::string Config::resolved_store_path() const {
  if (!store_path.empty()) return store_path;
  // systemd's StateDirectory= sets STATE_DIRECTORY for the service.
  if (const char* dir = std::getenv("STATE_DIRECTORY"); dir != nullptr && *dir != '\0') {
    std::string d(dir);
    const size_t colon = d.find(':');  // several directories are ':'-separated
    if (colon != std::string::npos) d = d.substr(0, colon);
    return d + "/muniscope.db";
  }
  return "var/muniscope.db";
}

size_t Config::account_count() const {
  size_t n = 0;
  for (const auto& m : municipalities) n += m.accounts.size();
  return n;
}

Result<std::string> read_credential(const CredentialRef& ref) {
  switch (ref.kind) {
    case CredentialRef::Kind::kNone:
      return make_error(ErrorCode::kNotFound, "no credential configured");
    case CredentialRef::Kind::kInline:
      return ref.inline_value;
    case CredentialRef::Kind::kEnv: {
      const char* v = std::getenv(ref.name.c_str());
      if (v == nullptr || *v == '\0') {
        if (looks_like_secret(ref.name)) {
          // Never echo it: it is most likely the secret itself.
          return make_error(ErrorCode::kNotFound,
                            "the environment variable named in credential.env is not set; the "
                            "name looks like a secret itself (not shown): put the secret into "
                            "the environment and its variable's name into the configuration");
        }
        return make_error(ErrorCode::kNotFound, "environment variable " + ref.name + " is not set");
      }
      return std::string(trim(v));
    }
    case CredentialRef::Kind::kFile: {
      std::string path = ref.name;
      if (!path.empty() && path[0] != '/') {
        // systemd LoadCredential= puts files into $CREDENTIALS_DIRECTORY.
        if (const char* dir = std::getenv("CREDENTIALS_DIRECTORY");
            dir != nullptr && *dir != '\0') {
          path = std::string(dir) + "/" + path;
        }
      }
      const auto text = read_input_file(path, 64 * 1024);
      if (!text)
        return make_error(ErrorCode::kNotFound,
                          "credential file cannot be read: " + text.error().message);
      const std::string value(trim(*text));
      if (value.empty())
        return make_error(ErrorCode::kNotFound, "credential file " + path + " is empty");
      return value;
    }
  }
  return make_error(ErrorCode::kInternal, "unknown credential kind");
}

namespace {

// Reads one file's worth of YAML into the Config, collecting issues.
class Loader {
 public:
  explicit Loader(ConfigLoad& out) : out_(out) {}

  void load_main(const YAML::Node& root, const std::string& file) {
    Config& cfg = config_;
    cfg.files.push_back(file);
    // The main file counts as included: a file that includes itself is
    // reported as such, not read a second time as an include.
    std::error_code ec;
    seen_files_.insert(std::filesystem::weakly_canonical(file, ec).string());
    if (!root || root.IsNull()) {
      issue(file, root, "", "the file is empty; see config/example.yaml for a starting point");
      return;
    }
    if (!root.IsMap()) {
      issue(file, root, "", "the top level must be a mapping of keys");
      return;
    }
    check_keys(file, root, "",
               {"include", "store", "defaults", "metrics", "platforms", "municipalities",
                "metrics_listen", "metrics_listen_allow_remote", "log"});
    if (const auto n = root["store"]) read_store(file, n);
    if (const auto n = root["defaults"]) read_defaults(file, n);
    if (const auto n = root["metrics"]) read_metrics(file, n);
    if (const auto n = root["platforms"]) read_platforms(file, n);
    if (const auto n = root["metrics_listen"])
      cfg.metrics_listen = scalar(file, n, "metrics_listen");
    if (const auto n = root["metrics_listen_allow_remote"]) {
      cfg.metrics_listen_allow_remote = boolean(file, n, "metrics_listen_allow_remote");
    }
    if (const auto n = root["log"]) {
      if (expect_map(file, n, "log")) {
        check_keys(file, n, "log", {"level"});
        if (const auto l = n["level"]) {
          cfg.log_level = to_lower_ascii(scalar(file, l, "log.level"));
          static const std::set<std::string> kLevels = {"trace", "debug",    "info", "warn",
                                                        "error", "critical", "off"};
          if (!kLevels.count(cfg.log_level)) {
            issue(file, l, "log.level",
                  "must be one of trace, debug, info, warn, error, critical, off");
          }
        }
      }
    }
    if (const auto n = root["municipalities"]) read_municipalities(file, n);
    if (const auto n = root["include"]) read_includes(file, n);
    validate_globals(file, root);
  }

  Config take() { return std::move(config_); }

 private:
  ConfigLoad& out_;
  Config config_;
  std::set<std::string> seen_files_;
  std::map<std::string, std::pair<std::string, int>> municipality_ids_;  // id -> (file, line)
  std::map<std::string, std::pair<std::string, int>> account_keys_;
  // Accounts' credential slots, checked once every platform section is read
  // (includes come after the main file's platforms:).
  struct SlotUse {
    std::string file;
    YAML::Node node;
    std::string path, platform, slot;
  };
  std::vector<SlotUse> pending_slots_;

  static int line_of(const YAML::Node& n) { return YamlReader::line_of(n); }
  static std::string child_path(const std::string& parent, const std::string& key) {
    return YamlReader::child_path(parent, key);
  }

  // The configuration spans several files; each helper reads with the
  // position of `file`.
  YamlReader reader(const std::string& file) {
    return YamlReader(file, out_.errors, &out_.warnings);
  }
  void issue(const std::string& file, const YAML::Node& at, const std::string& key,
             const std::string& msg) {
    reader(file).error(at, key, msg);
  }
  void warn(const std::string& file, const YAML::Node& at, const std::string& key,
            const std::string& msg) {
    reader(file).warn(at, key, msg);
  }
  void check_keys(const std::string& file, const YAML::Node& map, const std::string& path,
                  const std::vector<std::string_view>& allowed) {
    reader(file).check_keys(map, path, allowed);
  }
  bool expect_map(const std::string& file, const YAML::Node& n, const std::string& path) {
    return reader(file).expect_map(n, path);
  }
  // "" after reporting, so a broken value never stops the rest of the file
  // from being checked.
  std::string scalar(const std::string& file, const YAML::Node& n, const std::string& path) {
    return reader(file).scalar(n, path).value_or("");
  }
  bool boolean(const std::string& file, const YAML::Node& n, const std::string& path) {
    return reader(file).boolean(n, path).value_or(false);
  }
  std::optional<int64_t> integer(const std::string& file, const YAML::Node& n,
                                 const std::string& path, int64_t min, int64_t max) {
    return reader(file).integer(n, path, min, max);
  }
  std::optional<DurationMs> duration(const std::string& file, const YAML::Node& n,
                                     const std::string& path, DurationMs min = kSecondMs) {
    return reader(file).duration(n, path, min);
  }
  // An optional duration key of `parent` (a map at `path`): overwrites
  // `target` when the key is present and valid, keeps the default otherwise.
  void optional_duration(const std::string& file, const YAML::Node& parent, const std::string& path,
                         const char* key, DurationMs min, DurationMs& target) {
    if (const auto v = parent[key])
      target = duration(file, v, path + "." + key, min).value_or(target);
  }
  std::optional<CivilDate> date(const std::string& file, const YAML::Node& n,
                                const std::string& path) {
    return reader(file).date(n, path);
  }

  void read_store(const std::string& file, const YAML::Node& n) {
    if (!expect_map(file, n, "store")) return;
    check_keys(file, n, "store", {"path", "retention"});
    if (const auto p = n["path"]) config_.store_path = scalar(file, p, "store.path");
    if (const auto r = n["retention"]) {
      if (!expect_map(file, r, "store.retention")) return;
      check_keys(file, r, "store.retention", {"keep_all", "daily_until", "poll_log", "run_every"});
      auto& ret = config_.retention;
      optional_duration(file, r, "store.retention", "keep_all", kDayMs, ret.keep_all_ms);
      optional_duration(file, r, "store.retention", "daily_until", kDayMs, ret.daily_until_ms);
      optional_duration(file, r, "store.retention", "poll_log", kDayMs, ret.poll_log_keep_ms);
      optional_duration(file, r, "store.retention", "run_every", kMinuteMs, ret.run_interval_ms);
      if (ret.daily_until_ms < ret.keep_all_ms) {
        issue(file, r, "store.retention", "daily_until must not be shorter than keep_all");
      }
    }
  }

  void read_defaults(const std::string& file, const YAML::Node& n) {
    if (!expect_map(file, n, "defaults")) return;
    check_keys(
        file, n, "defaults",
        {"poll_interval", "backfill", "timezone", "contact", "user_agent", "refresh_interval",
         "refresh_window", "recheck_interval", "not_found_confirmations", "max_backoff",
         "connect_timeout", "request_timeout", "max_response_bytes", "max_connections_per_host",
         "allow_private_addresses", "comment_resweep_interval"});
    Defaults& d = config_.defaults;
    optional_duration(file, n, "defaults", "poll_interval", kMinuteMs, d.poll_interval_ms);
    if (const auto v = n["backfill"]) {
      if (expect_map(file, v, "defaults.backfill")) {
        check_keys(file, v, "defaults.backfill", {"since"});
        if (const auto s = v["since"]) {
          const std::string text = scalar(file, s, "defaults.backfill.since");
          if (text != "all" && text != "first_post")
            d.backfill_since = date(file, s, "defaults.backfill.since");
        }
      }
    }
    if (const auto v = n["timezone"]) {
      d.timezone = scalar(file, v, "defaults.timezone");
      if (auto tz = TimeZone::load(d.timezone); !tz.ok())
        issue(file, v, "defaults.timezone", tz.error().message);
    }
    if (const auto v = n["contact"])
      d.contact = std::string(trim(scalar(file, v, "defaults.contact")));
    // The person running muniscope may give their address without editing
    // the file (make run CONTACT=...).
    if (const char* env = std::getenv("MUNISCOPE_CONTACT"); env != nullptr && *env != '\0')
      d.contact = std::string(trim(env));
    if (const auto v = n["user_agent"])
      d.user_agent = std::string(trim(scalar(file, v, "defaults.user_agent")));
    optional_duration(file, n, "defaults", "refresh_interval", kMinuteMs, d.refresh_interval_ms);
    optional_duration(file, n, "defaults", "refresh_window", kHourMs, d.refresh_window_ms);
    optional_duration(file, n, "defaults", "recheck_interval", kMinuteMs, d.recheck_interval_ms);
    optional_duration(file, n, "defaults", "comment_resweep_interval", kHourMs,
                      d.comment_resweep_interval_ms);
    if (const auto v = n["not_found_confirmations"]) {
      d.not_found_confirmations = static_cast<int>(
          integer(file, v, "defaults.not_found_confirmations", 1, 100).value_or(2));
    }
    optional_duration(file, n, "defaults", "max_backoff", kSecondMs, d.max_backoff_ms);
    optional_duration(file, n, "defaults", "connect_timeout", 100, d.connect_timeout_ms);
    optional_duration(file, n, "defaults", "request_timeout", kSecondMs, d.request_timeout_ms);
    if (const auto v = n["max_response_bytes"]) {
      d.max_response_bytes = integer(file, v, "defaults.max_response_bytes", 1024, int64_t{1} << 32)
                                 .value_or(d.max_response_bytes);
    }
    if (const auto v = n["max_connections_per_host"]) {
      d.max_connections_per_host = static_cast<int>(
          integer(file, v, "defaults.max_connections_per_host", 1, 256).value_or(4));
    }
    if (const auto v = n["allow_private_addresses"])
      d.allow_private_addresses = boolean(file, v, "defaults.allow_private_addresses");
  }

  void read_metrics(const std::string& file, const YAML::Node& n) {
    if (!expect_map(file, n, "metrics")) return;
    check_keys(file, n, "metrics", {"dormant_after", "min_coverage", "office_hours"});
    MetricsSettings& m = config_.metrics;
    optional_duration(file, n, "metrics", "dormant_after", kDayMs, m.dormant_after_ms);
    if (const auto v = n["min_coverage"]) {
      auto d = parse_double(scalar(file, v, "metrics.min_coverage"));
      if (!d || *d < 0 || *d > 1) {
        issue(file, v, "metrics.min_coverage", "must be a share between 0 and 1, e.g. 0.8");
      } else {
        m.min_coverage = *d;
      }
    }
    if (const auto v = n["office_hours"]) {
      // "08-18": local hours, Monday to Friday.
      const std::string text = scalar(file, v, "metrics.office_hours");
      const auto parts = split(text, '-');
      std::optional<int64_t> a, b;
      if (parts.size() == 2) {
        a = parse_int64(parts[0]);
        b = parse_int64(parts[1]);
      }
      if (!a || !b || *a < 0 || *b > 24 || *a >= *b) {
        issue(file, v, "metrics.office_hours", "must be a range of local hours such as 08-18");
      } else {
        m.office_start_hour = static_cast<int>(*a);
        m.office_end_hour = static_cast<int>(*b);
      }
    }
  }

  void read_credential(const std::string& file, const YAML::Node& n, const std::string& path,
                       CredentialRef& ref) {
    if (n.IsScalar()) {
      ref.kind = CredentialRef::Kind::kInline;
      ref.inline_value = n.Scalar();
      warn(file, n, path,
           "a secret is written inline in the config file; use {env: VARIABLE} or {file: PATH} "
           "(systemd LoadCredential=) so it stays out of backups and version control");
      return;
    }
    if (!expect_map(file, n, path)) return;
    check_keys(file, n, path, {"env", "file"});
    if (n["env"] && n["file"]) {
      issue(file, n, path, "give either env or file, not both");
    } else if (const auto e = n["env"]) {
      ref.kind = CredentialRef::Kind::kEnv;
      ref.name = scalar(file, e, path + ".env");
      if (looks_like_secret(ref.name)) {
        warn(file, e, path + ".env",
             "this looks like a secret, not the name of an environment variable (value not "
             "shown); write the variable's name here, e.g. {env: YOUTUBE_API_KEY}");
      }
    } else if (const auto f = n["file"]) {
      ref.kind = CredentialRef::Kind::kFile;
      ref.name = scalar(file, f, path + ".file");
    } else {
      issue(file, n, path, "needs env: VARIABLE or file: PATH");
    }
  }

  void read_platforms(const std::string& file, const YAML::Node& n) {
    if (!expect_map(file, n, "platforms")) return;
    for (auto it = n.begin(); it != n.end(); ++it) {
      const std::string id = it->first.IsScalar() ? it->first.Scalar() : "?";
      const std::string path = "platforms." + id;
      const PlatformDescriptor* descriptor = find_platform(id);
      if (descriptor == nullptr) {
        issue(file, it->first, path,
              unknown_platform_message(id));
        continue;
      }
      // A copy: it->second lives in yaml-cpp's iterator proxy, which dies with this
      // statement (a reference to it was a stack-use-after-scope).
      const YAML::Node p = it->second;
      PlatformSettings ps;
      ps.platform = id;
      if (p.IsNull()) {
        config_.platforms[id] = ps;
        continue;
      }
      if (!expect_map(file, p, path)) continue;
      // The common keys, and the platform's own (its descriptor's settings).
      std::vector<std::string_view> allowed = {
          "base_url",        "credential",       "credentials",
          "app_secret",      "rate_limit",       "poll_interval",
          "refresh_interval", "comments_interval", "max_connections_per_host",
          "redirect_hosts",  "quota",           "max_server_wait",
          "comment_resweep_interval"};
      for (const SettingSpec& spec : descriptor->settings) allowed.push_back(spec.key);
      check_keys(file, p, path, allowed);
      read_platform_extras(file, p, path, *descriptor, ps);
      if (const auto v = p["base_url"]) {
        const std::string url = scalar(file, v, path + ".base_url");
        if (!parse_url(url)) {
          issue(file, v, path + ".base_url",
                "must be an http(s) URL such as https://public.api.bsky.app");
        } else {
          std::string trimmed = url;
          while (!trimmed.empty() && trimmed.back() == '/') trimmed.pop_back();
          ps.base_url = trimmed;
        }
      }
      if (const auto v = p["credential"])
        read_credential(file, v, path + ".credential", ps.credential);
      if (const auto v = p["credentials"]) {
        // Named slots, for platforms where accounts need their own (Facebook
        // page tokens): accounts name theirs with `credential: SLOT`.
        if (expect_map(file, v, path + ".credentials")) {
          for (auto c = v.begin(); c != v.end(); ++c) {
            const std::string slot = c->first.IsScalar() ? c->first.Scalar() : "?";
            const YAML::Node ref_node = c->second;
            if (!valid_id(slot)) {
              issue(file, c->first, path + ".credentials",
                    "'" + slot + "' must use only a-z, 0-9, '-' and '_'");
              continue;
            }
            read_credential(file, ref_node, path + ".credentials." + slot,
                            ps.credential_slots[slot]);
          }
        }
      }
      if (const auto v = p["app_secret"])
        read_credential(file, v, path + ".app_secret", ps.app_secret);
      if (const auto v = p["quota"]) {
        if (expect_map(file, v, path + ".quota")) {
          check_keys(file, v, path + ".quota", {"units", "comment_share"});
          if (descriptor->budgets.empty()) {
            issue(file, v, path + ".quota",
                  "platform " + id + " has no quota budget (only request rate limits: use rate_limit)");
          } else {
            if (const auto u = v["units"])
              ps.quota_units = integer(file, u, path + ".quota.units", 1, int64_t{1} << 40);
            if (const auto c = v["comment_share"]) {
              const auto share = parse_double(scalar(file, c, path + ".quota.comment_share"));
              if (!share || *share < 0 || *share > 1) {
                issue(file, c, path + ".quota.comment_share",
                      "must be a share between 0 and 1, e.g. 0.5 (half the quota for comments)");
              } else {
                ps.comment_quota_share = *share;
              }
            }
          }
        }
      }
      if (const auto v = p["refresh_interval"])
        ps.refresh_interval = duration(file, v, path + ".refresh_interval", kMinuteMs);
      if (const auto v = p["comments_interval"])
        ps.comments_interval = duration(file, v, path + ".comments_interval", kMinuteMs);
      if (const auto v = p["comment_resweep_interval"])
        ps.comment_resweep_interval = duration(file, v, path + ".comment_resweep_interval", kHourMs);
      if (const auto v = p["rate_limit"]) {
        if (expect_map(file, v, path + ".rate_limit")) {
          check_keys(file, v, path + ".rate_limit", {"requests", "per"});
          const auto req = v["requests"];
          const auto per = v["per"];
          if (!req || !per) {
            issue(file, v, path + ".rate_limit",
                  "needs both requests and per, e.g. {requests: 300, per: 5m}");
          } else {
            ps.rate_limit.requests = static_cast<int>(
                integer(file, req, path + ".rate_limit.requests", 1, 1000000).value_or(0));
            ps.rate_limit.window_ms = duration(file, per, path + ".rate_limit.per").value_or(0);
          }
        }
      }
      if (const auto v = p["poll_interval"])
        ps.poll_interval = duration(file, v, path + ".poll_interval", kMinuteMs);
      if (const auto v = p["max_server_wait"])
        ps.max_server_wait = duration(file, v, path + ".max_server_wait", kSecondMs);
      if (const auto v = p["max_connections_per_host"]) {
        ps.max_connections_per_host = static_cast<int>(
            integer(file, v, path + ".max_connections_per_host", 1, 256).value_or(4));
      }
      if (const auto v = p["redirect_hosts"]) {
        if (!v.IsSequence()) {
          issue(file, v, path + ".redirect_hosts", "must be a list of host names");
        } else {
          for (size_t i = 0; i < v.size(); ++i) {
            const std::string h = scalar(file, v[i], path + ".redirect_hosts");
            if (!normalize_host(h) || h.find_first_of("/:") != std::string::npos) {
              issue(file, v[i], path + ".redirect_hosts",
                    "'" + h + "' is not a host name (give only the host, e.g. feeds.example.org)");
            } else {
              ps.redirect_hosts.push_back(*normalize_host(h));
            }
          }
        }
      }
      config_.platforms[id] = ps;
    }
  }

  // The keys a platform's descriptor declares, checked by type and range and
  // kept as text for its connector.
  void read_platform_extras(const std::string& file, const YAML::Node& p, const std::string& path,
                            const PlatformDescriptor& descriptor, PlatformSettings& ps) {
    for (const SettingSpec& spec : descriptor.settings) {
      const auto v = p[spec.key];
      if (!v) continue;
      const std::string key_path = path + "." + spec.key;
      switch (spec.type) {
        case SettingSpec::Type::kBool:
          ps.extra[spec.key] = boolean(file, v, key_path) ? "true" : "false";
          break;
        case SettingSpec::Type::kInteger:
          if (auto n = integer(file, v, key_path, spec.min,
                               spec.max > 0 ? spec.max : std::numeric_limits<int64_t>::max()))
            ps.extra[spec.key] = std::to_string(*n);
          break;
        case SettingSpec::Type::kDuration:
          if (auto d = duration(file, v, key_path, spec.min > 0 ? spec.min : kSecondMs))
            ps.extra[spec.key] = std::to_string(*d);
          break;
        case SettingSpec::Type::kString:
          ps.extra[spec.key] = scalar(file, v, key_path);
          break;
      }
    }
  }

  void read_municipalities(const std::string& file, const YAML::Node& n) {
    // `municipalities:` with every entry commented out is an empty list.
    if (n.IsNull()) return;
    if (!n.IsSequence()) {
      issue(file, n, "municipalities", "must be a list (each entry starting with '- id: ...')");
      return;
    }
    for (size_t i = 0; i < n.size(); ++i) {
      read_municipality(file, n[i], "municipalities[" + std::to_string(i) + "]");
    }
  }

  static bool valid_id(const std::string& id) {
    if (id.empty() || id.size() > 64) return false;
    for (const char c : id) {
      if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_')) return false;
    }
    return true;
  }

  void read_municipality(const std::string& file, const YAML::Node& n, const std::string& path) {
    if (!expect_map(file, n, path)) return;
    check_keys(file, n, path,
               {"id", "name", "ags", "ars", "kind", "state", "kreis", "population",
                "population_date", "website", "labels", "accounts"});
    MunicipalityConfig m;
    m.file = file;
    m.line = line_of(n);
    auto required = [&](const char* key) { return reader(file).required(n, key, path); };
    const auto id = required("id");
    const auto name = required("name");
    const auto ags = required("ags");
    const auto kind_text = required("kind");
    const auto state_text = required("state");
    if (id) {
      m.id = *id;
      if (!valid_id(m.id)) {
        issue(file, n["id"], path + ".id",
              "'" + m.id + "' must use only a-z, 0-9, '-' and '_' (at most 64)");
      } else if (const auto seen = municipality_ids_.find(m.id); seen != municipality_ids_.end()) {
        issue(file, n["id"], path + ".id",
              "duplicate municipality id '" + m.id + "' (first defined at " + seen->second.first +
                  ":" + std::to_string(seen->second.second) + ")");
      } else {
        municipality_ids_[m.id] = {file, line_of(n["id"])};
      }
    }
    if (name) m.name = *name;
    std::optional<MunicipalityKind> kind;
    if (kind_text) {
      kind = parse_municipality_kind(*kind_text);
      if (!kind) {
        issue(file, n["kind"], path + ".kind",
              "'" + *kind_text + "' is not one of " + municipality_kind_choices());
      } else {
        m.kind = *kind;
      }
    }
    const Land* land = nullptr;
    if (state_text) {
      land = find_land(*state_text);
      if (land == nullptr) {
        issue(file, n["state"], path + ".state",
              "'" + *state_text +
                  "' is not a German Land (name such as Baden-Württemberg, ISO code such as BW, or "
                  "AGS code 08)");
      } else {
        m.state = std::string(land->name);
      }
    }
    if (ags) {
      m.ags = *ags;
      if (auto problem = check_ags(*ags, kind, land))
        issue(file, n["ags"], path + ".ags", *problem);
    }
    if (const auto v = n["population"])
      m.population = integer(file, v, path + ".population", 0, 100'000'000);
    if (const auto v = n["population_date"])
      m.population_date = date(file, v, path + ".population_date");
    auto digits = [](const std::string& t, size_t n) {
      return t.size() == n && std::all_of(t.begin(), t.end(), [](char c) { return c >= '0' && c <= '9'; });
    };
    if (const auto v = n["ars"]) {
      m.ars = scalar(file, v, path + ".ars");
      // ARS = Land, RB, Kreis (5), Gemeindeverband (4), Gemeinde (3); the
      // AGS is its first five and last three digits.
      if (!digits(m.ars, 12)) {
        issue(file, v, path + ".ars", "'" + m.ars + "' is not a 12-digit Regionalschlüssel (quote it)");
      } else if (m.ags.size() == 8 && (m.ars.substr(0, 5) != m.ags.substr(0, 5) ||
                                       m.ars.substr(9, 3) != m.ags.substr(5, 3))) {
        issue(file, v, path + ".ars",
              "'" + m.ars + "' does not belong to AGS " + m.ags +
                  " (its first five and last three digits are the AGS)");
      }
    }
    if (const auto v = n["kreis"]) {
      m.kreis = scalar(file, v, path + ".kreis");
      if (!digits(m.kreis, 5)) {
        issue(file, v, path + ".kreis", "'" + m.kreis + "' is not a 5-digit Kreisschlüssel (quote it)");
      } else if (m.ags.size() == 8 && m.kreis != m.ags.substr(0, 5)) {
        issue(file, v, path + ".kreis",
              "'" + m.kreis + "' is not the Kreis of AGS " + m.ags + " (its first five digits)");
      }
    }
    if (const auto v = n["website"]) {
      m.website = std::string(trim(scalar(file, v, path + ".website")));
      if (!parse_url(m.website))
        issue(file, v, path + ".website", "'" + m.website + "' is not an http(s) URL");
    }
    if (const auto v = n["labels"]) {
      if (!v.IsSequence()) {
        issue(file, v, path + ".labels", "must be a list of words, e.g. [pilot, wave2016]");
      } else {
        for (size_t i = 0; i < v.size(); ++i)
          m.labels.push_back(scalar(file, v[i], path + ".labels"));
      }
    }
    if (const auto v = n["accounts"]) {
      if (!v.IsSequence()) {
        issue(file, v, path + ".accounts", "must be a list of accounts");
      } else {
        for (size_t i = 0; i < v.size(); ++i) {
          read_account(file, v[i], path + ".accounts[" + std::to_string(i) + "]", m);
        }
      }
    }
    config_.municipalities.push_back(std::move(m));
  }

  void read_account(const std::string& file, const YAML::Node& n, const std::string& path,
                    MunicipalityConfig& m) {
    if (!expect_map(file, n, path)) return;
    check_keys(
        file, n, path,
        {"platform", "handle", "role", "interval", "backfill_since", "source", "follow_moves",
         "credential", "status", "evidence"});
    AccountConfig a;
    a.file = file;
    a.line = line_of(n);
    const auto platform = n["platform"];
    const auto handle = n["handle"];
    if (!platform)
      issue(file, n, path + ".platform", "is required (one of " + known_platform_list() + ")");
    if (!handle)
      issue(file, n, path + ".handle", "is required (handle, profile URL or channel id)");
    if (!platform || !handle) return;
    a.platform = to_lower_ascii(trim(scalar(file, platform, path + ".platform")));
    if (find_platform(a.platform) == nullptr) {
      issue(file, platform, path + ".platform",
            unknown_platform_message(a.platform));
      return;
    }
    a.raw_handle = scalar(file, handle, path + ".handle");
    auto canonical = find_platform(a.platform)->canonicalize(a.raw_handle);
    if (!canonical.ok()) {
      issue(file, handle, path + ".handle", canonical.error().message);
      return;
    }
    a.handle = *canonical;
    if (const auto v = n["role"]) a.role = std::string(trim(scalar(file, v, path + ".role")));
    if (const auto v = n["interval"]) a.interval = duration(file, v, path + ".interval", kMinuteMs);
    if (const auto v = n["backfill_since"])
      a.backfill_since = date(file, v, path + ".backfill_since");
    if (const auto v = n["source"]) a.source = std::string(trim(scalar(file, v, path + ".source")));
    if (const auto v = n["follow_moves"]) a.follow_moves = boolean(file, v, path + ".follow_moves");
    if (const auto v = n["credential"]) {
      a.credential = scalar(file, v, path + ".credential");
      pending_slots_.push_back({file, v, path + ".credential", a.platform, a.credential});
    }
    if (const auto v = n["evidence"]) a.evidence = std::string(trim(scalar(file, v, path + ".evidence")));
    bool proposed = false;
    if (const auto v = n["status"]) {
      const std::string status = to_lower_ascii(trim(scalar(file, v, path + ".status")));
      if (status == "proposed") {
        proposed = true;
      } else if (status != "confirmed") {
        issue(file, v, path + ".status",
              "'" + status + "' is not proposed or confirmed (a proposed account is not polled "
              "until confirmed: remove the line or write confirmed)");
      }
    }
    const std::string key = a.key();
    if (const auto seen = account_keys_.find(key); seen != account_keys_.end()) {
      issue(file, handle, path + ".handle",
            "duplicate account " + key + " (already configured at " + seen->second.first + ":" +
                std::to_string(seen->second.second) + ")");
      return;
    }
    account_keys_[key] = {file, a.line};
    if (proposed) {
      m.proposed_accounts.push_back(std::move(a));
    } else {
      m.accounts.push_back(std::move(a));
    }
  }

  void read_includes(const std::string& file, const YAML::Node& n) {
    std::vector<std::pair<std::string, YAML::Node>> patterns;
    if (n.IsScalar()) {
      patterns.emplace_back(n.Scalar(), n);
    } else if (n.IsSequence()) {
      for (size_t i = 0; i < n.size(); ++i)
        patterns.emplace_back(scalar(file, n[i], "include"), n[i]);
    } else {
      issue(file, n, "include", "must be a path or a list of paths (globs allowed)");
      return;
    }
    const std::filesystem::path base = std::filesystem::path(file).parent_path();
    for (const auto& [pattern, node] : patterns) {
      if (pattern.empty()) continue;
      const std::string full = pattern[0] == '/' ? pattern : (base / pattern).string();
      glob_t g{};
      const int rc = ::glob(full.c_str(), GLOB_NOSORT, nullptr, &g);
      std::vector<std::string> matches;
      if (rc == 0) {
        for (size_t i = 0; i < g.gl_pathc; ++i) matches.emplace_back(g.gl_pathv[i]);
      }
      globfree(&g);
      std::sort(matches.begin(), matches.end());
      const bool is_glob = pattern.find_first_of("*?[") != std::string::npos;
      if (matches.empty() && !is_glob) {
        issue(file, node, "include", "file '" + full + "' does not exist");
        continue;
      }
      for (const std::string& path : matches) load_included(path, node, file);
    }
  }

  void load_included(const std::string& path, const YAML::Node& from,
                     const std::string& from_file) {
    std::error_code ec;
    const std::string canon = std::filesystem::weakly_canonical(path, ec).string();
    if (seen_files_.count(canon)) {
      issue(from_file, from, "include", "'" + path + "' is included twice (or includes itself)");
      return;
    }
    seen_files_.insert(canon);
    const auto text = read_input_file(path);
    if (!text) {
      issue(from_file, from, "include", "cannot read the included file: " + text.error().message);
      return;
    }
    const auto parsed = parse_yaml(*text, path, out_.errors);
    if (!parsed) return;
    const YAML::Node& root = *parsed;
    config_.files.push_back(path);
    if (!root || root.IsNull()) return;  // an empty include is harmless
    if (!root.IsMap()) {
      issue(path, root, "",
            "an included file must be a mapping with municipalities: (and optionally include:)");
      return;
    }
    check_keys(path, root, "", {"municipalities", "include"});
    if (const auto n = root["municipalities"]) read_municipalities(path, n);
    if (const auto n = root["include"]) read_includes(path, n);
  }

  void validate_globals(const std::string& file, const YAML::Node& root) {
    Config& cfg = config_;
    for (const SlotUse& u : pending_slots_) {
      const PlatformSettings* ps = cfg.platform(u.platform);
      if (ps == nullptr || !ps->credential_slots.count(u.slot)) {
        std::string known;
        if (ps != nullptr) {
          for (const auto& [slot, ref] : ps->credential_slots) known += (known.empty() ? "" : ", ") + slot;
        }
        issue(u.file, u.node, u.path,
              "no credential slot '" + u.slot + "' under platforms." + u.platform +
                  ".credentials" + (known.empty() ? "" : " (slots: " + known + ")"));
      }
    }
    const std::string& contact = cfg.defaults.contact;
    const std::string& ua = cfg.defaults.user_agent;
    if (contact.empty() && ua.empty()) {
      issue(file, root["defaults"] ? root["defaults"] : root, "defaults.contact",
            "is required: an e-mail address or URL where platform operators can reach you; it goes "
            "into "
            "the User-Agent (Wikimedia and fediverse admins expect one)");
    } else if (!contact.empty() && contact.find('@') == std::string::npos &&
               !starts_with(contact, "http")) {
      issue(file, root["defaults"]["contact"], "defaults.contact",
            "must be an e-mail address or an http(s) URL");
    } else if (!ua.empty() && ua.find('@') == std::string::npos &&
               ua.find("http") == std::string::npos) {
      issue(file, root["defaults"]["user_agent"], "defaults.user_agent",
            "must carry a contact (e-mail address or URL) so operators can reach you");
    }
    // (Loopback tests, which allow private addresses, reach no real server.)
    if (auto why = placeholder_contact(cfg.defaults);
        why && !cfg.defaults.allow_private_addresses) {
      const YAML::Node at = root["defaults"] && root["defaults"]["contact"]
                                ? root["defaults"]["contact"]
                                : (root["defaults"] ? root["defaults"] : root);
      warn(file, at, "defaults.contact",
           *why + "; `run` and `poll` refuse to contact real servers with it: set your own "
                  "address (or MUNISCOPE_CONTACT=mailto:you@your.institution)");
    }
    if (!cfg.metrics_listen.empty()) {
      const size_t colon = cfg.metrics_listen.rfind(':');
      const auto port = colon == std::string::npos
                            ? std::nullopt
                            : parse_int64(cfg.metrics_listen.substr(colon + 1));
      if (!port || *port < 0 || *port > 65535) {
        issue(file, root["metrics_listen"], "metrics_listen",
              "must be host:port, e.g. 127.0.0.1:9464 (port 0: any free port, logged at start)");
      } else {
        std::string host = cfg.metrics_listen.substr(0, colon);
        if (starts_with(host, "[") && ends_with(host, "]")) host = host.substr(1, host.size() - 2);
        const bool loopback = host == "127.0.0.1" || host == "localhost" || host == "::1" ||
                              starts_with(host, "127.");
        if (!loopback && !cfg.metrics_listen_allow_remote) {
          issue(file, root["metrics_listen"], "metrics_listen",
                "'" + host +
                    "' is not a loopback address; set metrics_listen_allow_remote: true to expose "
                    "the metrics endpoint beyond this machine");
        }
      }
    }
  }
};

ConfigLoad finish(ConfigLoad load, Loader& loader) {
  if (load.errors.empty()) load.config = loader.take();
  return load;
}

}  // namespace

ConfigLoad load_config_from_string(const std::string& text, const std::string& file_name) {
  ConfigLoad load;
  const auto root = parse_yaml(text, file_name, load.errors);
  if (!root) return load;
  try {
    Loader loader(load);
    loader.load_main(*root, file_name);
    return finish(std::move(load), loader);
  } catch (const YAML::Exception& e) {
    // A node of an unexpected kind indexed somewhere: an error, never a crash.
    ConfigLoad failed;
    failed.errors = std::move(load.errors);
    failed.errors.push_back({file_name, e.mark.line + 1, e.mark.column + 1, "",
                             "unexpected structure (a list or value where a mapping belongs?): " +
                                 std::string(e.msg)});
    return failed;
  }
}

std::optional<std::string> placeholder_contact(const Defaults& d) {
  const std::string text = to_lower_ascii(d.user_agent.empty() ? d.contact : d.user_agent);
  // The host or mail domain: after '@', or the URL's host.
  std::vector<std::string> domains;
  for (size_t at = text.find('@'); at != std::string::npos; at = text.find('@', at + 1)) {
    size_t end = at + 1;
    while (end < text.size() && (std::isalnum(static_cast<unsigned char>(text[end])) ||
                                 text[end] == '.' || text[end] == '-')) {
      ++end;
    }
    domains.push_back(text.substr(at + 1, end - at - 1));
  }
  for (size_t h = text.find("://"); h != std::string::npos; h = text.find("://", h + 3)) {
    if (auto url = parse_url(text.substr(h > 5 ? h - 5 : 0))) domains.push_back(url->host);
  }
  for (const std::string& domain : domains) {
    // RFC 2606 / RFC 6761: names reserved for examples and tests.
    for (const char* reserved : {"example.org", "example.com", "example.net"}) {
      if (domain == reserved || ends_with(domain, std::string(".") + reserved)) {
        return "'" + (d.user_agent.empty() ? d.contact : d.user_agent) + "' is on " + reserved +
               ", a domain reserved for examples (RFC 2606): nobody can reach you there";
      }
    }
    for (const char* tld : {".example", ".test", ".invalid", ".localhost"}) {
      if (ends_with(domain, tld) || domain == std::string(tld).substr(1)) {
        return "'" + (d.user_agent.empty() ? d.contact : d.user_agent) + "' is on " + tld +
               ", a name reserved for examples and tests (RFC 2606): nobody can reach you there";
      }
    }
  }
  return std::nullopt;
}

ConfigLoad load_config(const std::string& path) {
  const auto text = read_input_file(path);
  if (!text) {
    ConfigLoad load;
    load.errors.push_back(
        {path, 0, 0, "", "cannot read the configuration file: " + text.error().message});
    return load;
  }
  return load_config_from_string(*text, path);
}

}  // namespace muni
