// The fault matrix: for each connector family, one faulty and one healthy
// account, polled over real HTTP on loopback through the engine, the
// transport and the store. Each fault is served to the faulty account only,
// then taken away. For every fault the matrix asserts:
//
//   up        the engine finishes the run (no crash, no hang: a deadline)
//   memory    the process's resident memory stays within a bound
//   state     the faulty account's state and reason say what happened
//   healthy   the healthy account ends with exactly its world, state ok
//   stored    nothing wrong is stored: only ids the world has, valid UTF-8,
//             no negative or absurd counts, plausible dates
//   recovery  with the fault gone, one more run converges to the world
//
// docs/reliability.md lists the faults and what muniscope does with each.
#include <doctest/doctest.h>

#include <SQLiteCpp/Statement.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <functional>
#include <mutex>
#include <set>
#include <unistd.h>

#include "config/config.h"
#include "connectors/builtin.h"
#include "core/clock.h"
#include "core/strings.h"
#include "core/text_safety.h"
#include "engine/curl_transport.h"
#include "engine/engine.h"
#include "fake_platforms.h"
#include "loopback_server.h"
#include "store/store.h"
#include "test_support.h"

using namespace muni;
using namespace muni::test;

namespace {

constexpr const char* kFaultyId = "110000000000000001";
constexpr const char* kFaultyDid = "did:plc:faulty23456789abcdefghij";
constexpr const char* kHealthyDid = "did:plc:healthy3456789abcdefghij";

// Resident memory of this process, in bytes.
int64_t resident_bytes() {
  std::ifstream statm("/proc/self/statm");
  int64_t pages = 0, resident = 0;
  statm >> pages >> resident;
  return resident * sysconf(_SC_PAGESIZE);
}

// What one fault does to the requests it matches.
struct Plan {
  std::function<bool(const HttpRequest&)> match;
  // Given the request and the normal answer, the answer to send.
  std::function<HttpResponse(const HttpRequest&, HttpResponse)> respond;
  std::optional<Fault> transport;  // stall / truncation instead
  int times = -1;                  // how many matching requests it hits (-1: all)
};

class Faults {
 public:
  void set(Plan p) {
    std::lock_guard<std::mutex> lock(mu_);
    plan_ = std::move(p);
    hits_ = 0;
  }
  void clear() {
    std::lock_guard<std::mutex> lock(mu_);
    plan_.reset();
  }
  int hits() {
    std::lock_guard<std::mutex> lock(mu_);
    return hits_;
  }
  // Whether this request gets the fault; counts it.
  bool take(const HttpRequest& r, Plan* out) {
    std::lock_guard<std::mutex> lock(mu_);
    if (!plan_ || !plan_->match(r)) return false;
    if (plan_->times >= 0 && hits_ >= plan_->times) return false;
    ++hits_;
    *out = *plan_;
    return true;
  }
  HttpResponse serve(const HttpRequest& r, const std::function<HttpResponse()>& normal) {
    Plan p;
    if (!take(r, &p) || !p.respond) return normal();
    return p.respond(r, normal());
  }
  std::optional<Fault> transport_fault(const HttpRequest& r) {
    std::lock_guard<std::mutex> lock(mu_);
    if (!plan_ || !plan_->transport || !plan_->match(r)) return std::nullopt;
    if (plan_->times >= 0 && hits_ >= plan_->times) return std::nullopt;
    ++hits_;
    return plan_->transport;
  }

 private:
  std::mutex mu_;
  std::optional<Plan> plan_;
  int hits_ = 0;
};

HttpResponse body(int status, std::string text, std::vector<HttpHeader> headers = {}) {
  HttpResponse r;
  r.status = status;
  r.body = std::move(text);
  r.headers = std::move(headers);
  r.headers.push_back({"Content-Type", "application/json"});
  return r;
}

std::string replace_all(std::string s, const std::string& from, const std::string& to) {
  for (size_t at = s.find(from); at != std::string::npos; at = s.find(from, at + to.size()))
    s.replace(at, from.size(), to);
  return s;
}

bool is_mastodon_statuses(const HttpRequest& r) {
  return r.url.find("/statuses") != std::string::npos;
}
bool is_first_page(const HttpRequest& r) {
  return r.url.find("min_id=") == std::string::npos && r.url.find("max_id=") == std::string::npos;
}

// Two Mastodon instances (the faulty account alone on one, so host-wide
// waits are its own), one Bluesky AppView with both Bluesky accounts.
struct Worlds {
  Faults mastodon_faults;
  Faults bluesky_faults;
  FakeMastodon faulty_instance{""};
  FakeMastodon healthy_instance{""};
  FakeBluesky bluesky;
  LoopbackServer faulty_server{[this](const HttpRequest& r) {
    return mastodon_faults.serve(r, [&] { return faulty_instance.handle(r); });
  }};
  LoopbackServer healthy_server{[this](const HttpRequest& r) { return healthy_instance.handle(r); }};
  LoopbackServer appview{[this](const HttpRequest& r) {
    return bluesky_faults.serve(r, [&] { return bluesky.handle(r); });
  }};

  Worlds() {
    faulty_instance.set_base_url(faulty_server.base_url());
    healthy_instance.set_base_url(healthy_server.base_url());
    faulty_server.set_fault_selector(
        [this](const HttpRequest& r) { return mastodon_faults.transport_fault(r); });
    appview.set_fault_selector(
        [this](const HttpRequest& r) { return bluesky_faults.transport_fault(r); });
    const TimeMs now = SystemClock().now();
    faulty_instance.add_account("rathaus", kFaultyId, 2841);
    healthy_instance.add_account("museum", "110000000000000002", 310);
    for (int i = 0; i < 95; ++i) {
      const TimeMs t = now - (95 - i) * 5 * kHourMs;
      faulty_instance.add_status("rathaus", t, i % 9 == 8 ? PostKind::kRepost : PostKind::kOriginal,
                                 "", "109999", i % 13);
      if (i < 50) healthy_instance.add_status("museum", t, PostKind::kOriginal, "", "", i % 5);
    }
    bluesky.add_account(kFaultyDid, "faulty.stadt.example", 900);
    bluesky.add_account(kHealthyDid, "healthy.stadt.example", 90);
    for (int i = 0; i < 130; ++i) {
      const TimeMs t = now - (130 - i) * 3 * kHourMs;
      bluesky.add_post(kFaultyDid, t, i % 10 == 9 ? PostKind::kReplyOther : PostKind::kOriginal,
                       "did:plc:citizen3456789abcdefghij", i % 11);
      if (i < 40) bluesky.add_post(kHealthyDid, t, PostKind::kOriginal, "", i % 3);
    }
  }

  bool faulty_mastodon(const HttpRequest& r) const {
    return r.url.find(faulty_server.base_url()) == 0;
  }
  static bool faulty_bluesky(const HttpRequest& r) {
    return r.url.find("faulty") != std::string::npos;  // handle, DID, or URIs of its posts
  }
};

// One run of muniscope over the worlds: a fresh store, the real connectors,
// libcurl on loopback.
struct Run {
  explicit Run(Worlds& w) : worlds(w) {
    const std::string yaml =
        "defaults:\n  contact: mailto:test@example.org\n  allow_private_addresses: true\n"
        "  request_timeout: 1s\n  max_response_bytes: 1048576\n"
        "platforms:\n"
        "  mastodon: {rate_limit: {requests: 1000, per: 1s}}\n"
        "  bluesky: {base_url: " + w.appview.base_url() +
        ", rate_limit: {requests: 1000, per: 1s}}\n"
        "municipalities:\n"
        "  - id: faulty\n    name: Faulty\n    ags: \"08231000\"\n    kind: Stadt\n    state: BW\n"
        "    accounts:\n"
        "      - {platform: mastodon, handle: \"" + w.faulty_server.base_url() + "/@rathaus\"}\n"
        "      - {platform: bluesky, handle: faulty.stadt.example}\n"
        "  - id: healthy\n    name: Healthy\n    ags: \"08231000\"\n    kind: Stadt\n    state: BW\n"
        "    accounts:\n"
        "      - {platform: mastodon, handle: \"" + w.healthy_server.base_url() + "/@museum\"}\n"
        "      - {platform: bluesky, handle: healthy.stadt.example}\n";
    ConfigLoad load = load_config_from_string(yaml, "matrix.yaml");
    for (const auto& e : load.errors) FAIL(e.format());
    config = *load.config;
    store = std::move(*Store::open(dir.file("s.db"), OpenMode::kReadWrite));
    REQUIRE(store->sync_config(config, clock.now()).ok());
    registry = builtin_connectors();
    CurlTransportOptions topts = loopback_transport();
    topts.total_timeout_ms = 1000;
    topts.connect_timeout_ms = 1000;
    topts.max_response_bytes = config.defaults.max_response_bytes;
    transport = std::make_unique<CurlTransport>(topts);
    EngineOptions options = EngineOptions::from_config(config);
    options.once_backoff = BackoffPolicy{50, 200, 20};
    options.once_max_attempts = 2;
    options.max_rate_limit_retries = 2;
    engine = std::make_unique<Engine>(clock, random, *transport, *store, registry, options);
    REQUIRE(engine->load(config).ok());
  }

  // poll --once over every account; fails the test on a hang.
  void once() {
    std::vector<int64_t> ids;
    for (const auto& a : *store->load_accounts(true)) ids.push_back(a.id);
    engine->start_once(ids, true);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (!engine->once_finished()) {
      REQUIRE_MESSAGE(std::chrono::steady_clock::now() < deadline, "the run did not finish");
      engine->step(200);
    }
  }

  StoredAccount account(const std::string& key) { return *store->find_account(key); }
  std::string mastodon_key(bool faulty) {
    return "mastodon:" + (faulty ? worlds.faulty_server.base_url() + "/@rathaus"
                                 : worlds.healthy_server.base_url() + "/@museum");
  }
  static std::string bluesky_key(bool faulty) {
    return std::string("bluesky:") + (faulty ? "faulty" : "healthy") + ".stadt.example";
  }

  std::set<std::string> stored_ids(const std::string& key, bool include_deleted = false) {
    SQLite::Statement q(store->db(),
                        std::string("SELECT platform_post_id FROM posts WHERE account_id = ?") +
                            (include_deleted ? "" : " AND deleted_at IS NULL"));
    q.bind(1, account(key).id);
    std::set<std::string> out;
    while (q.executeStep()) out.insert(q.getColumn(0).getString());
    return out;
  }
  int64_t scalar(const std::string& sql) { return store->db().execAndGet(sql).getInt64(); }

  // Nothing wrong stored, for every account: ids from the worlds only, valid
  // UTF-8, no negative or absurd counts, no implausible dates.
  void check_nothing_wrong(const std::set<std::string>& all_world_ids) {
    SQLite::Statement q(store->db(), "SELECT platform_post_id, text, created_at FROM posts");
    while (q.executeStep()) {
      const std::string id = q.getColumn(0).getString();
      CHECK_MESSAGE(all_world_ids.count(id), "stored an id the world does not have: " << id);
      CHECK(is_valid_utf8(q.getColumn(1).isNull() ? "" : q.getColumn(1).getString()));
      CHECK(q.getColumn(2).getInt64() > test::at("2015-01-01T00:00:00Z"));
      CHECK(q.getColumn(2).getInt64() < clock.now() + kDayMs);
    }
    for (const char* c : {"likes", "replies", "reposts", "quotes", "views"}) {
      CHECK(scalar(std::string("SELECT COUNT(*) FROM posts WHERE ") + c + " < 0 OR " + c +
                   " > 1000000000000") == 0);
    }
    CHECK(scalar("SELECT COUNT(*) FROM account_samples WHERE followers < 0") == 0);
    CHECK(store->db().execAndGet("PRAGMA integrity_check").getString() == "ok");
  }

  Worlds& worlds;
  TempDir dir;
  SystemClock clock;
  SystemRandom random{7};
  Config config;
  std::unique_ptr<Store> store;
  ConnectorRegistry registry;
  std::unique_ptr<CurlTransport> transport;
  std::unique_ptr<Engine> engine;
};

struct Case {
  std::string name;
  Plan plan;
  // States the faulty account may be in after the faulty run ("" = any).
  std::vector<std::string> states;
  std::string reason;  // a piece of its state reason (or history note), "" = none required
  // Further checks after the faulty run.
  std::function<void(Run&)> check;
  bool converges_during_fault = false;  // the fault is absorbed: world complete already
  // Items the fault made unreadable are skipped for good (reported, not
  // stored): the account may end this many short of its world.
  int may_miss = 0;
};

std::set<std::string> as_set(const std::vector<std::string>& v) { return {v.begin(), v.end()}; }

void run_case(Worlds& w, const Case& c, bool mastodon) {
  CAPTURE(c.name);
  Faults& faults = mastodon ? w.mastodon_faults : w.bluesky_faults;
  const int64_t rss_before = resident_bytes();
  Run run(w);
  faults.set(c.plan);
  run.once();
  faults.clear();
  const int64_t rss_growth = resident_bytes() - rss_before;
#ifndef __SANITIZE_ADDRESS__
  // (Under AddressSanitizer freed memory stays in its quarantine by design,
  // so resident memory says nothing there.)
  CHECK_MESSAGE(rss_growth < 96LL * 1024 * 1024, "resident memory grew by " << rss_growth);
#else
  (void)rss_growth;
#endif

  const std::string faulty = mastodon ? run.mastodon_key(true) : Run::bluesky_key(true);
  const std::string healthy = mastodon ? run.mastodon_key(false) : Run::bluesky_key(false);
  const std::set<std::string> faulty_world =
      mastodon ? as_set(w.faulty_instance.ids("rathaus")) : as_set(w.bluesky.ids(kFaultyDid));
  const std::set<std::string> healthy_world =
      mastodon ? as_set(w.healthy_instance.ids("museum")) : as_set(w.bluesky.ids(kHealthyDid));
  std::set<std::string> all = faulty_world;
  all.insert(healthy_world.begin(), healthy_world.end());
  const std::set<std::string> other_world = mastodon ? as_set(w.bluesky.ids(kFaultyDid))
                                                     : as_set(w.faulty_instance.ids("rathaus"));
  all.insert(other_world.begin(), other_world.end());
  for (const auto& id : w.bluesky.ids(kHealthyDid)) all.insert(id);
  for (const auto& id : w.healthy_instance.ids("museum")) all.insert(id);

  if (faults.hits() == 0) {
    SQLite::Statement log(run.store->db(),
                          "SELECT work, outcome, IFNULL(error, ''), requests FROM poll_log WHERE "
                          "account_id = ?");
    log.bind(1, run.account(mastodon ? run.mastodon_key(true) : Run::bluesky_key(true)).id);
    while (log.executeStep()) {
      MESSAGE(log.getColumn(0).getString() << " " << log.getColumn(1).getString() << " "
                                           << log.getColumn(2).getString() << " "
                                           << log.getColumn(3).getInt());
    }
  }
  CHECK_MESSAGE(faults.hits() > 0, "the fault never hit");
  const StoredAccount a = run.account(faulty);
  if (!c.states.empty()) {
    CHECK_MESSAGE(std::find(c.states.begin(), c.states.end(), a.state_id()) != c.states.end(),
                  "state " << a.state_id() << " (" << a.runtime.state_reason << ")");
  }
  if (!c.reason.empty()) {
    CHECK_MESSAGE((a.runtime.state_reason + " | " + a.history_note).find(c.reason) != std::string::npos,
                  "reason: " << a.runtime.state_reason << " | note: " << a.history_note);
  }
  // What is shown never carries control characters from the server.
  CHECK(printable(a.runtime.state_reason, 100000) == a.runtime.state_reason);
  CHECK(run.account(healthy).state_id() == "ok");
  CHECK(run.stored_ids(healthy) == healthy_world);
  run.check_nothing_wrong(all);
  if (c.check) c.check(run);
  if (c.converges_during_fault) CHECK(run.stored_ids(faulty) == faulty_world);

  // The fault is gone: one more run brings the faulty account to its world.
  run.once();
  const StoredAccount after = run.account(faulty);
  CHECK_MESSAGE(after.state_id() == "ok", "after recovery: " << after.state_id() << " (" << after.runtime.state_reason << ")");
  const std::set<std::string> stored = run.stored_ids(faulty);
  if (after.backfill_state != BackfillState::kIncomplete) {
    CHECK(std::includes(faulty_world.begin(), faulty_world.end(), stored.begin(), stored.end()));
    CHECK(stored.size() + static_cast<size_t>(c.may_miss) >= faulty_world.size());
    if (c.may_miss == 0) CHECK(stored == faulty_world);
  }
  run.check_nothing_wrong(all);
}

// Mutates every status of a Mastodon statuses page with `f`.
Plan mastodon_body(std::function<std::string(std::string)> f, int times = -1) {
  Plan p;
  p.match = is_mastodon_statuses;
  p.respond = [f](const HttpRequest&, HttpResponse r) {
    r.body = f(r.body);
    return r;
  };
  p.times = times;
  return p;
}

Plan answer(std::function<bool(const HttpRequest&)> match, HttpResponse r, int times = -1) {
  Plan p;
  p.match = std::move(match);
  p.respond = [r](const HttpRequest&, HttpResponse) { return r; };
  p.times = times;
  return p;
}

// `own_host`: the faulty account is alone on its host. A persistent 429 is
// the host's condition (platforms limit per IP), so it is tried only there;
// on a shared AppView it would rightly hold the healthy account as well.
std::vector<Case> shared_cases(std::function<bool(const HttpRequest&)> any_request,
                               std::function<bool(const HttpRequest&)> page_request,
                               bool own_host) {
  std::vector<Case> cases;
  cases.push_back({"429 with Retry-After", answer(any_request, body(429, "{}", {{"Retry-After", "1"}}), 2),
                   {"ok"}, "", nullptr, true});
  if (own_host) {
    cases.push_back({"429 without any header, persistently",
                     answer(any_request, body(429, "{\"error\":\"Too many requests\"}")),
                     {"rate_limited"}, "rate-limited by ", nullptr});
  }
  cases.push_back({"429 with an absurd Retry-After",
                   answer(any_request, body(429, "{}", {{"Retry-After", "9223372036854775807"}}), 1),
                   {"ok"}, "", nullptr, true});
  cases.push_back({"503 with Retry-After", answer(any_request, body(503, "", {{"Retry-After", "1"}}), 1),
                   {"ok"}, "", nullptr, true});
  cases.push_back({"a burst of 500s", answer(any_request, body(500, "{\"error\":\"boom\"}"), 6),
                   {"backing_off"}, "HTTP 500", nullptr});
  Plan reset;
  reset.match = page_request;
  reset.transport = Fault{Fault::Kind::kTruncate, 200, {}, "", 0};
  cases.push_back({"connection reset mid-body", reset, {"backing_off"}, "", nullptr});
  Plan stall;
  stall.match = any_request;
  stall.transport = Fault{Fault::Kind::kStall, 200, {}, "", 1800};
  stall.times = 4;
  cases.push_back({"a stall beyond the request timeout", stall, {"backing_off", "ok"}, "", nullptr});
  cases.push_back({"HTML with status 200",
                   answer(page_request, body(200, "<html><body>Wartungsarbeiten</body></html>")),
                   {"degraded"}, "HTML or XML where JSON was expected", nullptr});
  cases.push_back({"JSON nested 150,000 deep",
                   answer(page_request, body(200, std::string(150000, '['))), {"degraded"},
                   "nested deeper", nullptr});
  Plan truncated;
  truncated.match = page_request;
  truncated.respond = [](const HttpRequest&, HttpResponse r) {
    r.body = r.body.substr(0, r.body.size() / 2);
    return r;
  };
  cases.push_back({"JSON cut off in the middle", truncated, {"degraded"}, "invalid JSON", nullptr});
  Plan bomb;
  bomb.match = page_request;
  bomb.respond = [](const HttpRequest&, HttpResponse r) {
    r.body = "[" + std::string(24 * 1024 * 1024, ' ') + "]";  // compressed on the wire
    return r;
  };
  cases.push_back({"compression bomb (24 MiB of spaces, gzip or br on the wire)", bomb,
                   {"backing_off"}, "larger than", nullptr});
  Plan big;
  big.match = page_request;
  big.respond = [](const HttpRequest&, HttpResponse r) {
    std::string noise(8 * 1024 * 1024, ' ');
    uint32_t x = 2463534242u;
    for (char& ch : noise) {  // xorshift: does not compress
      x ^= x << 13;
      x ^= x >> 17;
      x ^= x << 5;
      ch = static_cast<char>('a' + x % 26);
    }
    r.body = "\"" + noise + "\"";
    return r;
  };
  cases.push_back({"oversized body (8 MiB, incompressible)", big, {"backing_off"}, "larger than", nullptr});
  Plan loop;
  loop.match = any_request;
  loop.respond = [](const HttpRequest& req, HttpResponse) {
    return body(302, "", {{"Location", req.url}});
  };
  cases.push_back({"a redirect loop", loop, {"refused"}, "more than 5 redirects", nullptr});
  cases.push_back({"a redirect to another host",
                   answer(any_request, body(302, "", {{"Location", "http://evil.example/steal"}})),
                   {"refused"}, "another host (evil.example)", nullptr});
  return cases;
}

}  // namespace

TEST_CASE("fault matrix: Mastodon, one faulty and one healthy account") {
  Worlds w;
  auto faulty = [&w](const HttpRequest& r) { return w.faulty_mastodon(r); };
  auto pages = [&w](const HttpRequest& r) { return w.faulty_mastodon(r) && is_mastodon_statuses(r); };
  std::vector<Case> cases = shared_cases(faulty, pages, true);

  Plan empty_first;
  empty_first.match = [&w](const HttpRequest& r) {
    return w.faulty_mastodon(r) && is_mastodon_statuses(r) && is_first_page(r);
  };
  empty_first.respond = [](const HttpRequest&, HttpResponse r) {
    r.body = "[]";
    r.headers.clear();
    return r;
  };
  cases.push_back({"an empty first statuses page (finding 1)", empty_first, {"ok"}, "empty",
                   [](Run& run) {
                     CHECK(run.account(run.mastodon_key(true)).backfill_state ==
                           BackfillState::kPending);
                   }});
  cases.push_back({"absurd counts 1e300, 2^64-1, -5 (finding 5)",
                   mastodon_body([](std::string b) {
                     b = replace_all(b, "\"favourites_count\":", "\"favourites_count\":1e300,\"x\":");
                     b = replace_all(b, "\"reblogs_count\":", "\"reblogs_count\":18446744073709551615,\"y\":");
                     return replace_all(b, "\"replies_count\":", "\"replies_count\":-5,\"z\":");
                   }),
                   {"ok"}, "",
                   [](Run& run) {
                     // Every count of those posts was absurd: all stored as unknown.
                     CHECK(run.scalar("SELECT COUNT(*) FROM posts WHERE quality & 4 AND (likes "
                                      "IS NOT NULL OR replies IS NOT NULL OR reposts IS NOT "
                                      "NULL)") == 0);
                     CHECK(run.scalar("SELECT COUNT(*) FROM posts WHERE quality & 4") > 0);
                   },
                   true});
  cases.push_back({"invalid UTF-8 and NUL in texts (finding 6)",
                   mastodon_body([](std::string b) {
                     return replace_all(b, "Meldung", std::string("Meld\xFF\xFEung\\u0000"));
                   }),
                   {"ok"}, "",
                   [](Run& run) { CHECK(run.scalar("SELECT COUNT(*) FROM posts WHERE quality & 1") > 0); },
                   true});
  cases.push_back({"implausible dates 0001-01-01 (finding 7)",
                   mastodon_body([](std::string b) {
                     return replace_all(b, "\"created_at\":\"20", "\"created_at\":\"00");
                   }),
                   {"ok"}, "",
                   [](Run& run) { CHECK(run.scalar("SELECT COUNT(*) FROM posts WHERE quality & 2") > 0); },
                   true});
  cases.push_back({"a status without id and one with a lone surrogate (finding 14)",
                   mastodon_body([](std::string b) {
                     if (b.size() > 2) b.replace(1, 6, "{\"xid\":");  // the first status loses its id
                     return replace_all(b, "Meldung", "Meldung \\ud800");
                   }, 2),
                   {"ok"}, "",
                   [](Run& run) {
                     CHECK(run.scalar("SELECT SUM(items_skipped) FROM poll_log") >= 1);
                     CHECK(run.scalar("SELECT COUNT(*) FROM posts") > 100);
                   },
                   false, 2});
  cases.push_back({"numbers as strings, missing and extra fields",
                   mastodon_body([](std::string b) {
                     b = replace_all(b, "\"favourites_count\":", "\"favourites_count\":\"7\",\"f\":");
                     b = replace_all(b, "\"content\":", "\"x_extra\":{\"deep\":[1,[2,[3]]]},\"old_content\":");
                     return replace_all(b, "\"language\":\"de\",", "");
                   }),
                   {"ok"}, "", nullptr, true});
  cases.push_back({"an entity bomb: 2 million '&' in one post (finding 12)",
                   mastodon_body([](std::string b) {
                     const size_t at = b.find("<p>Meldung");
                     if (at != std::string::npos) b.insert(at + 3, std::string(2'000'000, '&'));
                     return b;
                   }, 1),
                   {"ok"}, "", nullptr, true});
  Plan ignores_max_id;
  ignores_max_id.match = [&w](const HttpRequest& r) {
    return w.faulty_mastodon(r) && r.url.find("max_id=") != std::string::npos;
  };
  ignores_max_id.respond = [&w](const HttpRequest& r, HttpResponse) {
    HttpRequest first = r;
    first.url = r.url.substr(0, r.url.find("&max_id="));
    return w.faulty_instance.handle(first);  // the newest page, again
  };
  cases.push_back({"a server that ignores max_id (finding 13)", ignores_max_id, {"ok"},
                   "ignores max_id", [](Run& run) {
                     CHECK(run.account(run.mastodon_key(true)).backfill_state ==
                           BackfillState::kIncomplete);
                   }});
  Plan duplicates;
  duplicates.match = [&w](const HttpRequest& r) {
    return w.faulty_mastodon(r) && r.url.find("max_id=") != std::string::npos;
  };
  duplicates.respond = [&w](const HttpRequest& r, HttpResponse normal) {
    // Every backfill page also carries the newest status (already stored).
    HttpRequest first = r;
    first.url = r.url.substr(0, r.url.find("&max_id=")) ;
    const std::string newest = w.faulty_instance.handle(first).body;
    const size_t end = newest.find("},{\"id\"");
    if (normal.body.size() > 2 && end != std::string::npos)
      normal.body = normal.body.substr(0, normal.body.size() - 1) + "," + newest.substr(1, end) + "]";
    return normal;
  };
  cases.push_back({"the same status on several pages", duplicates, {"ok"}, "", nullptr, true});
  Plan offhost_link;
  offhost_link.match = pages;
  offhost_link.respond = [](const HttpRequest&, HttpResponse r) {
    for (HttpHeader& h : r.headers) {
      if (iequals(h.name, "Link")) h.value = replace_all(h.value, "http://127.0.0.1", "http://evil.example");
    }
    return r;
  };
  cases.push_back({"Link headers pointing to another host", offhost_link, {"ok"}, "", nullptr, true});
  cases.push_back({"a 404 body with a newline, a fake log line and escapes (finding 17)",
                   answer(faulty,
                          body(404, "{\"error\":\"gone\\n2026-01-01 [info] all fine\\u001b[2J\\u0007\"}")),
                   {"backing_off", "not_found"}, "\\n2026-01-01 [info] all fine\\x1b[2J", nullptr});
  Plan moved;
  moved.match = [&w](const HttpRequest& r) {
    return w.faulty_mastodon(r) && r.url.find("/statuses") == std::string::npos &&
           r.url.find("/api/v1/accounts/") != std::string::npos;
  };
  moved.respond = [](const HttpRequest&, HttpResponse r) {
    const size_t close = r.body.rfind('}');
    r.body.insert(close, ",\"moved\":{\"id\":\"9\",\"username\":\"stadt\",\"acct\":\"stadt@evil.example\","
                         "\"url\":\"http://evil.example/@stadt\",\"uri\":\"http://evil.example/users/stadt\"}");
    return r;
  };
  cases.push_back({"a move to an unverified host (finding 4)", moved, {"ok"}, "", [](Run& run) {
                     CHECK(run.scalar("SELECT COUNT(*) FROM account_events WHERE kind = "
                                      "'move_unverified'") == 1);
                   }, true});
  Plan empty_refresh;
  empty_refresh.match = [&w](const HttpRequest& r) {
    return w.faulty_mastodon(r) && is_mastodon_statuses(r) && is_first_page(r);
  };
  auto calls = std::make_shared<int>(0);
  empty_refresh.respond = [calls](const HttpRequest&, HttpResponse r) {
    // The first poll's first page is served; the refresh gets [].
    if ((*calls)++ == 0) return r;
    r.body = "[]";
    r.headers.clear();
    return r;
  };
  cases.push_back({"an empty refresh answer marks nothing deleted (finding 2)", empty_refresh, {"ok"},
                   "", [](Run& run) {
                     CHECK(run.scalar("SELECT COUNT(*) FROM posts WHERE deleted_at IS NOT NULL") == 0);
                   }, true});

  for (const Case& c : cases) run_case(w, c, true);
}

TEST_CASE("fault matrix: Bluesky, one faulty and one healthy account on one AppView") {
  Worlds w;
  auto faulty = [](const HttpRequest& r) { return Worlds::faulty_bluesky(r); };
  auto feeds = [](const HttpRequest& r) {
    return Worlds::faulty_bluesky(r) && r.url.find("getAuthorFeed") != std::string::npos;
  };
  std::vector<Case> cases = shared_cases(faulty, feeds, false);
  auto feed_body = [feeds](std::function<std::string(std::string)> f, int times = -1) {
    Plan p;
    p.match = feeds;
    p.respond = [f](const HttpRequest&, HttpResponse r) {
      r.body = f(r.body);
      return r;
    };
    p.times = times;
    return p;
  };
  Plan empty_first;
  empty_first.match = [feeds](const HttpRequest& r) {
    return feeds(r) && r.url.find("cursor=") == std::string::npos;
  };
  empty_first.respond = [](const HttpRequest&, HttpResponse r) {
    r.body = "{\"feed\":[]}";
    return r;
  };
  cases.push_back({"an empty first feed page", empty_first, {"ok"}, "empty", [](Run& run) {
                     CHECK(run.account(Run::bluesky_key(true)).backfill_state ==
                           BackfillState::kPending);
                   }});
  Plan empty_get_posts;
  empty_get_posts.match = [](const HttpRequest& r) {
    return Worlds::faulty_bluesky(r) && r.url.find("getPosts") != std::string::npos;
  };
  empty_get_posts.respond = [](const HttpRequest&, HttpResponse r) {
    r.body = "{\"posts\":[]}";
    return r;
  };
  cases.push_back({"an empty getPosts answer marks nothing deleted (finding 2)", empty_get_posts,
                   {"ok"}, "", [](Run& run) {
                     CHECK(run.scalar("SELECT COUNT(*) FROM posts WHERE deleted_at IS NOT NULL") == 0);
                     CHECK(run.scalar("SELECT COUNT(*) FROM posts WHERE missing_count = 1") > 0);
                   }, true});
  Plan circling;
  circling.match = [feeds](const HttpRequest& r) {
    return feeds(r) && r.url.find("cursor=") != std::string::npos;
  };
  auto n = std::make_shared<int>(0);
  circling.respond = [&w, n](const HttpRequest& r, HttpResponse) {
    // Always the newest page again, under a new cursor each time.
    HttpRequest first = r;
    first.url = r.url.substr(0, r.url.find("&cursor="));
    HttpResponse page = w.bluesky.handle(first);
    page.body = replace_all(page.body, "\"cursor\":\"", "\"cursor\":\"c" + std::to_string((*n)++) + "-");
    return page;
  };
  cases.push_back({"a cursor that goes in circles (finding 13)", circling, {"ok"}, "", [](Run& run) {
                     const StoredAccount a = run.account(Run::bluesky_key(true));
                     CHECK(a.backfill_state == BackfillState::kIncomplete);
                   }});
  cases.push_back({"absurd counts", feed_body([](std::string b) {
                     return replace_all(b, "\"likeCount\":", "\"likeCount\":-7,\"x\":");
                   }), {"ok"}, "", nullptr, true});
  cases.push_back({"invalid UTF-8 in texts", feed_body([](std::string b) {
                     return replace_all(b, "Beitrag", "Beit\xC3rag");
                   }), {"ok"}, "", nullptr, true});
  cases.push_back({"backdated createdAt 0001-01-01 (finding 7)", feed_body([](std::string b) {
                     return replace_all(b, "\"createdAt\":\"20", "\"createdAt\":\"00");
                   }), {"ok"}, "", [](Run& run) {
                     CHECK(run.scalar("SELECT COUNT(*) FROM posts WHERE quality & 2") > 0);
                   }, true});
  cases.push_back({"an unreadable feed entry (finding 14)", feed_body([](std::string b) {
                     const size_t at = b.find("{\"post\":");
                     if (at != std::string::npos) b.replace(at, 8, "{\"p0st\":");
                     return b;
                   }, 1), {"ok"}, "", [](Run& run) {
                     CHECK(run.scalar("SELECT SUM(items_skipped) FROM poll_log") >= 1);
                   }, false, 1});
  Plan reset_just_past;
  reset_just_past.match = faulty;
  reset_just_past.times = 1;
  reset_just_past.respond = [](const HttpRequest&, HttpResponse) {
    const TimeMs now = SystemClock().now();
    return body(429, "{\"error\":\"RateLimitExceeded\"}",
                {{"RateLimit-Limit", "3000"},
                 {"RateLimit-Remaining", "0"},
                 {"RateLimit-Reset", std::to_string(now / 1000)},
                 {"RateLimit-Policy", "3000;w=300"}});
  };
  cases.push_back({"a 429 whose RateLimit-Reset has just passed", reset_just_past, {"ok"}, "",
                   nullptr, true});

  for (const Case& c : cases) run_case(w, c, false);
}
