// The fault matrix: one table-driven harness that runs the same faults
// against every connector's fake (one family per platform, in
// tests/integration/fault_matrix_<platform>_test.cpp).
//
// A connector family is one platform on its fake server(s) with two
// accounts: a faulty one, which gets the faults, and a healthy one beside
// it. For every row the harness makes a fresh store and engine, serves the
// fault to the faulty account's requests only (by wrapping the fake's
// handler: Faults::serve and the LoopbackServer fault selector), runs one
// `poll --once` over both accounts through the real engine, libcurl
// transport, connector and store, then takes the fault away and runs once
// more. Asserted for every row:
//
//   up        the run ends (a deadline: no crash, no hang)
//   memory    resident memory grows less than 96 MiB
//   state     the faulty account's state and reason say what happened
//   healthy   the healthy account ends with exactly its world, state ok
//             (unless the fault is the host's and the host is shared)
//   stored    nothing wrong is stored: only ids the worlds have, valid UTF-8,
//             no negative or absurd counts, plausible dates, no post twice,
//             no credential anywhere in the store's files, `integrity_check` ok
//   hosts     no host is held beyond the 15 min cap (plus the jitter of the
//             hint-less backoff), and no request reached the canary: the
//             other host that redirects point to
//   recovery  with the fault gone (and any hold waited out), one more run
//             brings both accounts to their worlds, short only of what the
//             row says the fault made unreadable for good (Expect::may_miss)
//
// Rows come in two kinds. Generic rows (GenericRow) are defined once, in
// fault_matrix.cpp, with a default expectation, and applied to every family: rate limits, broken
// transfers, empty, truncated, oversized, malformed and absurd answers, counts, dates, colliding
// ids, cursors that repeat or circle, redirects. A family says how each one looks on its platform
// (the Family hooks) and, where its outcome differs from the default, what it expects instead
// (Family::adjust), or that the row does not apply, and why. Family rows are
// the faults only that platform can have.
//
// A new connector joins by adding its fake (tests/support/fake_<platform>)
// and tests/integration/fault_matrix_<platform>_test.cpp: a Family for it
// with its rows, and a TEST_CASE that calls run_matrix.
//
// Time: the engine runs on a WarpClock, the real clock plus time skipped by
// the harness. Whenever the engine has nothing on the wire and sends nothing
// for two turns, it can only be waiting (a host hold after a 429, a
// backoff), so the harness skips 5 s; a 30 s hold passes in a fraction of a
// second. Waits stay what the engine decides; only the test does not sit
// through them. libcurl's own timeouts (the stall rows) are real time.
//
// MUNISCOPE_MATRIX_TIMES=1 prints each row's duration, MUNISCOPE_MATRIX_LOG=1
// what each faulty run did (hits, state, backfill, poll log).
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include "config/config.h"
#include "core/clock.h"
#include "engine/connector.h"
#include "engine/curl_transport.h"
#include "engine/engine.h"
#include "engine/http.h"
#include "loopback_server.h"
#include "store/store.h"
#include "test_support.h"

namespace muni::test::matrix {

// --- Faults -----------------------------------------------------------------

// What one fault does to the requests it matches.
struct Plan {
  std::function<bool(const HttpRequest&)> match;
  // Given the request and the fake's honest answer, the answer to send.
  std::function<HttpResponse(const HttpRequest&, HttpResponse)> respond;
  std::optional<Fault> transport;  // a stall or a truncated transfer instead
  int times = -1;                  // how many matching requests it hits (-1: all)
};

// The fault in force for one family, consulted by its servers' handlers.
// Thread-safe: the loopback servers call it from their pools.
class Faults {
 public:
  void set(Plan p);
  void clear();
  int hits();
  // The answer to `r`: the fake's (`honest`), or the fault's. A faulted
  // answer carries no validators (ETag, Last-Modified): it is no version of
  // the resource, and the honest answer after the fault must not be a 304.
  HttpResponse serve(const HttpRequest& r, const std::function<HttpResponse()>& honest);
  // For LoopbackServer::set_fault_selector: a stall or truncation, or none.
  std::optional<Fault> transport_fault(const HttpRequest& r);

 private:
  bool take(const HttpRequest& r, Plan* out);

  std::mutex mu_;
  std::optional<Plan> plan_;
  int hits_ = 0;
};

// A JSON answer (Content-Type application/json).
HttpResponse json_answer(int status, std::string text, std::vector<HttpHeader> headers = {});
// A plan that answers every matching request with `r`.
Plan answer(std::function<bool(const HttpRequest&)> match, HttpResponse r, int times = -1);
// A plan that rewrites the body of every matching honest answer with `f`.
Plan rewrite(std::function<bool(const HttpRequest&)> match,
             std::function<std::string(std::string)> f, int times = -1);
std::string replace_all(std::string s, const std::string& from, const std::string& to);
// Every match of the ECMAScript regex `re` in `s` replaced by f(match, n),
// n counting the matches from 0 (for faults that vary along a page).
std::string replace_each(const std::string& s, const std::string& re,
                         const std::function<std::string(const std::smatch&, int)>& f);

// --- Clock ------------------------------------------------------------------

// The real clock plus whatever the harness skipped (see the top comment).
class WarpClock final : public Clock {
 public:
  TimeMs now() const override { return real_.now() + skipped_.load(); }
  TimeMs monotonic() const override { return real_.monotonic() + skipped_.load(); }
  void skip(DurationMs d) { skipped_ += d; }
  DurationMs skipped() const { return skipped_.load(); }

 private:
  SystemClock real_;
  std::atomic<int64_t> skipped_{0};
};

// --- Rows -------------------------------------------------------------------

class Run;

// Expect::may_miss when a fault stops backfill for good: the history below
// where it stopped is not read again, and the account says it is incomplete.
constexpr int kHistoryStopped = -1;

// What a row expects of the faulty account after the faulty run.
struct Expect {
  std::vector<std::string> states;  // states it may be in ({}: any)
  std::string reason;  // a piece of its state reason or history note ("": none required)
  std::function<void(Run&)> check;      // further checks after the faulty run
  bool converges_during_fault = false;  // the fault is absorbed: its world is complete already
  // Items the fault made unreadable are skipped for good (reported, not
  // stored): the account may end this many short of its world after the
  // recovery run. kHistoryStopped: any number, because the fault stopped
  // backfill for good, and the account must say so (backfill incomplete).
  int may_miss = 0;
  // Why the row does not apply to the family; "" when it does.
  std::string not_applicable;
};

struct Case {
  std::string name;
  Plan plan;
  Expect expect;
  // The fault is the host's condition (a 429 to every request, as a host
  // limiting by address answers): it hits every request the faulty
  // account's server gets. Where the healthy account shares that host, it
  // is refused and held as well, rightly, and is only checked for sane data
  // and for recovery.
  bool host_wide = false;
  // Run with the platform's documented rate limits instead of the matrix's
  // fast ones, so that the engine's pauses are the production ones (the
  // hint-less 429 backoff of 30 s is capped by the known window).
  bool real_rate_limits = false;
};

// A row: its name, its fault, and what it expects (Expect's fields in order).
Case row(std::string name, Plan plan, std::vector<std::string> states, std::string reason = "",
         std::function<void(Run&)> check = nullptr, bool converges_during_fault = false,
         int may_miss = 0);

// The rows every family gets. Their names are the generic_name()s.
enum class GenericRow {
  k429RetryAfter,
  k429NoHint,
  k429ZeroForever,
  k429AbsurdOnce,
  k429AbsurdForever,
  k503RetryAfter,
  k500Burst,
  kConnectionReset,
  kStall,
  kEmpty,
  kTruncated,
  kCompressionBomb,
  kOversized,
  kHtml,
  kDeepNesting,
  kAbsurdCounts,
  kCountOverflow,
  kFutureDates,
  kAncientDates,
  kCollidingIds,
  kRepeatingCursor,
  kCirclingCursor,
  kRedirectLoop,
  kRedirectOffHost,
};
const std::vector<GenericRow>& all_generic_rows();
std::string generic_name(GenericRow row);

enum class Format { kJson, kXml };
enum class Dates { kFuture, kAncient };  // 9999-12-31, 0001-01-01

// A cursor fault, and what it does on the family's platform.
struct CursorFault {
  std::string how;  // "the server ignores max_id", added to the row's name
  Plan plan;
};

// --- Families ---------------------------------------------------------------

class Family {
 public:
  explicit Family(std::string platform);
  virtual ~Family();
  Family(const Family&) = delete;
  Family& operator=(const Family&) = delete;

  const std::string& platform() const { return platform_; }
  Faults& faults() { return faults_; }
  // Another host that redirects point to: no request may reach it. It
  // listens on 127.0.0.2 (another host name for the engine's redirect rule),
  // or, where that address cannot be bound, on 127.0.0.1 named "localhost".
  int64_t canary_requests() const { return canary_->requests(); }
  const std::string& canary_host() const { return canary_host_; }
  std::string canary_url() const;  // http://HOST:PORT

  // --- the two accounts
  // The flow-map entries of platforms.<platform> ("base_url: ..., credential:
  // {...}"), without rate_limit (the harness adds it), or "".
  virtual std::string settings_yaml() const = 0;
  virtual std::string handle(bool faulty) const = 0;
  // The ids the account's world has, as the store keys them.
  virtual std::set<std::string> world_ids(bool faulty) const = 0;
  // A stored post id as the world id it stands for (feeds key an entry
  // deeper when its id is shared: "guid|link=...").
  virtual std::string world_id_of(const std::string& stored) const { return stored; }
  // Whether both accounts are on one host (one AppView, one API).
  virtual bool shares_host() const = 0;
  // Credentials the family configures: they must appear nowhere in the
  // store's files, whatever the server echoes or redirects to.
  virtual std::vector<std::string> secrets() const { return {}; }

  // --- where faults go: requests for the faulty account only (a family
  // serves faults only on the server of its faulty account; where the
  // healthy account shares it, these tell them apart)
  virtual bool any_request(const HttpRequest& r) const = 0;
  // Its requests whose answers carry items (posts, videos, entries).
  virtual bool item_request(const HttpRequest& r) const = 0;
  // The first page of its item listing (a poll's first request for items).
  virtual bool first_listing(const HttpRequest& r) const = 0;

  // --- the generic faults in the family's terms, on bodies of item_request
  virtual Format format() const = 0;
  // The listing with no items at all.
  virtual std::string empty_listing(std::string body) const = 0;
  // Every count of the items set to values[i % size], written the way the
  // platform writes counts (a JSON number, a JSON string, element text).
  virtual std::string with_counts(std::string body,
                                  const std::vector<std::string>& values) const = 0;
  virtual std::string with_dates(std::string body, Dates dates) const = 0;
  // The second item carries the first item's id.
  virtual std::string with_colliding_ids(std::string body) const = 0;
  virtual CursorFault repeating_cursor() = 0;
  virtual CursorFault circling_cursor() = 0;

  // A generic row's expectation where the family differs from the default
  // (or the row does not apply: Expect::not_applicable).
  virtual void adjust(GenericRow /*row*/, Expect& /*e*/) const {}
  // The family's own rows.
  virtual std::vector<Case> own_cases() = 0;

 private:
  std::string platform_;
  Faults faults_;
  std::unique_ptr<LoopbackServer> canary_;
  std::string canary_host_;
};

// The generic rows for `family`, with its expectations; rows that do not
// apply are left out (and said, with why).
std::vector<Case> generic_cases(Family& family);

// --- Runs -------------------------------------------------------------------

// One muniscope over a family's fake: a fresh store, the real connectors,
// libcurl on loopback, the engine on a WarpClock.
class Run {
 public:
  Run(Family& family, bool real_rate_limits);
  ~Run();

  // poll --once over both accounts; fails the test on a hang.
  void once();
  // Lets every host hold run out (the recovery run is later).
  void wait_out_holds();

  StoredAccount account(bool faulty);
  std::set<std::string> stored_ids(bool faulty, bool include_deleted = false);
  // Stored ids mapped to the world ids they stand for.
  std::set<std::string> stored_world_ids(bool faulty);
  int64_t scalar(const std::string& sql);
  // How long from now the longest host hold lasts (0: none).
  DurationMs longest_hold();
  // Nothing wrong stored, for both accounts (see the top comment).
  void check_nothing_wrong();
  // The account's poll log, one line per unit, for messages.
  std::string poll_log(bool faulty);
  // "outcome | error" of the account's last unit of `work` ("poll", ...).
  std::string last_unit(bool faulty, const std::string& work);

  Family& family;
  TempDir dir;
  WarpClock clock;
  SystemRandom random{7};
  Config config;
  std::unique_ptr<Store> store;
  ConnectorRegistry registry;
  std::unique_ptr<CurlTransport> transport;
  std::unique_ptr<Engine> engine;
};

// One row: the faulty run, its checks, the recovery run and its checks.
void run_case(Family& family, const Case& c);
// Every generic row and the family's own rows. Prints each row's duration
// when MUNISCOPE_MATRIX_TIMES is set.
void run_matrix(Family& family);

}  // namespace muni::test::matrix
