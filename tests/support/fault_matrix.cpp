#include "fault_matrix.h"

#include <doctest/doctest.h>

#include <SQLiteCpp/Statement.h>

#include <malloc.h>
#include <unistd.h>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "connectors/builtin.h"
#include "core/strings.h"
#include "core/text_safety.h"

namespace muni::test::matrix {

namespace {

// Memory this process holds in live allocations, in bytes. Not resident
// memory: the fake servers run in this process too, and the allocator keeps
// the pages of their freed 8 MiB answers (one copy per thread arena), which
// says nothing about what the engine kept.
int64_t live_heap_bytes() {
  const struct mallinfo2 m = mallinfo2();
  return static_cast<int64_t>(m.uordblks + m.hblkhd);
}

bool is_validator(const HttpHeader& h) {
  return iequals(h.name, "ETag") || iequals(h.name, "Last-Modified");
}

// Noise that does not compress, so that the transfer itself is large.
// Made once: a server slow to make its answer would look like a stall.
const std::string& incompressible_8mib() {
  static const std::string noise = [] {
    std::string n(8 * 1024 * 1024, ' ');
    uint32_t x = 2463534242u;
    for (char& ch : n) {  // xorshift
      x ^= x << 13;
      x ^= x >> 17;
      x ^= x << 5;
      ch = static_cast<char>('a' + x % 26);
    }
    return n;
  }();
  return noise;
}

// The longest a host may be held after any row: the 15 min cap on what a
// server announces, or the hint-less backoff at its cap plus its jitter
// (a fifth). Beyond that a host is parked, whatever the headers said.
constexpr DurationMs kLongestHold = 15 * kMinuteMs + 3 * kMinuteMs + 5 * kSecondMs;

}  // namespace

// --- Faults -----------------------------------------------------------------

void Faults::set(Plan p) {
  std::lock_guard<std::mutex> lock(mu_);
  plan_ = std::move(p);
  hits_ = 0;
}

void Faults::clear() {
  std::lock_guard<std::mutex> lock(mu_);
  plan_.reset();
}

int Faults::hits() {
  std::lock_guard<std::mutex> lock(mu_);
  return hits_;
}

bool Faults::take(const HttpRequest& r, Plan* out) {
  std::lock_guard<std::mutex> lock(mu_);
  if (!plan_ || !plan_->respond || !plan_->match(r)) return false;
  if (plan_->times >= 0 && hits_ >= plan_->times) return false;
  ++hits_;
  *out = *plan_;
  return true;
}

HttpResponse Faults::serve(const HttpRequest& r, const std::function<HttpResponse()>& honest) {
  Plan p;
  if (!take(r, &p)) return honest();
  HttpResponse out = p.respond(r, honest());
  std::erase_if(out.headers, is_validator);
  return out;
}

std::optional<Fault> Faults::transport_fault(const HttpRequest& r) {
  std::lock_guard<std::mutex> lock(mu_);
  if (!plan_ || !plan_->transport || !plan_->match(r)) return std::nullopt;
  if (plan_->times >= 0 && hits_ >= plan_->times) return std::nullopt;
  ++hits_;
  return plan_->transport;
}

HttpResponse json_answer(int status, std::string text, std::vector<HttpHeader> headers) {
  HttpResponse r;
  r.status = status;
  r.body = std::move(text);
  r.headers = std::move(headers);
  r.headers.push_back({"Content-Type", "application/json"});
  return r;
}

Plan answer(std::function<bool(const HttpRequest&)> match, HttpResponse r, int times) {
  Plan p;
  p.match = std::move(match);
  p.respond = [r](const HttpRequest&, HttpResponse) { return r; };
  p.times = times;
  return p;
}

Plan rewrite(std::function<bool(const HttpRequest&)> match,
             std::function<std::string(std::string)> f, int times) {
  Plan p;
  p.match = std::move(match);
  p.respond = [f](const HttpRequest&, HttpResponse r) {
    r.body = f(std::move(r.body));
    return r;
  };
  p.times = times;
  return p;
}

std::string replace_all(std::string s, const std::string& from, const std::string& to) {
  for (size_t at = s.find(from); at != std::string::npos; at = s.find(from, at + to.size()))
    s.replace(at, from.size(), to);
  return s;
}

std::string replace_each(const std::string& s, const std::string& re,
                         const std::function<std::string(const std::smatch&, int)>& f) {
  const std::regex pattern(re);
  std::string out;
  size_t last = 0;
  int n = 0;
  for (auto it = std::sregex_iterator(s.begin(), s.end(), pattern); it != std::sregex_iterator();
       ++it) {
    out.append(s, last, static_cast<size_t>(it->position()) - last);
    out += f(*it, n++);
    last = static_cast<size_t>(it->position() + it->length());
  }
  out.append(s, last, std::string::npos);
  return out;
}

Case row(std::string name, Plan plan, std::vector<std::string> states, std::string reason,
         std::function<void(Run&)> check, bool converges_during_fault, int may_miss) {
  Case c;
  c.name = std::move(name);
  c.plan = std::move(plan);
  c.expect.states = std::move(states);
  c.expect.reason = std::move(reason);
  c.expect.check = std::move(check);
  c.expect.converges_during_fault = converges_during_fault;
  c.expect.may_miss = may_miss;
  return c;
}

// --- Generic rows -----------------------------------------------------------

const std::vector<GenericRow>& all_generic_rows() {
  static const std::vector<GenericRow> rows = {
      GenericRow::k429RetryAfter,
      GenericRow::k429NoHint,
      GenericRow::k429ZeroForever,
      GenericRow::k429AbsurdOnce,
      GenericRow::k429AbsurdForever,
      GenericRow::k503RetryAfter,
      GenericRow::k500Burst,
      GenericRow::kConnectionReset,
      GenericRow::kStall,
      GenericRow::kEmpty,
      GenericRow::kTruncated,
      GenericRow::kCompressionBomb,
      GenericRow::kOversized,
      GenericRow::kHtml,
      GenericRow::kDeepNesting,
      GenericRow::kAbsurdCounts,
      GenericRow::kCountOverflow,
      GenericRow::kFutureDates,
      GenericRow::kAncientDates,
      GenericRow::kCollidingIds,
      GenericRow::kRepeatingCursor,
      GenericRow::kCirclingCursor,
      GenericRow::kRedirectLoop,
      GenericRow::kRedirectOffHost,
  };
  return rows;
}

std::string generic_name(GenericRow row) {
  switch (row) {
    case GenericRow::k429RetryAfter:
      return "429 with Retry-After";
    case GenericRow::k429NoHint:
      return "429 without any header, persistently";
    case GenericRow::k429ZeroForever:
      return "429 forever with Retry-After 0 or a date in the past";
    case GenericRow::k429AbsurdOnce:
      return "429 with an absurd Retry-After";
    case GenericRow::k429AbsurdForever:
      return "429 forever with absurd Retry-After, X-RateLimit-Reset and RateLimit-Policy w=86400";
    case GenericRow::k503RetryAfter:
      return "503 with Retry-After";
    case GenericRow::k500Burst:
      return "a burst of 500s";
    case GenericRow::kConnectionReset:
      return "connection reset mid-body";
    case GenericRow::kStall:
      return "a stall beyond the request timeout";
    case GenericRow::kEmpty:
      return "an empty first page of items";
    case GenericRow::kTruncated:
      return "an answer cut off in the middle";
    case GenericRow::kCompressionBomb:
      return "compression bomb (16 MiB of spaces, gzip or br on the wire)";
    case GenericRow::kOversized:
      return "oversized body (8 MiB, incompressible)";
    case GenericRow::kHtml:
      return "HTML with status 200";
    case GenericRow::kDeepNesting:
      return "nested 150,000 deep";
    case GenericRow::kAbsurdCounts:
      return "absurd counts 1e300, 2^64-1, -5 (finding 5)";
    case GenericRow::kCountOverflow:
      return "count overflow: 99999999999999999999 and -5";
    case GenericRow::kFutureDates:
      return "future dates 9999-12-31";
    case GenericRow::kAncientDates:
      return "ancient dates 0001-01-01 (finding 7)";
    case GenericRow::kCollidingIds:
      return "colliding ids: two items with one id";
    case GenericRow::kRepeatingCursor:
      return "a repeating cursor";
    case GenericRow::kCirclingCursor:
      return "a cursor that goes in circles (finding 13)";
    case GenericRow::kRedirectLoop:
      return "a redirect loop";
    case GenericRow::kRedirectOffHost:
      return "a redirect to another host";
  }
  return "?";
}

namespace {

// Accounts on the faulty account's host: what a host-wide fault refuses.
int accounts_on_host(Family& f) { return f.shares_host() ? 2 : 1; }

// The default expectation of a generic row: what a connector should do
// unless its family says why it differs.
Expect default_expect(GenericRow row, Format format) {
  const bool json = format == Format::kJson;
  Expect e;
  switch (row) {
    case GenericRow::k429RetryAfter:
    case GenericRow::k429AbsurdOnce:
    case GenericRow::k503RetryAfter:
      e.states = {"ok"};
      e.converges_during_fault = true;
      break;
    case GenericRow::k429NoHint:
      e.states = {"rate_limited"};
      e.reason = "rate-limited by ";
      break;
    case GenericRow::k429ZeroForever:
      e.states = {"rate_limited"};
      e.reason = "rate-limited by ";
      e.check = [](Run& run) {
        // 1,344 requests a minute once: now every 429 pauses the host for
        // the hint-less backoff (30 s, then 60 s), so one poll --once asks
        // twice, and still holds the host when it ends.
        CHECK(run.family.faults().hits() <= 3 * accounts_on_host(run.family));
        CHECK(run.longest_hold() > 20 * kSecondMs);
      };
      break;
    case GenericRow::k429AbsurdForever:
      e.states = {"rate_limited"};
      e.reason = "rate-limited by ";
      e.check = [](Run& run) {
        // The reset "tomorrow" and the day-long window are capped at 15 min.
        const DurationMs hold = run.longest_hold();
        CHECK_MESSAGE(hold <= 15 * kMinuteMs + 2 * kSecondMs, "held for " << hold / 1000 << " s");
        CHECK(hold > 0);
        CHECK(run.family.faults().hits() <= 3 * accounts_on_host(run.family));
      };
      break;
    case GenericRow::k500Burst:
      e.states = {"backing_off"};
      e.reason = "HTTP 500";
      break;
    case GenericRow::kConnectionReset:
      e.states = {"backing_off"};
      break;
    case GenericRow::kStall:
      e.states = {"backing_off", "ok"};
      break;
    case GenericRow::kEmpty:
      e.states = {"ok"};
      break;
    case GenericRow::kTruncated:
      e.states = {"degraded"};
      e.reason = json ? "invalid JSON" : "invalid XML";
      break;
    case GenericRow::kHtml:
      e.states = {"degraded"};
      e.reason = json ? "HTML or XML where JSON was expected" : "an HTML page";
      break;
    case GenericRow::kDeepNesting:
      e.states = {"degraded"};
      e.reason = json ? "nested deeper" : "invalid XML";
      break;
    case GenericRow::kCompressionBomb:
      // Cut at max_response_bytes after decompression. On a loaded machine
      // the server may take longer than the request timeout to compress its
      // bomb: cut by the timeout then, which is as good.
      e.states = {"backing_off"};
      e.check = [](Run& run) {
        const std::string poll = run.last_unit(true, "poll");
        CHECK_MESSAGE((poll.find("larger than 1048576 bytes") != std::string::npos ||
                       poll.find("Timeout was reached") != std::string::npos),
                      poll);
      };
      break;
    case GenericRow::kOversized:
      e.states = {"backing_off"};
      e.reason = "larger than";
      break;
    case GenericRow::kAbsurdCounts:
    case GenericRow::kCountOverflow:
      e.states = {"ok"};
      e.converges_during_fault = true;
      e.check = [](Run& run) {
        // The page guard stores every such count as unknown, and says so.
        CHECK(run.scalar("SELECT COUNT(*) FROM posts WHERE quality & 4") > 0);
      };
      break;
    case GenericRow::kFutureDates:
    case GenericRow::kAncientDates:
      e.states = {"ok"};
      e.converges_during_fault = true;
      e.check = [](Run& run) {
        CHECK(run.scalar("SELECT COUNT(*) FROM posts WHERE quality & 2") > 0);
      };
      break;
    case GenericRow::kCollidingIds:
      // One id, two items: one of them is stored under it. The other is not
      // read again once the account's history is complete.
      e.states = {"ok"};
      e.may_miss = 1;
      break;
    case GenericRow::kRepeatingCursor:
    case GenericRow::kCirclingCursor:
      // Stopped: by the connector (the cursor came back, the page was not
      // older) or by the engine's per-unit guard (a request sent twice:
      // no_progress, degraded). Backfill ends incomplete, and says why.
      e.states = {"ok", "degraded"};
      e.may_miss = kHistoryStopped;
      e.check = [](Run& run) {
        const StoredAccount a = run.account(true);
        CHECK(a.backfill_state == BackfillState::kIncomplete);
        CHECK(!a.history_note.empty());
      };
      break;
    case GenericRow::kRedirectLoop:
      e.states = {"refused"};
      e.reason = "more than 5 redirects";
      break;
    case GenericRow::kRedirectOffHost:
      e.states = {"refused"};
      e.reason = "another host";  // and generic_cases names it
      break;
  }
  return e;
}

// The generic row's fault on `f`.
Plan generic_plan(GenericRow row, Family& fam) {
  Family* f = &fam;
  const auto any = [f](const HttpRequest& r) { return f->any_request(r); };
  const auto items = [f](const HttpRequest& r) { return f->item_request(r); };
  const bool json = f->format() == Format::kJson;
  switch (row) {
    case GenericRow::k429RetryAfter:
      return answer(any, json_answer(429, "{}", {{"Retry-After", "1"}}), 2);
    case GenericRow::k429NoHint:
      return answer(any, json_answer(429, "{\"error\":\"Too many requests\"}"));
    case GenericRow::k429ZeroForever: {
      Plan p;
      p.match = any;
      auto n = std::make_shared<std::atomic<int>>(0);
      p.respond = [n](const HttpRequest&, HttpResponse) {
        // 0, then an HTTP-date in the past, by turns: neither is a hint.
        return json_answer(
            429, "{\"error\":\"RateLimitExceeded\"}",
            {{"Retry-After", (*n)++ % 2 == 0 ? "0" : "Wed, 21 Oct 2015 07:28:00 GMT"}});
      };
      return p;
    }
    case GenericRow::k429AbsurdOnce:
      return answer(any, json_answer(429, "{}", {{"Retry-After", "9223372036854775807"}}), 1);
    case GenericRow::k429AbsurdForever: {
      Plan p;
      p.match = any;
      p.respond = [](const HttpRequest&, HttpResponse) {
        // A day ahead in every dialect, and a window of a day: each is
        // capped at 15 min (the platforms document 5 min windows).
        const TimeMs tomorrow = SystemClock().now() + kDayMs;
        return json_answer(429, "{\"error\":\"RateLimitExceeded\"}",
                           {{"Retry-After", "31536000000"},
                            {"X-RateLimit-Limit", "300"},
                            {"X-RateLimit-Remaining", "0"},
                            {"X-RateLimit-Reset", format_iso8601(tomorrow)},
                            {"RateLimit-Limit", "3000"},
                            {"RateLimit-Remaining", "0"},
                            {"RateLimit-Reset", std::to_string(tomorrow / 1000)},
                            {"RateLimit-Policy", "3000;w=86400"}});
      };
      return p;
    }
    case GenericRow::k503RetryAfter:
      return answer(any, json_answer(503, "", {{"Retry-After", "1"}}), 1);
    case GenericRow::k500Burst:
      return answer(any, json_answer(500, "{\"error\":\"boom\"}"), 6);
    case GenericRow::kConnectionReset: {
      Plan p;
      p.match = items;
      p.transport = Fault{Fault::Kind::kTruncate, 200, {}, "", 0};
      return p;
    }
    case GenericRow::kStall: {
      Plan p;
      p.match = any;
      p.transport = Fault{Fault::Kind::kStall, 200, {}, "", 1800};
      p.times = 4;
      return p;
    }
    case GenericRow::kEmpty: {
      Plan p;
      p.match = [f](const HttpRequest& r) { return f->first_listing(r); };
      p.respond = [f](const HttpRequest&, HttpResponse r) {
        r.body = f->empty_listing(std::move(r.body));
        std::erase_if(r.headers, [](const HttpHeader& h) { return iequals(h.name, "Link"); });
        return r;
      };
      return p;
    }
    case GenericRow::kTruncated:
      return rewrite(items, [](std::string b) { return b.substr(0, b.size() / 2); });
    case GenericRow::kCompressionBomb:
      return rewrite(items, [json](std::string) {
        const std::string spaces(16 * 1024 * 1024, ' ');  // compressed on the wire
        return json ? "[" + spaces + "]"
                    : "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel>" + spaces +
                          "</channel></rss>";
      });
    case GenericRow::kOversized: {
      Plan p;
      p.match = items;
      p.respond = [json](const HttpRequest&, HttpResponse r) {
        const std::string& noise = incompressible_8mib();
        r.body = json
                     ? "\"" + noise + "\""
                     : "<rss version=\"2.0\"><channel><title>" + noise + "</title></channel></rss>";
        // Sent as it is: cpp-httplib would otherwise compress a text/* or
        // JSON answer (brotli, seconds and tens of MiB per thread for 8 MiB)
        // and the transfer would not be large. The size cap does not look at
        // the type.
        std::erase_if(r.headers,
                      [](const HttpHeader& h) { return iequals(h.name, "Content-Type"); });
        r.headers.push_back({"Content-Type", "application/octet-stream"});
        return r;
      };
      return p;
    }
    case GenericRow::kHtml: {
      HttpResponse r;
      r.status = 200;
      r.body = "<html><body>Wartungsarbeiten</body></html>";
      r.headers.push_back({"Content-Type", "text/html; charset=utf-8"});
      return answer(items, r);
    }
    case GenericRow::kDeepNesting:
      return rewrite(items, [json](std::string) {
        if (json) return std::string(150000, '[');
        std::string xml = "<?xml version=\"1.0\"?><rss version=\"2.0\">";
        for (int i = 0; i < 150000; ++i) xml += "<a>";
        return xml;
      });
    case GenericRow::kAbsurdCounts:
      return rewrite(items, [f](std::string b) {
        return f->with_counts(std::move(b), {"1e300", "18446744073709551615", "-5"});
      });
    case GenericRow::kCountOverflow:
      return rewrite(items, [f](std::string b) {
        return f->with_counts(std::move(b), {"99999999999999999999", "-5"});
      });
    case GenericRow::kFutureDates:
      return rewrite(items,
                     [f](std::string b) { return f->with_dates(std::move(b), Dates::kFuture); });
    case GenericRow::kAncientDates:
      return rewrite(items,
                     [f](std::string b) { return f->with_dates(std::move(b), Dates::kAncient); });
    case GenericRow::kCollidingIds:
      return rewrite(items, [f](std::string b) { return f->with_colliding_ids(std::move(b)); });
    case GenericRow::kRepeatingCursor:
      return f->repeating_cursor().plan;
    case GenericRow::kCirclingCursor:
      return f->circling_cursor().plan;
    case GenericRow::kRedirectLoop: {
      Plan p;
      p.match = any;
      p.respond = [](const HttpRequest& req, HttpResponse) {
        return json_answer(302, "", {{"Location", req.url}});
      };
      return p;
    }
    case GenericRow::kRedirectOffHost:
      return answer(any, json_answer(302, "", {{"Location", f->canary_url() + "/steal"}}));
  }
  return Plan{};
}

}  // namespace

std::vector<Case> generic_cases(Family& family) {
  std::vector<Case> cases;
  for (const GenericRow row : all_generic_rows()) {
    Case c;
    c.name = generic_name(row);
    c.expect = default_expect(row, family.format());
    family.adjust(row, c.expect);
    if (!c.expect.not_applicable.empty()) {
      MESSAGE(family.platform() << ": \"" << c.name
                                << "\" does not apply: " << c.expect.not_applicable);
      continue;
    }
    if (row == GenericRow::kRedirectOffHost && c.expect.reason == "another host")
      c.expect.reason = "another host (" + family.canary_host() + ")";
    if (row == GenericRow::kRepeatingCursor) c.name += ": " + family.repeating_cursor().how;
    if (row == GenericRow::kCirclingCursor) c.name += ": " + family.circling_cursor().how;
    c.plan = generic_plan(row, family);
    // A 429 to every request is the host's condition, whoever asks: a host
    // that refuses the faulty account refuses the healthy one beside it.
    c.host_wide = row == GenericRow::k429NoHint || row == GenericRow::k429ZeroForever ||
                  row == GenericRow::k429AbsurdForever;
    if (c.host_wide) c.plan.match = [](const HttpRequest&) { return true; };
    // Production pauses: the matrix's fast budget (1000 a second) would cap
    // the hint-less backoff at one second, and hide what these rows ask.
    c.real_rate_limits = row == GenericRow::k429ZeroForever || row == GenericRow::k429AbsurdForever;
    cases.push_back(std::move(c));
  }
  return cases;
}

// --- Families ---------------------------------------------------------------

Family::Family(std::string platform) : platform_(std::move(platform)) {
  // Another host on the loopback network: a redirect there leaves the host.
  const auto serve = [](const HttpRequest&) { return json_answer(200, "{\"canary\":true}"); };
  canary_ = std::make_unique<LoopbackServer>(serve, 2, "127.0.0.2");
  canary_host_ = "127.0.0.2";
  if (canary_->port() <= 0) {
    canary_ = std::make_unique<LoopbackServer>(serve, 2, "127.0.0.1");
    canary_host_ = "localhost";
  }
}

std::string Family::canary_url() const {
  return "http://" + canary_host_ + ":" + std::to_string(canary_->port());
}

Family::~Family() = default;

// --- Runs -------------------------------------------------------------------

Run::Run(Family& f, bool real_rate_limits) : family(f) {
  std::string settings = f.settings_yaml();
  if (!real_rate_limits)
    settings += std::string(settings.empty() ? "" : ", ") + "rate_limit: {requests: 1000, per: 1s}";
  std::string yaml =
      "defaults:\n  contact: mailto:test@example.org\n  allow_private_addresses: true\n"
      "  request_timeout: 1s\n  max_response_bytes: 1048576\n";
  if (!settings.empty()) yaml += "platforms:\n  " + f.platform() + ": {" + settings + "}\n";
  yaml += "municipalities:\n";
  for (const bool faulty : {true, false}) {
    const std::string id = faulty ? "faulty" : "healthy";
    yaml += "  - id: " + id + "\n    name: " + id + "\n    ags: \"08231000\"\n" +
            "    kind: Stadt\n    state: BW\n    accounts:\n      - {platform: " + f.platform() +
            ", handle: \"" + f.handle(faulty) + "\"}\n";
  }
  ConfigLoad load = load_config_from_string(yaml, "matrix.yaml");
  for (const auto& e : load.errors) FAIL(e.format());
  REQUIRE(load.config);
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

Run::~Run() = default;

void Run::once() {
  std::vector<int64_t> ids;
  for (const auto& a : *store->load_accounts(true)) ids.push_back(a.id);
  engine->start_once(ids, true);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  int64_t sent = engine->counters().requests;
  int quiet_turns = 0;
  while (!engine->once_finished()) {
    REQUIRE_MESSAGE(std::chrono::steady_clock::now() < deadline, "the run did not finish");
    engine->step(50);
    // Nothing sent and nothing on the wire for two turns: the engine only
    // waits (a hold, a backoff). Let that time pass without sitting it out.
    const int64_t now_sent = engine->counters().requests;
    const bool quiet = now_sent == sent && engine->summary().in_flight == 0;
    sent = now_sent;
    quiet_turns = quiet ? quiet_turns + 1 : 0;
    if (quiet_turns >= 2) {
      clock.skip(5 * kSecondMs);
      quiet_turns = 0;
    }
  }
}

void Run::wait_out_holds() {
  if (const DurationMs hold = longest_hold(); hold > 0) clock.skip(hold + kSecondMs);
}

StoredAccount Run::account(bool faulty) {
  for (const auto& a : *store->load_accounts(true)) {
    if (a.municipality_id == (faulty ? "faulty" : "healthy")) return a;
  }
  FAIL("no account of " << (faulty ? "faulty" : "healthy"));
  return {};
}

std::set<std::string> Run::stored_ids(bool faulty, bool include_deleted) {
  SQLite::Statement q(store->db(),
                      std::string("SELECT platform_post_id FROM posts WHERE account_id = ?") +
                          (include_deleted ? "" : " AND deleted_at IS NULL"));
  q.bind(1, account(faulty).id);
  std::set<std::string> out;
  while (q.executeStep()) out.insert(q.getColumn(0).getString());
  return out;
}

std::set<std::string> Run::stored_world_ids(bool faulty) {
  std::set<std::string> out;
  for (const std::string& id : stored_ids(faulty)) out.insert(family.world_id_of(id));
  return out;
}

int64_t Run::scalar(const std::string& sql) { return store->db().execAndGet(sql).getInt64(); }

DurationMs Run::longest_hold() {
  const TimeMs now = clock.now();
  DurationMs longest = 0;
  for (const HostStatusRow& h : engine->host_status()) {
    if (h.wait_until && *h.wait_until > now) longest = std::max(longest, *h.wait_until - now);
  }
  return longest;
}

void Run::check_nothing_wrong() {
  std::set<std::string> world = family.world_ids(true);
  for (const std::string& id : family.world_ids(false)) world.insert(id);
  SQLite::Statement q(store->db(), "SELECT platform_post_id, text, created_at FROM posts");
  while (q.executeStep()) {
    const std::string id = q.getColumn(0).getString();
    CHECK_MESSAGE(world.count(family.world_id_of(id)),
                  "stored an id the world does not have: " << id);
    CHECK(is_valid_utf8(q.getColumn(1).isNull() ? "" : q.getColumn(1).getString()));
    CHECK(q.getColumn(2).getInt64() > test::at("2015-01-01T00:00:00Z"));
    CHECK(q.getColumn(2).getInt64() < clock.now() + kDayMs);
  }
  const auto none = [this](const std::string& table, const std::string& column) {
    const std::string sql = "SELECT COUNT(*) FROM " + table + " WHERE " + column + " < 0 OR " +
                            column + " > 1000000000000";
    CHECK_MESSAGE(scalar(sql) == 0, sql);
  };
  for (const char* c : {"likes", "replies", "reposts", "quotes", "views"}) {
    none("posts", c);
    none("post_samples", c);
  }
  for (const char* c : {"followers", "following", "posts"}) none("account_samples", c);
  none("account_counter_samples", "value");
  none("comments", "likes");
  CHECK(scalar("SELECT COUNT(*) FROM comments WHERE created_at < " +
               std::to_string(test::at("2015-01-01T00:00:00Z")) + " OR created_at > " +
               std::to_string(clock.now() + kDayMs)) == 0);
  CHECK(scalar("SELECT COUNT(*) FROM (SELECT 1 FROM posts GROUP BY account_id, platform_post_id "
               "HAVING COUNT(*) > 1)") == 0);
  CHECK(store->db().execAndGet("PRAGMA integrity_check").getString() == "ok");
  for (const std::string& secret : family.secrets()) {
    for (const char* file : {"s.db", "s.db-wal"}) {
      if (!std::filesystem::exists(dir.file(file))) continue;
      CHECK_MESSAGE(read_file(dir.file(file)).find(secret) == std::string::npos,
                    "a credential is stored in " << file);
    }
  }
}

std::string Run::poll_log(bool faulty) {
  SQLite::Statement log(store->db(),
                        "SELECT work, outcome, IFNULL(error, ''), requests FROM poll_log WHERE "
                        "account_id = ? ORDER BY id");
  log.bind(1, account(faulty).id);
  std::ostringstream out;
  while (log.executeStep()) {
    out << "\n  " << log.getColumn(0).getString() << " " << log.getColumn(1).getString() << " "
        << log.getColumn(3).getInt() << " " << log.getColumn(2).getString();
  }
  return out.str();
}

std::string Run::last_unit(bool faulty, const std::string& work) {
  SQLite::Statement q(store->db(),
                      "SELECT outcome || ' | ' || IFNULL(error, '') FROM poll_log WHERE "
                      "account_id = ? AND work = ? ORDER BY id DESC LIMIT 1");
  q.bind(1, account(faulty).id);
  q.bind(2, work);
  return q.executeStep() ? q.getColumn(0).getString() : std::string();
}

// --- Rows -------------------------------------------------------------------

void run_case(Family& family, const Case& c) {
  CAPTURE(c.name);
  const Expect& e = c.expect;
  Faults& faults = family.faults();
  const int64_t heap_before = live_heap_bytes();
  Run run(family, c.real_rate_limits);
  faults.set(c.plan);
  run.once();
  faults.clear();
  const int64_t heap_growth = live_heap_bytes() - heap_before;
#ifndef __SANITIZE_ADDRESS__
  // (AddressSanitizer has its own allocator: mallinfo2 says nothing there.)
  CHECK_MESSAGE(heap_growth < 96LL * 1024 * 1024, "live heap grew by " << heap_growth);
#else
  (void)heap_growth;
#endif

  const std::set<std::string> faulty_world = family.world_ids(true);
  const std::set<std::string> healthy_world = family.world_ids(false);
  if (std::getenv("MUNISCOPE_MATRIX_LOG") != nullptr) {
    const StoredAccount f = run.account(true);
    std::fprintf(
        stderr, "[matrix] %s | %s | %d hits, %lld s skipped, %s (%s), backfill %s (%s):%s\n",
        family.platform().c_str(), c.name.c_str(), faults.hits(),
        static_cast<long long>(run.clock.skipped() / 1000), std::string(f.state_id()).c_str(),
        f.runtime.state_reason.c_str(), std::string(backfill_state_id(f.backfill_state)).c_str(),
        f.history_note.c_str(), run.poll_log(true).c_str());
  }
  CHECK_MESSAGE(faults.hits() > 0,
                "the fault never hit; the faulty account's units:" << run.poll_log(true));
  const StoredAccount a = run.account(true);
  if (!e.states.empty()) {
    CHECK_MESSAGE(
        std::find(e.states.begin(), e.states.end(), a.state_id()) != e.states.end(),
        "state " << a.state_id() << " (" << a.runtime.state_reason << ")" << run.poll_log(true));
  }
  if (!e.reason.empty()) {
    CHECK_MESSAGE(
        (a.runtime.state_reason + " | " + a.history_note).find(e.reason) != std::string::npos,
        "reason: " << a.runtime.state_reason << " | note: " << a.history_note
                   << run.poll_log(true));
  }
  // What is shown never carries control characters from the server.
  CHECK(printable(a.runtime.state_reason, 100000) == a.runtime.state_reason);
  // No host parked beyond the cap; nothing reached the other host.
  CHECK_MESSAGE(run.longest_hold() <= kLongestHold,
                "a host held for " << run.longest_hold() / 1000 << " s");
  CHECK(family.canary_requests() == 0);

  const StoredAccount healthy = run.account(false);
  if (c.host_wide && family.shares_host()) {
    // Held with the faulty account on their one host: only sane data.
    CHECK_MESSAGE((healthy.state_id() == "ok" || healthy.state_id() == "rate_limited"),
                  "healthy: " << healthy.state_id() << " (" << healthy.runtime.state_reason << ")");
    const std::set<std::string> stored = run.stored_world_ids(false);
    CHECK(std::includes(healthy_world.begin(), healthy_world.end(), stored.begin(), stored.end()));
  } else {
    CHECK_MESSAGE(healthy.state_id() == "ok", "healthy: " << healthy.state_id() << " ("
                                                          << healthy.runtime.state_reason << ")"
                                                          << run.poll_log(false));
    CHECK(run.stored_world_ids(false) == healthy_world);
  }
  run.check_nothing_wrong();
  if (e.check) e.check(run);
  if (e.converges_during_fault) CHECK(run.stored_world_ids(true) == faulty_world);

  // The fault is gone, and so is any hold it caused: one more run brings
  // both accounts to their worlds.
  run.wait_out_holds();
  run.once();
  const StoredAccount after = run.account(true);
  CHECK_MESSAGE(after.state_id() == "ok", "after recovery: " << after.state_id() << " ("
                                                             << after.runtime.state_reason << ")"
                                                             << run.poll_log(true));
  CHECK(run.account(false).state_id() == "ok");
  CHECK(run.stored_world_ids(false) == healthy_world);
  const std::set<std::string> stored = run.stored_world_ids(true);
  if (std::getenv("MUNISCOPE_MATRIX_LOG") != nullptr) {
    std::fprintf(stderr, "[matrix] %s | %s | recovered %zu of %zu, %s, backfill %s\n",
                 family.platform().c_str(), c.name.c_str(), stored.size(), faulty_world.size(),
                 std::string(after.state_id()).c_str(),
                 std::string(backfill_state_id(after.backfill_state)).c_str());
  }
  CHECK(std::includes(faulty_world.begin(), faulty_world.end(), stored.begin(), stored.end()));
  if (e.may_miss == kHistoryStopped) {
    CHECK(after.backfill_state == BackfillState::kIncomplete);
  } else {
    CHECK_MESSAGE(stored.size() + static_cast<size_t>(e.may_miss) >= faulty_world.size(),
                  "recovered " << stored.size() << " of " << faulty_world.size());
    if (e.may_miss == 0) CHECK(stored == faulty_world);
  }
  CHECK(family.canary_requests() == 0);
  run.check_nothing_wrong();
}

void run_matrix(Family& family) {
  std::vector<Case> cases = generic_cases(family);
  for (Case& c : family.own_cases()) cases.push_back(std::move(c));
  const bool times = std::getenv("MUNISCOPE_MATRIX_TIMES") != nullptr;
  const auto all = std::chrono::steady_clock::now();
  for (const Case& c : cases) {
    const auto start = std::chrono::steady_clock::now();
    run_case(family, c);
    if (times) {
      const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::steady_clock::now() - start)
                          .count();
      std::fprintf(stderr, "[matrix] %s | %s | %lld ms\n", family.platform().c_str(),
                   c.name.c_str(), static_cast<long long>(ms));
    }
  }
  if (times) {
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                        std::chrono::steady_clock::now() - all)
                        .count();
    std::fprintf(stderr, "[matrix] %s | %zu rows | %lld ms\n", family.platform().c_str(),
                 cases.size(), static_cast<long long>(ms));
  }
}

}  // namespace muni::test::matrix
