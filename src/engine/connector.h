// The connector contract. A connector is a pure translator between one
// platform's API and muniscope's normalized records: given an account, its
// saved cursor and the last response, it says which request to send next, or
// hands back a page of records plus the cursor to save. It never performs IO,
// sleeps, retries, reads the clock or touches the store; the engine does all
// of that for every platform alike.
//
// Multi-step flows (resolve a handle, read the profile, page through posts;
// channel -> uploads playlist -> video statistics; feed with conditional GET)
// are small state machines inside a ConnectorSession. One session performs
// one unit of work (WorkKind) for one account.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/model.h"
#include "core/platform.h"
#include "engine/http.h"

namespace muni {

// What the engine tells a connector about an account.
struct AccountView {
  int64_t account_id = 0;
  std::string platform;
  std::string handle;       // canonical configured handle (core/handles.h)
  std::string platform_id;  // stable platform id once resolved, else ""
  std::string cursor;       // the connector's saved cursor, "" at first
  BackfillState backfill_state = BackfillState::kPending;
  std::optional<TimeMs> backfill_since;  // stop backfill at this instant
  bool follow_moves = true;
  int64_t own_posts_stored = 0;         // for history-completeness checks
  std::optional<std::string> base_url;  // API base URL override from config
  // The platform's extra settings (PlatformDescriptor::settings) as
  // configured, as text: "true", "300", "3600000" (durations in ms).
  std::map<std::string, std::string> settings;
  // Whether a credential is configured for this account's platform (never
  // the credential itself): connectors without one fall back (YouTube's feed).
  bool has_credential = false;
  // The engine's time when the unit of work starts (connectors never read a
  // clock; a feed item without a date is dated to when it was first seen).
  TimeMs now = 0;
  // kRefresh: own posts of the window (newest first) and its start.
  std::vector<std::string> refresh_ids;
  TimeMs refresh_since = 0;
  // kComments and kCommentBackfill: the items whose comments this unit reads,
  // chosen by the engine from the store's comment coverage. A connector reads
  // each listed item's comments completely (every thread, every reply) and
  // reports one CommentSweep per item it finished (core/model.h); items it
  // did not reach stay unswept and come again.
  std::vector<std::string> comment_ids;
};

// How a unit of work failed, as the connector classifies the platform's answer.
enum class FailureKind {
  kNone,
  kNotFound,       // the account does not exist (the engine confirms on later polls)
  kGone,           // the account existed and was removed (HTTP 410)
  kSuspended,      // suspended, taken down, deactivated, or limited by the server
  kAuthRequired,   // the server wants authentication for public data (secure mode)
  kAuthFailed,     // the configured credential was rejected
  kBlocked,        // the account blocks the viewer
  kMalformed,      // the answer could not be understood; nothing from it is stored
  kServerError,    // a server-side error the engine should retry later
  kInvalidHandle,  // the configured handle cannot be used on this platform
  // Set by the engine, never by connectors:
  kRefused,     // a redirect or address muniscope refuses to follow (engine/net_policy.h)
  kDuplicate,   // the account is another configured account under a second spelling
  kNoProgress,  // the server's paging went in circles; backfill stopped
};
std::string_view failure_kind_id(FailureKind f);

// "Throttled until T", read by a connector from an error body (YouTube 403
// quotaExceeded, Graph API codes 4/17/32/613, Lemmy rate_limit_error,
// MediaWiki maxlag, Discourse wait_seconds).
struct Throttle {
  enum class Scope {
    kHost,        // every request to this host waits
    kCredential,  // every request with this platform's credential (its quota)
    kAccount,     // this account only
  } scope = Scope::kHost;
  // How long to wait; nullopt: until the scope's quota budget next resets.
  std::optional<DurationMs> wait;
  std::string reason;
};

struct StepResult {
  // Records and cursor to commit atomically before anything else happens.
  std::optional<Page> page;
  // In a batch session, one answer may hold pages of several accounts: each
  // commits on its own, after `page`.
  std::vector<Page> more_pages;
  // The platform says to slow down: the unit of work ends (nothing failed),
  // and the engine holds the scope until the time given.
  std::optional<Throttle> throttle;
  // The next request; its response comes back through on_response().
  std::optional<HttpRequest> request;
  // The unit of work is finished (successfully unless failure is set).
  bool done = false;
  FailureKind failure = FailureKind::kNone;
  std::string reason;   // human-readable detail for failures and notes
  int http_status = 0;  // status of the response that led to a failure

  static StepResult send(HttpRequest r, std::optional<Page> page = std::nullopt) {
    StepResult s;
    s.request = std::move(r);
    s.page = std::move(page);
    return s;
  }
  static StepResult finish(std::optional<Page> page = std::nullopt) {
    StepResult s;
    s.page = std::move(page);
    s.done = true;
    return s;
  }
  static StepResult fail(FailureKind kind, std::string reason, int http_status = 0) {
    StepResult s;
    s.done = true;
    s.failure = kind;
    s.reason = std::move(reason);
    s.http_status = http_status;
    return s;
  }
  static StepResult throttled(Throttle t, int http_status = 0,
                              std::optional<Page> page = std::nullopt) {
    StepResult s;
    s.done = true;
    s.reason = t.reason;
    s.throttle = std::move(t);
    s.http_status = http_status;
    s.page = std::move(page);
    return s;
  }
};

class ConnectorSession {
 public:
  virtual ~ConnectorSession() = default;
  // The first step: usually a request, possibly an immediate finish.
  virtual StepResult start() = 0;
  // The answer to the last request. The engine handles transport errors,
  // 429 and 5xx itself; every other status arrives here.
  virtual StepResult on_response(const HttpResponse& response) = 0;
};

// A connector: its platform's descriptor (core/platform.h) says what the
// platform is; the connector turns accounts into sessions.
class Connector {
 public:
  virtual ~Connector() = default;
  virtual std::string_view platform() const = 0;
  // The host this account's requests go to; rate limits and concurrency caps
  // are kept per host (a Mastodon instance, the Bluesky AppView).
  virtual std::string host_for(const AccountView& account) const = 0;
  virtual std::unique_ptr<ConnectorSession> begin(const AccountView& account,
                                                  WorkKind work) const = 0;
  // Batch sessions: for work kinds whose WorkSpec::batch > 1, one session for
  // several accounts of one host (the accounts' pages say whose they are:
  // Page::account_id). The default runs the first account alone.
  virtual std::unique_ptr<ConnectorSession> begin_batch(const std::vector<AccountView>& accounts,
                                                        WorkKind work) const {
    return begin(accounts.front(), work);
  }
};

// The connectors compiled into this build, looked up by platform id.
class ConnectorRegistry {
 public:
  void add(std::unique_ptr<Connector> connector);
  const Connector* find(std::string_view platform) const;
  std::vector<std::string> platforms() const;

 private:
  std::vector<std::unique_ptr<Connector>> connectors_;
};

}  // namespace muni
