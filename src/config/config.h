// Configuration: YAML files read once into typed structs. Nothing outside
// src/config/ (and the survey codebook, through yaml_reader.h) sees YAML.
//
// One main file may include more files (`include:` with paths or globs,
// relative to the including file); included files contribute municipalities.
// Validation collects every problem it finds, each with file, line, column and
// the key it concerns, so a user fixes a broken file in one pass. Unknown keys
// are errors (a misspelt key silently ignored is a silent wrong default).
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/ags.h"
#include "core/platform.h"
#include "core/result.h"
#include "core/time_util.h"

namespace muni {

struct ConfigIssue {
  std::string file;
  int line = 0;     // 1-based; 0 when not tied to a place
  int column = 0;   // 1-based
  std::string key;  // path of the key concerned, e.g. municipalities[3].accounts[0].platform
  std::string message;
  // "file:line:column: key: message"
  std::string format() const;
};

// Where a secret comes from. The secret itself is read only when needed and
// never stored in Config, logged or printed.
struct CredentialRef {
  enum class Kind { kNone, kEnv, kFile, kInline } kind = Kind::kNone;
  std::string name;          // variable name or file path (relative paths: $CREDENTIALS_DIRECTORY)
  std::string inline_value;  // only for kInline (discouraged, warned about)
  bool present() const { return kind != Kind::kNone; }
  std::string describe() const;  // "env MUNI_TOKEN", "file youtube_key", "inline (!)"
};

struct RateBudget {
  int requests = 0;  // 0 = not configured
  DurationMs window_ms = 0;
};

struct PlatformSettings {
  std::string platform;
  std::optional<std::string> base_url;  // API base URL override
  CredentialRef credential;             // the platform's default credential slot
  // Named slots (platforms.<id>.credentials.<slot>) for accounts that need
  // their own, named by AccountConfig::credential.
  std::map<std::string, CredentialRef> credential_slots;
  // The app secret of signed requests (Graph API appsecret_proof).
  CredentialRef app_secret;
  RateBudget rate_limit;
  // The longest wait a server's rate-limit headers may impose on a host
  // (Retry-After, a reset, a policy window); beyond it the figure is taken
  // as absurd and capped. Unset: the larger of 15 minutes and the platform's
  // documented window (engine/rate_limit.h).
  std::optional<DurationMs> max_server_wait;
  std::optional<DurationMs> poll_interval;
  std::optional<DurationMs> refresh_interval;
  std::optional<DurationMs> comments_interval;
  std::optional<int64_t> quota_units;  // overrides the descriptor's quota budget
  // The share of the quota budget comment work (sweeps and comment backfill)
  // may spend per period, so that it never starves polls (quota.comment_share).
  double comment_quota_share = 0.5;
  std::optional<DurationMs> comment_resweep_interval;  // overrides the default
  std::optional<int> max_connections_per_host;
  // The platform's own keys (PlatformDescriptor::settings) as text.
  std::map<std::string, std::string> extra;
  // Hosts redirects may lead to besides the request's own (engine/net_policy.h).
  std::vector<std::string> redirect_hosts;
};

struct AccountConfig {
  std::string platform;
  std::string handle;      // canonical (PlatformDescriptor::canonicalize)
  std::string raw_handle;  // as written
  std::string role;        // press, mayor, library, tourism, ... (free text)
  std::optional<DurationMs> interval;
  std::optional<CivilDate> backfill_since;
  std::string source;  // where the account is documented as official
  bool follow_moves = true;
  std::string credential;  // a named slot of platforms.<id>.credentials, "" = the default
  std::string evidence;    // for proposals: where discovery found it
  std::string file;
  int line = 0;
  std::string key() const { return platform + ":" + handle; }
};

struct MunicipalityConfig {
  std::string id;
  std::string name;
  std::string ags;
  MunicipalityKind kind = MunicipalityKind::kGemeinde;
  std::string state;  // canonical Land name
  std::optional<int64_t> population;
  std::optional<CivilDate> population_date;  // the population's reference date
  std::string ars;    // 12-digit Amtlicher Regionalschlüssel, "" if not given
  std::string kreis;  // 5-digit key of the Kreis (or kreisfreie Stadt), "" if not given
  std::string website;  // the official website (discovery starts there)
  std::vector<std::string> labels;
  std::vector<AccountConfig> accounts;
  // Accounts marked `status: proposed` (by `muniscope discover` or by hand):
  // validated like the others, never stored or polled until confirmed.
  std::vector<AccountConfig> proposed_accounts;
  std::string file;
  int line = 0;
};

struct RetentionSettings {
  DurationMs keep_all_ms = 30 * kDayMs;      // every sample younger than this
  DurationMs daily_until_ms = 365 * kDayMs;  // then one per day until this age
  // older: one per week
  DurationMs poll_log_keep_ms = 90 * kDayMs;  // poll_log rows older than this are deleted
  DurationMs run_interval_ms = 24 * kHourMs;  // how often the daemon applies it
};

struct Defaults {
  DurationMs poll_interval_ms = kHourMs;
  std::optional<CivilDate> backfill_since;  // none: page back to the first post
  std::string timezone = "Europe/Berlin";
  std::string contact;                            // e-mail or URL, goes into User-Agent
  std::string user_agent;                         // full override; must contain the contact
  DurationMs refresh_interval_ms = 6 * kHourMs;   // engagement refresh of recent posts
  DurationMs refresh_window_ms = 14 * kDayMs;     // how recent "recent" is
  // Comments of items older than the refresh window are read again this
  // often (citizens comment on old videos too); items inside the window are
  // read on every comment sweep (comments_interval).
  DurationMs comment_resweep_interval_ms = 30 * kDayMs;
  DurationMs recheck_interval_ms = 24 * kHourMs;  // not found / gone / suspended
  int not_found_confirmations = 2;
  DurationMs max_backoff_ms = 6 * kHourMs;
  DurationMs connect_timeout_ms = 10 * kSecondMs;
  DurationMs request_timeout_ms = 60 * kSecondMs;
  int64_t max_response_bytes = 16 * 1024 * 1024;
  int max_connections_per_host = 4;
  // Connect to loopback and private addresses (tests, intranet platforms).
  // Off by default: a name that resolves there is refused after DNS.
  bool allow_private_addresses = false;
};

struct MetricsSettings {
  DurationMs dormant_after_ms = 90 * kDayMs;
  double min_coverage = 0.8;
  int office_start_hour = 8;  // local time, Monday to Friday
  int office_end_hour = 18;
};

struct Config {
  std::vector<std::string> files;  // main file first, then includes
  std::string store_path;          // empty: $STATE_DIRECTORY/muniscope.db or var/muniscope.db
  RetentionSettings retention;
  Defaults defaults;
  MetricsSettings metrics;
  std::map<std::string, PlatformSettings> platforms;  // only those configured
  std::vector<MunicipalityConfig> municipalities;
  std::string metrics_listen;  // "host:port" for the Prometheus endpoint, "" = off
  bool metrics_listen_allow_remote = false;
  std::string log_level = "info";

  // The User-Agent muniscope sends: user_agent if set, else
  // "muniscope/<version> (+<contact>)".
  std::string effective_user_agent() const;
  const PlatformSettings* platform(const std::string& id) const;
  // Store path after applying the defaults described above.
  std::string resolved_store_path() const;
  size_t account_count() const;
};

struct ConfigLoad {
  std::optional<Config> config;  // set when there are no errors
  std::vector<ConfigIssue> errors;
  std::vector<ConfigIssue> warnings;
};

// Reads and validates the configuration rooted at `path`.
ConfigLoad load_config(const std::string& path);

// Why the contact (or the User-Agent override) is a placeholder on a domain
// reserved for examples (example.org, *.example, *.test, ...), or nullopt.
// check-config warns; `run` and `poll` refuse to reach real servers with it
// (they allow it when defaults.allow_private_addresses is set, which only
// tests on loopback do). MUNISCOPE_CONTACT in the environment overrides
// defaults.contact.
std::optional<std::string> placeholder_contact(const Defaults& d);
// Same, from text (for tests); `file_name` is used in messages and to
// resolve relative includes.
ConfigLoad load_config_from_string(const std::string& text, const std::string& file_name);

// True when an env: variable name looks like a secret written in its place;
// such names are never echoed.
bool looks_like_secret(std::string_view name);

// Reads a credential's secret. Fails with kNotFound when the variable or file
// is missing or empty. The message names where it looked, never the value.
Result<std::string> read_credential(const CredentialRef& ref);

extern const char* const kMuniscopeVersion;

}  // namespace muni
