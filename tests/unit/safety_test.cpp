// Data safety, unit level: every finding of the hostile-server review that
// lives in one function has its regression test here (docs/reliability.md
// lists them all). Engine-level and end-to-end findings are tested in
// engine_test.cpp and the fault matrix (integration/fault_matrix_test.cpp).
#include <doctest/doctest.h>
#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>
#include <limits>

#include "config/config.h"
#include "core/html_text.h"
#include "core/json.h"
#include "core/strings.h"
#include "core/text_safety.h"
#include "engine/net_policy.h"
#include "engine/page_guard.h"
#include "engine/rate_limit.h"
#include "test_support.h"

using namespace muni;
using muni::test::at;

namespace {

HttpResponse with_headers(int status, std::vector<HttpHeader> headers) {
  HttpResponse r;
  r.status = status;
  r.headers = std::move(headers);
  return r;
}

PostRecord post(const std::string& id, TimeMs created) {
  PostRecord p;
  p.platform_post_id = id;
  p.created_at = created;
  p.text = "t";
  return p;
}

}  // namespace

TEST_CASE("safety 5: absurd counts are unknown, never wrong numbers") {
  // Found: favourites_count 1e300 stored as INT64_MIN (UB), 2^64-1 as -1, -5 as -5.
  auto doc = parse_json(
      R"({"a": 1e300, "b": 18446744073709551615, "c": -5, "d": 12, "e": "34", "f": 1.5, "g": "x1"})");
  REQUIRE(doc.ok());
  CHECK(json_int(**doc, "a") == std::numeric_limits<int64_t>::max());  // saturated, not UB
  CHECK(json_int(**doc, "b") == std::numeric_limits<int64_t>::max());  // not -1
  CHECK(json_int(**doc, "c") == -5);
  CHECK_FALSE(json_int(**doc, "f").has_value());
  CHECK(json_count(**doc, "e") == 34);  // YouTube sends counts as strings
  CHECK_FALSE(json_count(**doc, "g").has_value());

  Page page;
  PostRecord p = post("1", at("2026-01-01T00:00:00Z"));
  p.engagement.likes = json_int(**doc, "a");
  p.engagement.reposts = json_int(**doc, "b");
  p.engagement.replies = json_int(**doc, "c");
  p.engagement.quotes = json_int(**doc, "d");
  page.batch.posts.push_back(p);
  AccountSnapshot snap;
  snap.followers = -1;
  snap.posts = 1200;
  page.batch.snapshot = snap;
  const PageAudit audit = guard_page(page, at("2016-01-01T00:00:00Z"), at("2026-02-01T00:00:00Z"));
  const PostRecord& g = page.batch.posts[0];
  CHECK_FALSE(g.engagement.likes.has_value());
  CHECK_FALSE(g.engagement.reposts.has_value());
  CHECK_FALSE(g.engagement.replies.has_value());
  CHECK(g.engagement.quotes == 12);
  CHECK((g.quality & kQualityCountsRejected) != 0);
  CHECK_FALSE(page.batch.snapshot->followers.has_value());
  CHECK(page.batch.snapshot->posts == 1200);
  CHECK(audit.counts_rejected == 4);
  CHECK(audit.summary().find("out of range") != std::string::npos);
}

TEST_CASE("safety 6: invalid UTF-8 is repaired and flagged, printing escapes controls") {
  std::string bad = "Stra\xDF" "e \xC3\x28 ok\0end";
  bad.push_back('\0');
  CHECK_FALSE(is_valid_utf8(bad));
  std::string fixed = bad;
  CHECK(repair_utf8(fixed));
  CHECK(is_valid_utf8(fixed));
  CHECK(fixed.find('\0') == std::string::npos);
  CHECK(fixed.find("\xEF\xBF\xBD") != std::string::npos);
  std::string good = "Stadt Köln 🏛";
  CHECK_FALSE(repair_utf8(good));
  CHECK(good == "Stadt Köln 🏛");

  Page page;
  PostRecord p = post("1", at("2026-01-01T00:00:00Z"));
  p.text = "caf\xE9";
  page.batch.posts.push_back(p);
  (void)guard_page(page, 0, at("2026-02-01T00:00:00Z"));
  CHECK(is_valid_utf8(page.batch.posts[0].text));
  CHECK((page.batch.posts[0].quality & kQualityTextRepaired) != 0);

  // Found: a 404 body with a newline, a fake log line and escape sequences.
  const std::string hostile = "Not found\n2026-01-01 [info] all fine\x1b[2J\x1b]0;pwned\x07";
  const std::string shown = printable(hostile);
  CHECK(shown.find('\n') == std::string::npos);
  CHECK(shown.find('\x1b') == std::string::npos);
  CHECK(shown.find("\\n2026") != std::string::npos);
  CHECK(shown.find("\\x1b[2J") != std::string::npos);
  CHECK(printable("\xC2\x9B" "31m").find("\\u009b") != std::string::npos);  // 8-bit CSI
  CHECK(printable(std::string(10000, 'a'), 100).size() <= 104);
  CHECK(printable_cell("a\tb\nc") == "a b c");
}

TEST_CASE("safety 7: implausible dates are corrected from evidence, or the post is skipped") {
  const TimeMs now = at("2026-06-01T00:00:00Z");
  const TimeMs earliest = at("2016-01-01T00:00:00Z");  // Mastodon
  Page page;
  PostRecord epoch = post("a", 0);  // 1970-01-01
  epoch.created_at_evidence = at("2024-03-01T10:00:00Z");
  PostRecord ancient = post("b", at("0001-01-01T00:00:00Z"));
  ancient.created_at_evidence = at("2025-01-01T00:00:00Z");
  PostRecord future = post("c", at("2100-01-01T00:00:00Z"));  // no evidence: skipped
  PostRecord fine = post("d", at("2026-05-01T00:00:00Z"));
  fine.parent_created_at = at("1970-01-01T00:00:00Z");  // a parent date that cannot be
  fine.edited_at = at("2100-01-01T00:00:00Z");
  page.batch.posts = {epoch, ancient, future, fine};
  const PageAudit audit = guard_page(page, earliest, now);
  REQUIRE(page.batch.posts.size() == 3);
  CHECK(page.batch.posts[0].created_at == at("2024-03-01T10:00:00Z"));
  CHECK((page.batch.posts[0].quality & kQualityDateCorrected) != 0);
  CHECK(page.batch.posts[1].created_at == at("2025-01-01T00:00:00Z"));
  CHECK(page.batch.posts[2].platform_post_id == "d");
  CHECK_FALSE(page.batch.posts[2].parent_created_at.has_value());
  CHECK_FALSE(page.batch.posts[2].edited_at.has_value());
  REQUIRE(audit.skipped.size() == 1);
  CHECK(audit.skipped[0].id == "c");
  CHECK(audit.dates_corrected == 2);
  // A profile claiming creation in 1970 keeps an unknown creation date.
  Page profile;
  AccountSnapshot s;
  s.created_at = 0;
  profile.batch.snapshot = s;
  (void)guard_page(profile, earliest, now);
  CHECK_FALSE(profile.batch.snapshot->created_at.has_value());
}

TEST_CASE("safety: a post repeated within one page is stored once, the later reading kept") {
  Page page;
  PostRecord a = post("x", at("2026-01-01T00:00:00Z"));
  a.engagement.likes = 1;
  PostRecord b = a;
  b.engagement.likes = 2;
  page.batch.posts = {a, post("y", at("2026-01-01T00:00:00Z")), b};
  const PageAudit audit = guard_page(page, 0, at("2026-02-01T00:00:00Z"));
  REQUIRE(page.batch.posts.size() == 2);
  CHECK(page.batch.posts[0].engagement.likes == 2);
  CHECK(audit.duplicates_merged == 1);
}

TEST_CASE("safety 10: deeply nested JSON is refused without touching the stack") {
  // Found: 150 KB of '[' overflowed RapidJSON's recursive parser (SIGSEGV).
  const std::string bomb(150 * 1024, '[');
  auto r = parse_json(bomb);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().message.find("nested deeper") != std::string::npos);
  // Brackets inside strings do not count; real nesting up to the limit parses.
  std::string deep;
  for (int i = 0; i < 200; ++i) deep += "[";
  deep += "\"[[[[{{{{\"";
  for (int i = 0; i < 200; ++i) deep += "]";
  CHECK(parse_json(deep).ok());
  // Truncated, empty and HTML bodies stay clear errors.
  CHECK(parse_json("{\"a\": [1, 2").error().message.find("invalid JSON") != std::string::npos);
  CHECK(parse_json("").error().message.find("empty body") != std::string::npos);
}

TEST_CASE("safety 14: a lone surrogate escape becomes U+FFFD instead of failing the document") {
  auto doc = parse_json(R"([{"t": "a\ud800b"}, {"t": "ok \ud83c\udfdb"}, {"t": "\udc00"}])");
  REQUIRE(doc.ok());
  CHECK(json_string((**doc)[0], "t") == "a\xEF\xBF\xBD" "b");
  CHECK(json_string((**doc)[1], "t") == "ok \xF0\x9F\x8F\x9B");  // a real pair stays
  CHECK(json_string((**doc)[2], "t") == "\xEF\xBF\xBD");
  // An escaped backslash before "ud800" is text, not an escape.
  auto text = parse_json(R"({"t": "\\ud800 and \ud800"})");
  REQUIRE(text.ok());
  CHECK(json_string(**text, "t") == "\\ud800 and \xEF\xBF\xBD");
}

TEST_CASE("safety 12: entity decoding is linear in the input") {
  // Found: 2 million '&' without ';' took 31.5 s (a search to the end of the
  // text for every '&'). Eight million would take well over the test's
  // timeout that way; decoded linearly it is instant.
  const std::string amps(8 * 1024 * 1024, '&');
  const std::string out = decode_entities(amps);
  CHECK(out.size() == amps.size());
  CHECK(html_to_text("<p>" + amps.substr(0, 1000) + "</p>").size() == 1000);
  CHECK(decode_entities("&amp;&#x1F3DB;&#55296;&lt") == "&\xF0\x9F\x8F\x9B&#55296;&lt");
}

TEST_CASE("safety 15: absurd rate-limit header values are clamped") {
  const TimeMs now = at("2026-01-01T00:00:00Z");
  // Found: Retry-After: 9223372036854775807 overflowed into "no wait at all".
  RateLimiter l({300, 5 * kMinuteMs});
  l.on_too_many_requests(with_headers(429, {{"Retry-After", "9223372036854775807"}}), now);
  REQUIRE(l.blocked_until(now).has_value());
  CHECK(*l.blocked_until(now) > now);
  CHECK(*l.blocked_until(now) <= now + 5 * kMinuteMs);  // no hint: the hint-less pause
  CHECK(parse_retry_after("9223372036854775807", now).value() > now);
  // Found: RateLimit-Policy w=99999999999999999 blocked the host practically forever.
  RateLimiter p({});
  p.observe(with_headers(200, {{"RateLimit-Policy", "300;w=99999999999999999"},
                               {"RateLimit-Remaining", "0"},
                               {"RateLimit-Reset", "99999999999999999"}}),
            now);
  CHECK(p.window_ms() <= kDayMs);
  CHECK(p.try_acquire(now, 0) <= now + kDayMs + RateLimiter::kResetMarginMs);
  // Epoch seconds far in the future, negative and garbage values.
  RateLimiter q({300, 5 * kMinuteMs});
  q.observe(with_headers(200, {{"X-RateLimit-Remaining", "0"},
                               {"X-RateLimit-Reset", "9223372036854775807"}}),
            now);
  CHECK(q.try_acquire(now, 0) <= now + 15 * kMinuteMs + RateLimiter::kResetMarginMs);
  CHECK_FALSE(parse_retry_after("-5", now).has_value());
  CHECK_FALSE(parse_retry_after("soon", now).has_value());
}

TEST_CASE("safety: a reset just past means retry now, 429s already in flight do not compound") {
  // Found: RateLimit-Reset is whole epoch seconds; a reset a few hundred ms
  // old counted as "no hint", and four in-flight 429s stretched the pause
  // from 30 s to 240 s.
  const TimeMs now = at("2026-01-01T00:00:10.400Z");
  RateLimiter l({3000, 5 * kMinuteMs});
  const HttpResponse r429 = with_headers(
      429, {{"RateLimit-Limit", "3000"},
            {"RateLimit-Remaining", "0"},
            {"RateLimit-Reset", std::to_string(at("2026-01-01T00:00:10Z") / 1000)}});
  l.on_too_many_requests(r429, now, now - 200);
  CHECK(l.blocked_until(now) == now + kSecondMs);
  RateLimiter silent({300, 10 * kSecondMs});
  const HttpResponse bare = with_headers(429, {});
  const TimeMs sent = now - 100;  // four requests sent together
  for (int i = 0; i < 4; ++i) silent.on_too_many_requests(bare, now + i, sent);
  // One pause, bounded by the known 10 s window, not 30 s doubled three times.
  CHECK(silent.blocked_until(now + 3).value() <= now + 10 * kSecondMs + 3);
}

TEST_CASE("safety 3: redirects stay on their host and never downgrade") {
  CHECK(resolve_redirect("https://a.example/x/y?q=1", "/z") == "https://a.example/z");
  CHECK(resolve_redirect("https://a.example/x/y?q=1", "w") == "https://a.example/x/w");
  CHECK(resolve_redirect("https://a.example/x/y", "?p=2") == "https://a.example/x/y?p=2");
  CHECK(resolve_redirect("https://a.example/x", "//b.example/z") == "https://b.example/z");
  CHECK_FALSE(resolve_redirect("https://a.example/x", "ftp://b.example/z").has_value());
  CHECK_FALSE(resolve_redirect("https://a.example/x", "").has_value());
  CHECK_FALSE(redirect_refusal("https://a.example/x", "https://a.example/y", {}).has_value());
  CHECK_FALSE(redirect_refusal("http://a.example/x", "https://a.example/x", {}).has_value());
  CHECK_FALSE(redirect_refusal("https://a.example/x", "https://www.a.example/x", {}).has_value());
  CHECK(redirect_refusal("https://a.example/x", "http://a.example/x", {})->find("downgrade") !=
        std::string::npos);
  CHECK(redirect_refusal("https://a.example/x", "https://evil.example/x", {})->find("another host") !=
        std::string::npos);
  CHECK(redirect_refusal("http://127.0.0.1:8080/x", "http://127.0.0.1:9090/x", {})
            ->find("another port") != std::string::npos);
  CHECK_FALSE(
      redirect_refusal("https://a.example/x", "https://feeds.example/x", {"feeds.example"}).has_value());
}

TEST_CASE("safety 3: loopback, private and link-local addresses are recognised") {
  for (const char* ip : {"127.0.0.1", "10.1.2.3", "172.16.0.1", "172.31.255.255", "192.168.1.1",
                         "169.254.169.254", "100.64.0.1", "0.0.0.0", "224.0.0.1", "::1", "::",
                         "fe80::1", "fd00::1", "::ffff:127.0.0.1", "::ffff:10.0.0.1", "garbage"}) {
    CAPTURE(ip);
    CHECK(is_private_address(ip));
  }
  for (const char* ip : {"93.184.216.34", "172.32.0.1", "8.8.8.8", "2a01:4f8::1", "::ffff:8.8.8.8"}) {
    CAPTURE(ip);
    CHECK_FALSE(is_private_address(ip));
  }
}

TEST_CASE("safety 16: local inputs are regular files of bounded size") {
  test::TempDir dir;
  // Found: check-config /dev/zero grew past 361 MB; a FIFO blocked forever;
  // a directory was accepted as an include.
  auto z = read_input_file("/dev/zero");
  REQUIRE_FALSE(z.ok());
  CHECK(z.error().message.find("not a regular file") != std::string::npos);
  const std::string fifo = dir.file("fifo");
  REQUIRE(mkfifo(fifo.c_str(), 0600) == 0);
  auto f = read_input_file(fifo);  // returns at once, never waits for a writer
  REQUIRE_FALSE(f.ok());
  CHECK(f.error().message.find("not a regular file") != std::string::npos);
  auto d = read_input_file(dir.path().string());
  REQUIRE_FALSE(d.ok());
  CHECK(d.error().message.find("directory") != std::string::npos);
  test::write_file(dir.file("big"), std::string(2000, 'x'));
  auto big = read_input_file(dir.file("big"), 1000);
  REQUIRE_FALSE(big.ok());
  CHECK(big.error().message.find("more than the limit") != std::string::npos);
  CHECK(read_input_file(dir.file("big")).ok());

  std::filesystem::create_directory(dir.file("munis"));
  test::write_file(dir.file("main.yaml"),
                   "defaults: {contact: t@example.org}\ninclude: [munis, fifo]\n");
  ConfigLoad load = load_config(dir.file("main.yaml"));
  CHECK_FALSE(load.config.has_value());
  REQUIRE(load.errors.size() == 2);
  CHECK(load.errors[0].format().find("directory") != std::string::npos);
  CHECK(load.errors[1].format().find("not a regular file") != std::string::npos);
  ConfigLoad zero = load_config("/dev/zero");
  REQUIRE_FALSE(zero.config.has_value());
  CHECK(zero.errors[0].message.find("not a regular file") != std::string::npos);
}

TEST_CASE("safety 19: a secret written where the variable name belongs is never echoed") {
  const std::string token = "ghp_AbCdEf0123456789aBcDeF0123456789xyZ";
  ConfigLoad load = load_config_from_string(
      "defaults: {contact: t@example.org}\nplatforms:\n  youtube:\n    credential: {env: \"" + token +
          "\"}\n",
      "c.yaml");
  REQUIRE(load.config.has_value());
  std::erase_if(load.warnings, [](const ConfigIssue& w) { return w.key == "defaults.contact"; });
  REQUIRE(load.warnings.size() == 1);
  CHECK(load.warnings[0].format().find(token) == std::string::npos);
  CHECK(load.warnings[0].format().find("looks like a secret") != std::string::npos);
  const CredentialRef& ref = load.config->platforms.at("youtube").credential;
  CHECK(ref.describe().find(token) == std::string::npos);
  auto secret = read_credential(ref);
  REQUIRE_FALSE(secret.ok());
  CHECK(secret.error().message.find(token) == std::string::npos);
  CHECK(secret.error().message.find("looks like a secret") != std::string::npos);
  // An ordinary variable name is named in messages, as before.
  CHECK_FALSE(looks_like_secret("YOUTUBE_API_KEY"));
  CHECK(looks_like_secret("AIzaSyA1234567890abcdefghijklmnopqrstuv"));
  CredentialRef plain;
  plain.kind = CredentialRef::Kind::kEnv;
  plain.name = "MUNISCOPE_TEST_SURELY_UNSET";
  CHECK(read_credential(plain).error().message.find("MUNISCOPE_TEST_SURELY_UNSET") !=
        std::string::npos);
}

TEST_CASE("safety 11: a platforms: section reads without dangling references") {
  // Found under AddressSanitizer: a reference into yaml-cpp's iterator proxy
  // (stack-use-after-scope) for every configuration with platforms:. The
  // sanitizer build (make test-sanitize) is what catches a relapse; here the
  // values must come through intact.
  ConfigLoad load = load_config_from_string(
      "defaults: {contact: t@example.org}\nplatforms:\n  mastodon:\n    poll_interval: 2h\n"
      "  bluesky:\n    base_url: https://appview.example\n    redirect_hosts: [cdn.example]\n",
      "p.yaml");
  REQUIRE(load.config.has_value());
  CHECK(load.config->platforms.at("mastodon").poll_interval == 2 * kHourMs);
  CHECK(load.config->platforms.at("bluesky").base_url == "https://appview.example");
  CHECK(load.config->platforms.at("bluesky").redirect_hosts == std::vector<std::string>{"cdn.example"});
}

TEST_CASE("safety 2.8: every count saturates instead of overflowing, and the guard checks them all") {
  // Found: a 19- or 20-digit count string overflowed in json_count (signed
  // overflow, undefined behaviour) and stored -8446744073709551617-like
  // values; comment likes and the channel's views counter bypassed the guard.
  CHECK(parse_count("12") == 12);
  CHECK(parse_count(" +7 ") == 7);
  CHECK(parse_count("-5") == -5);
  CHECK(parse_count("9223372036854775807") == std::numeric_limits<int64_t>::max());
  CHECK(parse_count("9223372036854775808") == std::numeric_limits<int64_t>::max());
  CHECK(parse_count("9999999999999999999") == std::numeric_limits<int64_t>::max());
  CHECK(parse_count("18446744073709551617") == std::numeric_limits<int64_t>::max());
  CHECK(parse_count("-18446744073709551617") == std::numeric_limits<int64_t>::min());
  CHECK_FALSE(parse_count("").has_value());
  CHECK_FALSE(parse_count("-").has_value());
  CHECK_FALSE(parse_count("12k").has_value());
  CHECK_FALSE(parse_count("1e3").has_value());
  auto doc = parse_json(
      R"({"a":"9999999999999999999","b":"18446744073709551617","c":"-5","d":"42",)"
      R"("e":18446744073709551617,"f":-8446744073709551617})");
  REQUIRE(doc.ok());
  CHECK(json_count(**doc, "a") == std::numeric_limits<int64_t>::max());
  CHECK(json_count(**doc, "b") == std::numeric_limits<int64_t>::max());
  CHECK(json_count(**doc, "c") == -5);
  CHECK(json_count(**doc, "d") == 42);
  CHECK(json_count(**doc, "e") == std::numeric_limits<int64_t>::max());
  CHECK(json_count(**doc, "f").value() < 0);

  // The guard turns each of them into unknown: comment likes, profile counts
  // and further account counters alike.
  const TimeMs now = at("2026-02-01T00:00:00Z");
  Page page;
  AccountSnapshot snap;
  snap.followers = -1;
  snap.posts = std::numeric_limits<int64_t>::max();
  snap.counters.push_back({"views", json_count(**doc, "f"), CountPrecision::kExact});
  snap.counters.push_back({"fans", 12, CountPrecision::kExact});
  page.batch.snapshot = snap;
  for (const std::optional<int64_t>& likes :
       {std::optional<int64_t>(-5), json_count(**doc, "a"), std::optional<int64_t>(3)}) {
    CommentRecord c;
    c.platform_comment_id = "c" + std::to_string(page.batch.comments.size());
    c.on_post_id = "v1";
    c.created_at = now - kHourMs;
    c.likes = likes;
    page.batch.comments.push_back(c);
  }
  const PageAudit audit = guard_page(page, at("2005-01-01T00:00:00Z"), now);
  CHECK(audit.counts_rejected == 5);
  CHECK_FALSE(page.batch.snapshot->followers.has_value());
  CHECK_FALSE(page.batch.snapshot->posts.has_value());
  CHECK_FALSE(page.batch.snapshot->counters[0].value.has_value());
  CHECK(page.batch.snapshot->counters[1].value == 12);
  REQUIRE(page.batch.comments.size() == 3);
  CHECK_FALSE(page.batch.comments[0].likes.has_value());
  CHECK_FALSE(page.batch.comments[1].likes.has_value());
  CHECK(page.batch.comments[2].likes == 3);
}

TEST_CASE("safety 2.esc: ESC and U+202E are kept as data and never reach a terminal or a page raw") {
  // Found: ESC and U+202E (right-to-left override) were stored raw while
  // NUL was removed; only some printing paths escaped them. Decided: the
  // store keeps the text as the platform sent it (valid UTF-8, no NUL);
  // every output path that a person reads escapes them.
  const std::string hostile = "Amt\x1b[2J\x1b]0;pwned\x07 \xE2\x80\xAE" "gnp.exe\xE2\x81\xA6x\n";
  // The page guard keeps them (only invalid UTF-8 and NUL are repaired).
  Page page;
  PostRecord p;
  p.platform_post_id = "1";
  p.created_at = at("2026-01-01T00:00:00Z");
  p.text = hostile + std::string(1, '\0');
  page.batch.posts.push_back(p);
  (void)guard_page(page, 0, at("2026-02-01T00:00:00Z"));
  CHECK(page.batch.posts[0].text == hostile);

  const auto raw_free = [](const std::string& s) {
    return s.find('\x1b') == std::string::npos && s.find('\x07') == std::string::npos &&
           s.find("\xE2\x80\xAE") == std::string::npos && s.find("\xE2\x81\xA6") == std::string::npos;
  };
  // Logs and state reasons.
  const std::string log_line = printable(hostile);
  CHECK(raw_free(log_line));
  CHECK(log_line.find("\\x1b[2J") != std::string::npos);
  CHECK(log_line.find("\\u202e") != std::string::npos);
  CHECK(log_line.find("\\u2066") != std::string::npos);
  CHECK(log_line.find("\\n") != std::string::npos);
  // Table cells.
  const std::string cell = printable_cell(hostile);
  CHECK(raw_free(cell));
  CHECK(cell.find('\n') == std::string::npos);
  // HTML (report, --format html): visible, and never a control character.
  const std::string html = html_escape(hostile);
  CHECK(raw_free(html));
  CHECK(html.find("\\u202e") != std::string::npos);
  // CSV and NDJSON shown on a terminal: escaped, but line breaks stay.
  const std::string csv = "\"" + hostile + "\"\r\n";
  const std::string shown = terminal_safe(csv);
  CHECK(raw_free(shown));
  CHECK(shown.find("\r\n") != std::string::npos);
  CHECK(shown.find("x\n") != std::string::npos);
  // Ordinary text is untouched everywhere.
  CHECK(printable("Bürgerbüro – Öffnungszeiten") == "Bürgerbüro – Öffnungszeiten");
  CHECK(terminal_safe("a,b\r\n\"c\td\"\r\n") == "a,b\r\n\"c\td\"\r\n");
  CHECK(html_escape("Bürgerbüro") == "Bürgerbüro");
}

TEST_CASE("safety 22.5: a post that cannot be kept is counted once, as skipped") {
  const TimeMs now = at("2026-02-01T00:00:00Z");
  Page page;
  for (int i = 0; i < 40; ++i) {
    PostRecord p;
    p.platform_post_id = std::to_string(i);
    p.created_at = at("9999-12-31T00:00:00Z");
    if (i < 5) p.parent_created_at = at("0001-01-01T00:00:00Z");
    if (i < 3) p.engagement.likes = -5;
    page.batch.posts.push_back(p);
  }
  const PageAudit audit = guard_page(page, at("2016-01-01T00:00:00Z"), now);
  CHECK(audit.skipped.size() == 40);
  CHECK(audit.dates_dropped == 0);
  CHECK(audit.counts_rejected == 0);
  CHECK(audit.summary() == "40 item(s) skipped");
}

TEST_CASE("safety: remove_query_param takes out every occurrence of one parameter") {
  CHECK(remove_query_param("https://a.example/v?x=1&key=S&y=2&key=S#f", "key") ==
        "https://a.example/v?x=1&y=2#f");
  CHECK(remove_query_param("https://a.example/v?key=S", "key") == "https://a.example/v");
  CHECK(remove_query_param("https://a.example/v", "key") == "https://a.example/v");
  CHECK(remove_query_param("https://a.example/v?keys=1&k%65y=S", "key") ==
        "https://a.example/v?keys=1");
}
