// The fault matrix, one TEST_CASE per connector family: the harness, the
// generic rows every family gets and what is asserted for each row live in
// tests/support/fault_matrix.h. Here each family says how its platform's
// fake carries those faults, what it expects where it differs from the
// default, and adds the rows only its platform can have.
//
// A new connector joins with its fake in tests/support/, a Family here
// (the two accounts, where its faults go, the generic faults in its terms,
// adjust() where it differs, own_cases()), and a TEST_CASE that calls
// run_matrix. Rows that cannot apply say why in adjust() (RSS: no cursor).
//
// docs/reliability.md lists the faults and what muniscope does with each.
#include <doctest/doctest.h>

#include <cstdlib>

#include "core/clock.h"
#include "core/strings.h"
#include "fake_bluesky.h"
#include "fake_feed.h"
#include "fake_mastodon.h"
#include "fake_youtube.h"
#include "fault_matrix.h"
#include "loopback_server.h"

using namespace muni;
using namespace muni::test;
using namespace muni::test::matrix;

namespace {

std::set<std::string> as_set(const std::vector<std::string>& v) { return {v.begin(), v.end()}; }

bool has_param(const HttpRequest& r, const char* name) {
  return url_query_param(r.url, name).has_value();
}

const char* json_date(Dates d) {
  return d == Dates::kFuture ? "9999-12-31T00:00:00.000Z" : "0001-01-01T00:00:00.000Z";
}

BackfillState backfill_of(Run& run) { return run.account(true).backfill_state; }

// ---------------------------------------------------------------- Mastodon

// Two instances: the faulty account alone on one, so that host-wide waits
// are its own.
class MastodonFamily final : public Family {
 public:
  static constexpr const char* kFaultyId = "110000000000000001";

  MastodonFamily() : Family("mastodon") {
    faulty_instance_.set_base_url(faulty_server_.base_url());
    healthy_instance_.set_base_url(healthy_server_.base_url());
    faulty_server_.set_fault_selector(
        [this](const HttpRequest& r) { return faults().transport_fault(r); });
    const TimeMs now = SystemClock().now();
    faulty_instance_.add_account("rathaus", kFaultyId, 2841);
    healthy_instance_.add_account("museum", "110000000000000002", 310);
    for (int i = 0; i < 95; ++i) {
      const TimeMs t = now - (95 - i) * 5 * kHourMs;
      faulty_instance_.add_status(
          "rathaus", t, i % 9 == 8 ? PostKind::kRepost : PostKind::kOriginal, "", "109999", i % 13);
      if (i < 50) healthy_instance_.add_status("museum", t, PostKind::kOriginal, "", "", i % 5);
    }
  }

  std::string settings_yaml() const override { return ""; }
  std::string handle(bool faulty) const override {
    return faulty ? faulty_server_.base_url() + "/@rathaus"
                  : healthy_server_.base_url() + "/@museum";
  }
  std::set<std::string> world_ids(bool faulty) const override {
    return faulty ? as_set(faulty_instance_.ids("rathaus"))
                  : as_set(healthy_instance_.ids("museum"));
  }
  bool shares_host() const override { return false; }

  bool any_request(const HttpRequest& r) const override {
    return r.url.rfind(faulty_server_.base_url(), 0) == 0;
  }
  // The timeline and single statuses.
  bool item_request(const HttpRequest& r) const override {
    return any_request(r) && r.url.find("/statuses") != std::string::npos;
  }
  static bool is_timeline(const HttpRequest& r) {
    return r.url.find("/api/v1/accounts/") != std::string::npos &&
           r.url.find("/statuses") != std::string::npos;
  }
  bool first_listing(const HttpRequest& r) const override {
    return any_request(r) && is_timeline(r) && !has_param(r, "min_id") && !has_param(r, "max_id");
  }

  Format format() const override { return Format::kJson; }
  std::string empty_listing(std::string) const override { return "[]"; }
  std::string with_counts(std::string body, const std::vector<std::string>& values) const override {
    return replace_each(body, "\"(replies_count|reblogs_count|favourites_count)\":-?[0-9]+",
                        [&](const std::smatch& m, int n) {
                          return "\"" + m[1].str() + "\":" + values[n % values.size()];
                        });
  }
  std::string with_dates(std::string body, Dates d) const override {
    return replace_each(body, "\"created_at\":\"[^\"]*\"", [&](const std::smatch&, int) {
      return std::string("\"created_at\":\"") + json_date(d) + "\"";
    });
  }
  // The second status of the page takes the first one's id.
  std::string with_colliding_ids(std::string body) const override {
    std::vector<std::string> ids;
    const std::string start = "{\"id\":\"";
    for (size_t at = body.find(start); at != std::string::npos; at = body.find(start, at + 1)) {
      if (at == 1 || (at >= 2 && body.compare(at - 2, 2, "},") == 0))  // a status of the array
        ids.push_back(
            body.substr(at + start.size(), body.find('"', at + start.size()) - at - start.size()));
    }
    if (ids.size() < 2) return body;
    const size_t second = body.find("},{\"id\":\"" + ids[1] + "\"");
    body.replace(second + 2, start.size() + ids[1].size(), start + ids[0]);
    return body;
  }
  CursorFault repeating_cursor() override {
    // max_id ignored: every backfill page is the newest page again.
    Plan p;
    p.match = [this](const HttpRequest& r) { return any_request(r) && has_param(r, "max_id"); };
    p.respond = [this](const HttpRequest& r, HttpResponse) {
      HttpRequest first = r;
      first.url = r.url.substr(0, r.url.find("&max_id="));
      return faulty_instance_.handle(first);
    };
    return {"the server ignores max_id (finding 13)", p};
  }
  CursorFault circling_cursor() override {
    // Every max_id after the first leads back to the page of the first.
    Plan p;
    p.match = [this](const HttpRequest& r) { return any_request(r) && has_param(r, "max_id"); };
    auto first_max_id = std::make_shared<std::string>();
    p.respond = [this, first_max_id](const HttpRequest& r, HttpResponse honest) {
      const std::string max_id = url_query_param(r.url, "max_id").value_or("");
      if (first_max_id->empty()) *first_max_id = max_id;
      if (max_id == *first_max_id) return honest;
      HttpRequest back = r;
      back.url = replace_all(r.url, "max_id=" + max_id, "max_id=" + *first_max_id);
      return faulty_instance_.handle(back);
    };
    return {"max_id leads back to an earlier page", p};
  }

  void adjust(GenericRow row, Expect& e) const override {
    switch (row) {
      case GenericRow::kEmpty:  // finding 1: an empty first page closes nothing
        e.reason = "empty";
        e.check = [](Run& run) { CHECK(backfill_of(run) == BackfillState::kPending); };
        break;
      case GenericRow::kAbsurdCounts:
        e.check = [](Run& run) {
          // Every count of those posts was absurd: all stored as unknown.
          CHECK(run.scalar("SELECT COUNT(*) FROM posts WHERE quality & 4 AND (likes IS NOT NULL "
                           "OR replies IS NOT NULL OR reposts IS NOT NULL)") == 0);
          CHECK(run.scalar("SELECT COUNT(*) FROM posts WHERE quality & 4") > 0);
        };
        break;
      case GenericRow::kRepeatingCursor:
      case GenericRow::kCirclingCursor:
        // A page not older than max_id stops backfill (finding 13).
        e.states = {"ok"};
        e.reason = "not older";
        break;
      default:
        break;
    }
  }

  std::vector<Case> own_cases() override;

 private:
  Plan statuses_body(std::function<std::string(std::string)> f, int times = -1) {
    return rewrite([this](const HttpRequest& r) { return item_request(r); }, std::move(f), times);
  }

  mutable FakeMastodon faulty_instance_{""};
  mutable FakeMastodon healthy_instance_{""};
  LoopbackServer faulty_server_{[this](const HttpRequest& r) {
    return faults().serve(r, [&] { return faulty_instance_.handle(r); });
  }};
  LoopbackServer healthy_server_{
      [this](const HttpRequest& r) { return healthy_instance_.handle(r); }};
};

std::vector<Case> MastodonFamily::own_cases() {
  std::vector<Case> cases;
  const auto faulty = [this](const HttpRequest& r) { return any_request(r); };
  cases.push_back(row(
      "invalid UTF-8 and NUL in texts (finding 6)", statuses_body([](std::string b) {
        return replace_all(b, "Meldung", std::string("Meld\xFF\xFEung\\u0000"));
      }),
      {"ok"}, "",
      [](Run& run) { CHECK(run.scalar("SELECT COUNT(*) FROM posts WHERE quality & 1") > 0); },
      true));
  cases.push_back(row(
      "a status without id and one with a lone surrogate (finding 14)",
      statuses_body(
          [](std::string b) {
            if (b.size() > 2) b.replace(1, 6, "{\"xid\":");  // the first loses its id
            return replace_all(b, "Meldung", "Meldung \\ud800");
          },
          2),
      {"ok"}, "",
      [](Run& run) {
        CHECK(run.scalar("SELECT SUM(items_skipped) FROM poll_log") >= 1);
        CHECK(run.scalar("SELECT COUNT(*) FROM posts") > 100);
      },
      false, 2));
  cases.push_back(row(
      "numbers as strings, missing and extra fields", statuses_body([](std::string b) {
        b = replace_all(b, "\"favourites_count\":", "\"favourites_count\":\"7\",\"f\":");
        b = replace_all(b, "\"content\":", "\"x_extra\":{\"deep\":[1,[2,[3]]]},\"old_content\":");
        return replace_all(b, "\"language\":\"de\",", "");
      }),
      {"ok"}, "", nullptr, true));
  // 900,000 of them: the page stays under max_response_bytes (1 MiB here),
  // so that the entity decoder reads it, not the size cap that refuses it.
  cases.push_back(row(
      "an entity bomb: 900,000 '&' in one post (finding 12)",
      statuses_body(
          [](std::string b) {
            const size_t at = b.find("<p>Meldung");
            if (at != std::string::npos) b.insert(at + 3, std::string(900'000, '&'));
            return b;
          },
          1),
      {"ok"}, "",
      [](Run& run) {
        // Read at the first attempt, within the deadline.
        CHECK(run.last_unit(true, "poll") == "ok | ");
        CHECK(run.scalar("SELECT COUNT(*) FROM poll_log WHERE work = 'poll' AND "
                         "account_id = " +
                         std::to_string(run.account(true).id)) == 1);
      },
      true));
  Plan duplicates;
  duplicates.match = [this](const HttpRequest& r) {
    return any_request(r) && has_param(r, "max_id");
  };
  duplicates.respond = [this](const HttpRequest& r, HttpResponse normal) {
    // Every backfill page also carries the newest status (already stored).
    HttpRequest first = r;
    first.url = r.url.substr(0, r.url.find("&max_id="));
    const std::string newest = faulty_instance_.handle(first).body;
    const size_t end = newest.find("},{\"id\"");
    if (normal.body.size() > 2 && end != std::string::npos)
      normal.body =
          normal.body.substr(0, normal.body.size() - 1) + "," + newest.substr(1, end) + "]";
    return normal;
  };
  cases.push_back(row("the same status on several pages", duplicates, {"ok"}, "", nullptr, true));
  Plan offhost_link;
  offhost_link.match = [this](const HttpRequest& r) { return item_request(r); };
  offhost_link.respond = [this](const HttpRequest&, HttpResponse r) {
    // Paging links that lead to the canary: never followed (max_id is
    // computed from the page, on the account's own instance).
    for (HttpHeader& h : r.headers) {
      if (iequals(h.name, "Link"))
        h.value = replace_all(h.value, faulty_server_.base_url(), canary_url());
    }
    return r;
  };
  cases.push_back(
      row("Link headers pointing to another host", offhost_link, {"ok"}, "", nullptr, true));
  cases.push_back(row(
      "a 404 body with a newline, a fake log line and escapes (finding 17)",
      answer(
          faulty,
          json_answer(404, "{\"error\":\"gone\\n2026-01-01 [info] all fine\\u001b[2J\\u0007\"}")),
      {"backing_off", "not_found"}, "\\n2026-01-01 [info] all fine\\x1b[2J"));
  Plan moved;
  moved.match = [this](const HttpRequest& r) {
    return any_request(r) && r.url.find("/statuses") == std::string::npos &&
           r.url.find("/api/v1/accounts/") != std::string::npos;
  };
  moved.respond = [](const HttpRequest&, HttpResponse r) {
    const size_t close = r.body.rfind('}');
    r.body.insert(
        close,
        ",\"moved\":{\"id\":\"9\",\"username\":\"stadt\",\"acct\":\"stadt@evil.example\","
        "\"url\":\"http://evil.example/@stadt\",\"uri\":\"http://evil.example/users/stadt\"}");
    return r;
  };
  cases.push_back(row(
      "a move to an unverified host (finding 4)", moved, {"ok"}, "",
      [](Run& run) {
        CHECK(run.scalar("SELECT COUNT(*) FROM account_events WHERE kind = "
                         "'move_unverified'") == 1);
      },
      true));
  // The first poll's first timeline page is served; the refresh's is empty.
  // Single statuses (the per-item evidence) answer honestly.
  Plan empty_refresh;
  empty_refresh.match = [this](const HttpRequest& r) { return first_listing(r); };
  auto calls = std::make_shared<std::atomic<int>>(0);
  empty_refresh.respond = [calls](const HttpRequest&, HttpResponse r) {
    if ((*calls)++ == 0) return r;
    r.body = "[]";
    r.headers.clear();
    return r;
  };
  cases.push_back(row(
      "an empty refresh answer marks nothing deleted and is degraded (finding 2)", empty_refresh,
      {"degraded"}, "a degraded answer",
      [](Run& run) {
        CHECK(run.scalar("SELECT COUNT(*) FROM posts WHERE deleted_at IS NOT NULL") == 0);
      },
      true));
  return cases;
}

// ---------------------------------------------------------------- Bluesky

// One AppView with both accounts: a 429 there holds both, rightly.
class BlueskyFamily final : public Family {
 public:
  static constexpr const char* kFaultyDid = "did:plc:faulty23456789abcdefghij";
  static constexpr const char* kHealthyDid = "did:plc:healthy3456789abcdefghij";

  BlueskyFamily() : Family("bluesky") {
    appview_.set_fault_selector(
        [this](const HttpRequest& r) { return faults().transport_fault(r); });
    const TimeMs now = SystemClock().now();
    bluesky_.add_account(kFaultyDid, "faulty.stadt.example", 900);
    bluesky_.add_account(kHealthyDid, "healthy.stadt.example", 90);
    for (int i = 0; i < 130; ++i) {
      const TimeMs t = now - (130 - i) * 3 * kHourMs;
      bluesky_.add_post(kFaultyDid, t, i % 10 == 9 ? PostKind::kReplyOther : PostKind::kOriginal,
                        "did:plc:citizen3456789abcdefghij", i % 11);
      if (i < 40) bluesky_.add_post(kHealthyDid, t, PostKind::kOriginal, "", i % 3);
    }
  }

  std::string settings_yaml() const override { return "base_url: " + appview_.base_url(); }
  std::string handle(bool faulty) const override {
    return faulty ? "faulty.stadt.example" : "healthy.stadt.example";
  }
  std::set<std::string> world_ids(bool faulty) const override {
    return as_set(bluesky_.ids(faulty ? kFaultyDid : kHealthyDid));
  }
  bool shares_host() const override { return true; }

  // Its handle, its DID, or URIs of its posts.
  bool any_request(const HttpRequest& r) const override {
    return r.url.find("faulty") != std::string::npos;
  }
  bool item_request(const HttpRequest& r) const override {
    return any_request(r) && r.url.find("getAuthorFeed") != std::string::npos;
  }
  bool first_listing(const HttpRequest& r) const override {
    return item_request(r) && !has_param(r, "cursor");
  }

  Format format() const override { return Format::kJson; }
  std::string empty_listing(std::string) const override { return "{\"feed\":[]}"; }
  std::string with_counts(std::string body, const std::vector<std::string>& values) const override {
    return replace_each(body, "\"(likeCount|replyCount|repostCount|quoteCount)\":-?[0-9]+",
                        [&](const std::smatch& m, int n) {
                          return "\"" + m[1].str() + "\":" + values[n % values.size()];
                        });
  }
  // createdAt only: indexedAt is the AppView's own evidence.
  std::string with_dates(std::string body, Dates d) const override {
    return replace_each(body, "\"createdAt\":\"[^\"]*\"", [&](const std::smatch&, int) {
      return std::string("\"createdAt\":\"") + json_date(d) + "\"";
    });
  }
  // The second feed entry's post takes the first one's URI.
  std::string with_colliding_ids(std::string body) const override {
    const std::regex entry("\\{\"post\":\\{\"uri\":\"([^\"]+)\"");
    std::vector<std::smatch> m;
    for (auto it = std::sregex_iterator(body.begin(), body.end(), entry);
         it != std::sregex_iterator() && m.size() < 2; ++it)
      m.push_back(*it);
    if (m.size() < 2) return body;
    const std::string first = m[0][1].str();
    const size_t at = static_cast<size_t>(m[1].position(1));
    body.replace(at, m[1][1].length(), first);
    return body;
  }
  CursorFault repeating_cursor() override {
    // Every page hands back the cursor it was asked with.
    Plan p;
    p.match = [this](const HttpRequest& r) { return item_request(r) && has_param(r, "cursor"); };
    p.respond = [](const HttpRequest& r, HttpResponse honest) {
      const std::string cursor = url_query_param(r.url, "cursor").value_or("");
      honest.body =
          replace_each(honest.body, "\"cursor\":\"[^\"]*\"",
                       [&](const std::smatch&, int) { return "\"cursor\":\"" + cursor + "\""; });
      if (honest.body.find("\"cursor\"") == std::string::npos)
        honest.body.insert(honest.body.rfind('}'), ",\"cursor\":\"" + cursor + "\"");
      return honest;
    };
    return {"the same cursor comes back", p};
  }
  CursorFault circling_cursor() override {
    // Always the newest page again, under a new cursor each time.
    Plan p;
    p.match = [this](const HttpRequest& r) { return item_request(r) && has_param(r, "cursor"); };
    auto n = std::make_shared<std::atomic<int>>(0);
    p.respond = [this, n](const HttpRequest& r, HttpResponse) {
      HttpRequest first = r;
      first.url = r.url.substr(0, r.url.find("&cursor="));
      HttpResponse page = bluesky_.handle(first);
      page.body =
          replace_all(page.body, "\"cursor\":\"", "\"cursor\":\"c" + std::to_string((*n)++) + "-");
      return page;
    };
    return {"the newest page again under a new cursor each time", p};
  }

  void adjust(GenericRow row, Expect& e) const override {
    switch (row) {
      case GenericRow::kEmpty:
        e.reason = "empty";
        e.check = [](Run& run) { CHECK(backfill_of(run) == BackfillState::kPending); };
        break;
      case GenericRow::kCirclingCursor:
        e.states = {"ok"};
        e.reason = "goes in circles";
        break;
      case GenericRow::kRepeatingCursor:
        // Stopped on the cursor that came back, after storing its page: here
        // the last one, so nothing is missing.
        e.states = {"ok"};
        e.reason = "the cursor it was asked with";
        e.may_miss = 0;
        break;
      case GenericRow::kCollidingIds:
        e.may_miss = 2;  // one on each of the two pages read during the fault
        break;
      default:
        break;
    }
  }

  std::vector<Case> own_cases() override;

 private:
  Plan feed_body(std::function<std::string(std::string)> f, int times = -1) {
    return rewrite([this](const HttpRequest& r) { return item_request(r); }, std::move(f), times);
  }

  mutable FakeBluesky bluesky_;
  LoopbackServer appview_{[this](const HttpRequest& r) {
    return faults().serve(r, [&] { return bluesky_.handle(r); });
  }};
};

std::vector<Case> BlueskyFamily::own_cases() {
  std::vector<Case> cases;
  Plan empty_get_posts;
  empty_get_posts.match = [this](const HttpRequest& r) {
    return any_request(r) && r.url.find("getPosts") != std::string::npos;
  };
  empty_get_posts.respond = [](const HttpRequest&, HttpResponse r) {
    r.body = "{\"posts\":[]}";
    return r;
  };
  // getPostThread still shows the posts: a degraded answer, nothing marked.
  cases.push_back(row(
      "an empty getPosts answer marks nothing deleted and is degraded (finding 2)", empty_get_posts,
      {"degraded"}, "a degraded answer",
      [](Run& run) {
        CHECK(run.scalar("SELECT COUNT(*) FROM posts WHERE deleted_at IS NOT NULL") == 0);
      },
      true));
  cases.push_back(row("invalid UTF-8 in texts", feed_body([](std::string b) {
                        return replace_all(b, "Beitrag", "Beit\xC3rag");
                      }),
                      {"ok"}, "", nullptr, true));
  cases.push_back(row(
      "an unreadable feed entry (finding 14)",
      feed_body(
          [](std::string b) {
            const size_t at = b.find("{\"post\":");
            if (at != std::string::npos) b.replace(at, 8, "{\"p0st\":");
            return b;
          },
          1),
      {"ok"}, "",
      [](Run& run) { CHECK(run.scalar("SELECT SUM(items_skipped) FROM poll_log") >= 1); }, false,
      1));
  Plan reset_just_past;
  reset_just_past.match = [this](const HttpRequest& r) { return any_request(r); };
  reset_just_past.times = 1;
  reset_just_past.respond = [](const HttpRequest&, HttpResponse) {
    const TimeMs now = SystemClock().now();
    return json_answer(429, "{\"error\":\"RateLimitExceeded\"}",
                       {{"RateLimit-Limit", "3000"},
                        {"RateLimit-Remaining", "0"},
                        {"RateLimit-Reset", std::to_string(now / 1000)},
                        {"RateLimit-Policy", "3000;w=300"}});
  };
  cases.push_back(row("a 429 whose RateLimit-Reset has just passed", reset_just_past, {"ok"}, "",
                      nullptr, true));
  return cases;
}

// ---------------------------------------------------------------- YouTube

// The Data API with a key, both channels on it (one host, one key).
class YouTubeFamily final : public Family {
 public:
  static constexpr const char* kKey = "AIzaMatrix-test-key-0123456789";
  static constexpr const char* kKeyVariable = "MUNI_MATRIX_YT_KEY";
  static constexpr const char* kFaulty = "UCfaultyKanalaaaaaaaaaaa";
  static constexpr const char* kHealthy = "UChealthyKanalaaaaaaaaaa";

  YouTubeFamily() : Family("youtube") {
    setenv(kKeyVariable, kKey, 1);
    api_.set_fault_selector([this](const HttpRequest& r) { return faults().transport_fault(r); });
    yt_.add_channel(kFaulty, "@faultykanal", 4321);
    yt_.add_channel(kHealthy, "@healthykanal", 321);
    const TimeMs now = SystemClock().now();
    // 70 uploads two days apart (two pages of history, 7 within the
    // refresh window), 12 three days apart.
    for (int i = 0; i < 70; ++i)
      faulty_videos_.insert(
          yt_.add_video(kFaulty, now - (139 - 2 * i) * kDayMs - i * kMinuteMs, 100 + i));
    for (int i = 0; i < 12; ++i)
      healthy_videos_.insert(yt_.add_video(kHealthy, now - (34 - 3 * i) * kDayMs, 10 + i));
    // Citizens ask under the two newest videos; the channel answers one.
    int n = 0;
    for (const std::string& video : {newest(faulty_videos_, 0), newest(faulty_videos_, 1)}) {
      for (int i = 0; i < 3; ++i) {
        const std::string thread =
            yt_.add_comment(video, "UCbuerger00000000000000" + std::to_string(10 + n++),
                            now - 20 * kHourMs + i * kHourMs);
        faulty_threads_.insert(thread);
        if (i == 0) yt_.add_comment(video, kFaulty, now - 2 * kHourMs, thread);
      }
    }
  }
  ~YouTubeFamily() override { unsetenv(kKeyVariable); }

  std::string settings_yaml() const override {
    return "base_url: " + api_.base_url() + "/youtube/v3, feed_base_url: " + api_.base_url() +
           ", credential: {env: " + kKeyVariable + "}";
  }
  std::string handle(bool faulty) const override { return faulty ? kFaulty : kHealthy; }
  std::vector<std::string> secrets() const override { return {kKey}; }
  std::set<std::string> world_ids(bool faulty) const override {
    return faulty ? faulty_videos_ : healthy_videos_;
  }
  bool shares_host() const override { return true; }

  // A call about the faulty channel alone: its channel, its uploads, its
  // videos, their comments. (A refresh batch that names both channels is
  // the healthy one's too, and is left alone.)
  bool any_request(const HttpRequest& r) const override {
    const auto param = [&](const char* name) { return url_query_param(r.url, name).value_or(""); };
    const auto all_of = [](const std::string& list, const std::set<std::string>& set) {
      const std::vector<std::string> ids = split(list, ',');
      return !ids.empty() && std::all_of(ids.begin(), ids.end(),
                                         [&](const std::string& id) { return set.count(id) > 0; });
    };
    if (method(r) == "channels") return param("id") == kFaulty;
    if (method(r) == "playlistItems") return param("playlistId") == uploads();
    if (method(r) == "videos") return all_of(param("id"), faulty_videos_);
    if (method(r) == "commentThreads") return faulty_videos_.count(param("videoId")) > 0;
    if (method(r) == "comments") return faulty_threads_.count(param("parentId")) > 0;
    return false;
  }
  bool item_request(const HttpRequest& r) const override {
    return any_request(r) && (method(r) == "playlistItems" || method(r) == "videos");
  }
  bool first_listing(const HttpRequest& r) const override {
    return any_request(r) && method(r) == "playlistItems" && !has_param(r, "pageToken") &&
           !has_param(r, "videoId");
  }

  Format format() const override { return Format::kJson; }
  std::string empty_listing(std::string body) const override {
    const std::string kind = body.find("youtube#videoListResponse") != std::string::npos
                                 ? "youtube#videoListResponse"
                                 : "youtube#playlistItemListResponse";
    return "{\"kind\":\"" + kind +
           "\",\"etag\":\"e\",\"items\":[],\"pageInfo\":{\"totalResults\":0,\"resultsPerPage\":50}"
           "}";
  }
  std::string with_counts(std::string body, const std::vector<std::string>& values) const override {
    return replace_each(body, "\"(viewCount|likeCount|commentCount)\":\"-?[0-9]+\"",
                        [&](const std::smatch& m, int n) {
                          // Counts are strings of digits in the Data API.
                          return "\"" + m[1].str() + "\":\"" + values[n % values.size()] + "\"";
                        });
  }
  std::string with_dates(std::string body, Dates d) const override {
    return replace_each(body, "\"(publishedAt|videoPublishedAt)\":\"[^\"]*\"",
                        [&](const std::smatch& m, int) {
                          return "\"" + m[1].str() + "\":\"" + json_date(d) + "\"";
                        });
  }
  // The second video of the answer takes the first one's id.
  std::string with_colliding_ids(std::string body) const override {
    std::vector<std::string> ids;
    const std::regex video("\"(?:videoId|id)\":\"(v[0-9]{10})\"");
    for (auto it = std::sregex_iterator(body.begin(), body.end(), video);
         it != std::sregex_iterator() && ids.size() < 2; ++it) {
      if (ids.empty() || (*it)[1].str() != ids[0]) ids.push_back((*it)[1].str());
    }
    if (ids.size() < 2) return body;
    return replace_all(body, "\"" + ids[1] + "\"", "\"" + ids[0] + "\"");
  }
  CursorFault repeating_cursor() override {
    // An uploads page hands back the token it was asked with.
    Plan p;
    p.match = [this](const HttpRequest& r) {
      return item_request(r) && method(r) == "playlistItems" && has_param(r, "pageToken");
    };
    p.respond = [](const HttpRequest& r, HttpResponse honest) {
      honest.body = with_token(honest.body, url_query_param(r.url, "pageToken").value_or(""));
      return honest;
    };
    return {"an uploads page token that comes back at once", p};
  }
  CursorFault circling_cursor() override {
    // The last uploads page points back to the first (offset 0), whose
    // token leads to the last again.
    Plan p;
    p.match = [this](const HttpRequest& r) {
      return item_request(r) && method(r) == "playlistItems" && has_param(r, "pageToken");
    };
    p.respond = [](const HttpRequest&, HttpResponse honest) {
      if (honest.body.find("\"nextPageToken\"") == std::string::npos)
        honest.body = with_token(honest.body, "CAE0");
      return honest;
    };
    return {"uploads page tokens that lead back to the first page", p};
  }

  void adjust(GenericRow row, Expect& e) const override {
    switch (row) {
      case GenericRow::kFutureDates:
      case GenericRow::kAncientDates:
        // A video id carries no time: nothing can correct the date, so the
        // page guard skips those videos (reported), and no skipped video
        // becomes a stop marker of the catch-up (finding 5). Once the dates
        // are plausible again, the next poll reads every one of them.
        e.converges_during_fault = false;
        e.check = [](Run& run) {
          CHECK(run.scalar("SELECT SUM(items_skipped) FROM poll_log WHERE account_id = " +
                           std::to_string(run.account(true).id)) > 0);
          CHECK(run.account(true).cursor.find("v0") == std::string::npos);
        };
        break;
      case GenericRow::kEmpty:
        // Backfill ends incomplete, and says why (not complete: finding 1);
        // the next poll's catch-up reads every upload. The state stays
        // "incomplete" after that, although nothing is missing.
        e.reason = "ended after 0 own posts, but the profile reports 70";
        break;
      case GenericRow::kRepeatingCursor:
      case GenericRow::kCirclingCursor:
        // Backfill stops on the token seen before (finding 13); the next
        // poll's catch-up still reads every upload it has not stored.
        e.states = {"ok"};
        e.reason = row == GenericRow::kRepeatingCursor ? "page token came back" : "in circles";
        e.may_miss = 0;
        break;
      case GenericRow::kCollidingIds:
        // Each of the four answers the fault rewrote lost one video to the
        // id of another; nothing reads those again.
        e.may_miss = 4;
        break;
      default:
        break;
    }
  }

  std::vector<Case> own_cases() override;

 private:
  static std::string method(const HttpRequest& r) {
    const size_t at = r.url.find("/youtube/v3/");
    if (at == std::string::npos) return "";
    const std::string rest = r.url.substr(at + 12);
    return rest.substr(0, rest.find('?'));
  }
  static std::string uploads() { return "UU" + std::string(kFaulty).substr(2); }
  static std::string newest(const std::set<std::string>& ids, size_t k) {
    // Ids grow with each video added, and videos were added oldest first.
    return *std::next(ids.rbegin(), static_cast<long>(k));
  }
  // A JSON body with its nextPageToken set to `token` ("" removes it); the
  // fake writes compact JSON that opens with "kind".
  static std::string with_token(std::string body, const std::string& token) {
    const size_t at = body.find("\"nextPageToken\":\"");
    if (at != std::string::npos) body.erase(at, body.find('"', at + 17) + 2 - at);
    if (!token.empty()) {
      const size_t after_kind = body.find("\",", body.find("\"kind\":\"")) + 2;
      body.insert(after_kind, "\"nextPageToken\":\"" + token + "\",");
    }
    return body;
  }

  mutable FakeYouTube yt_{kKey};
  std::set<std::string> faulty_videos_;
  std::set<std::string> healthy_videos_;
  std::set<std::string> faulty_threads_;
  LoopbackServer api_{
      [this](const HttpRequest& r) { return faults().serve(r, [&] { return yt_.handle(r); }); }};
};

std::vector<Case> YouTubeFamily::own_cases() {
  std::vector<Case> cases;
  // finding 1: the refresh batch (the 7 recent videos) answered with no
  // items. The poll and backfill (50 and 20 ids) read their pages honestly.
  // Both channels' refreshes may run as one batch (whether they do depends
  // on timing): then the healthy channel's videos come back empty too, and
  // it must lose nothing either.
  Plan empty_refresh;
  empty_refresh.match = [this](const HttpRequest& r) {
    if (method(r) != "videos") return false;
    const std::vector<std::string> ids = split(url_query_param(r.url, "id").value_or(""), ',');
    return ids.size() > 1 && ids.size() < 20 &&
           std::any_of(ids.begin(), ids.end(),
                       [this](const std::string& id) { return faulty_videos_.count(id) > 0; });
  };
  empty_refresh.respond = [this](const HttpRequest&, HttpResponse r) {
    r.body = empty_listing("youtube#videoListResponse");
    return r;
  };
  // The refresh fails as a degraded answer (twice: poll --once retries it);
  // the comment sweep after it succeeds, so the account ends ok, and the
  // poll log keeps the refresh's failure.
  cases.push_back(row(
      "videos.list answering no items marks nothing deleted (finding 1)", empty_refresh, {"ok"}, "",
      [](Run& run) {
        const std::string refresh = run.last_unit(true, "refresh");
        CHECK_MESSAGE(refresh.rfind("server_error | videos.list returned none of the ", 0) == 0,
                      refresh);
        CHECK(run.scalar("SELECT COUNT(*) FROM posts WHERE deleted_at IS NOT NULL") == 0);
        CHECK(run.scalar("SELECT COUNT(*) FROM posts WHERE missing_count > 0") == 0);
      },
      true));
  // finding 4: the newest video's comment page token never ends.
  Plan endless;
  endless.match = [this](const HttpRequest& r) {
    return any_request(r) && method(r) == "commentThreads" &&
           url_query_param(r.url, "videoId") == newest(faulty_videos_, 0);
  };
  auto n = std::make_shared<std::atomic<int>>(0);
  endless.respond = [n](const HttpRequest&, HttpResponse honest) {
    honest.body = with_token(honest.body, "Tok" + std::to_string((*n)++));
    return honest;
  };
  cases.push_back(row(
      "a comment page token that never ends (finding 4)", endless, {"ok"}, "",
      [](Run& run) {
        // At most 50 requests a video and sweep, whatever the tokens say.
        CHECK(run.family.faults().hits() <= 50);
        const std::string comments = run.last_unit(true, "comments");
        CHECK_MESSAGE(comments.find("stopped after 50 requests") != std::string::npos, comments);
      },
      true));
  // The caveat of issue #20: a 403 without a reason is no refused key.
  HttpResponse empty_403;
  empty_403.status = 403;
  cases.push_back(row("a 403 with an empty body is retried, not auth_required",
                      answer([this](const HttpRequest& r) { return any_request(r); }, empty_403),
                      {"backing_off"}, "HTTP 403 without a reason"));
  return cases;
}

// ---------------------------------------------------------------- RSS/Atom

// Two news sites, each on its own host, each with a feed of its newest 10.
class FeedFamily final : public Family {
 public:
  FeedFamily() : Family("rss") {
    faulty_server_.set_fault_selector(
        [this](const HttpRequest& r) { return faults().transport_fault(r); });
    const TimeMs now = SystemClock().now();
    for (int i = 0; i < 10; ++i) {
      faulty_site_.add_item("pm-" + std::to_string(100 + i), now - (10 - i) * kDayMs,
                            "Pressemitteilung " + std::to_string(i));
      healthy_site_.add_item("ev-" + std::to_string(100 + i), now - (20 - 2 * i) * kDayMs,
                             "Veranstaltung " + std::to_string(i));
    }
  }

  std::string settings_yaml() const override { return ""; }
  std::string handle(bool faulty) const override {
    return (faulty ? faulty_server_ : healthy_server_).base_url() + "/aktuelles/rss.xml";
  }
  std::set<std::string> world_ids(bool faulty) const override {
    std::set<std::string> ids;
    for (int i = 0; i < 10; ++i) ids.insert((faulty ? "pm-" : "ev-") + std::to_string(100 + i));
    return ids;
  }
  // Entries whose guid other entries share are keyed deeper: "guid|link=...".
  std::string world_id_of(const std::string& stored) const override {
    return stored.substr(0, stored.find('|'));
  }
  bool shares_host() const override { return false; }

  bool any_request(const HttpRequest& r) const override {
    return r.url.rfind(faulty_server_.base_url(), 0) == 0;
  }
  bool item_request(const HttpRequest& r) const override { return any_request(r); }
  bool first_listing(const HttpRequest& r) const override { return any_request(r); }

  Format format() const override { return Format::kXml; }
  std::string empty_listing(std::string body) const override {
    return replace_each(body, "<item>.*</item>\n", [](const std::smatch&, int) { return ""; });
  }
  // Comment counts (the Slash module), which the fake does not send.
  std::string with_counts(std::string body, const std::vector<std::string>& values) const override {
    body =
        replace_all(body, "<rss version=\"2.0\">",
                    "<rss version=\"2.0\" xmlns:slash=\"http://purl.org/rss/1.0/modules/slash/\">");
    return replace_each(body, "</item>", [&](const std::smatch&, int n) {
      return "<slash:comments>" + values[n % values.size()] + "</slash:comments></item>";
    });
  }
  std::string with_dates(std::string body, Dates d) const override {
    const char* date =
        d == Dates::kFuture ? "Fri, 31 Dec 9999 23:59:59 GMT" : "Mon, 01 Jan 0001 00:00:00 GMT";
    return replace_each(body, "<pubDate>[^<]*</pubDate>", [&](const std::smatch&, int) {
      return std::string("<pubDate>") + date + "</pubDate>";
    });
  }
  // The second entry carries the first entry's guid (a CMS bug).
  std::string with_colliding_ids(std::string body) const override {
    std::vector<std::smatch> m;
    const std::regex guid("<guid isPermaLink=\"false\">([^<]*)</guid>");
    for (auto it = std::sregex_iterator(body.begin(), body.end(), guid);
         it != std::sregex_iterator() && m.size() < 2; ++it)
      m.push_back(*it);
    if (m.size() < 2) return body;
    body.replace(static_cast<size_t>(m[1].position(1)), m[1][1].length(), m[0][1].str());
    return body;
  }
  // Not applicable (see adjust): a feed has no cursor.
  CursorFault repeating_cursor() override { return {"", Plan{}}; }
  CursorFault circling_cursor() override { return {"", Plan{}}; }

  void adjust(GenericRow row, Expect& e) const override {
    switch (row) {
      case GenericRow::kRepeatingCursor:
      case GenericRow::kCirclingCursor:
        // The RSS connector reads one document with one request per poll and
        // follows no paging link, so there is no cursor to repeat or circle.
        // Own row instead: "a feed whose next link points back to itself".
        e.not_applicable = "a feed is one document, read with one request per poll";
        break;
      case GenericRow::kEmpty:
        // A feed shows only its newest entries: an empty one deletes nothing
        // and closes nothing (there is no history to close).
        e.states = {"ok"};
        break;
      case GenericRow::kFutureDates:
      case GenericRow::kAncientDates:
        // Finding 7: kept, dated when first seen, flagged as estimated.
        e.check = [](Run& run) {
          CHECK(run.scalar("SELECT COUNT(*) FROM posts WHERE quality & 8") == 10);
        };
        break;
      case GenericRow::kCollidingIds:
        // Finding 6: both entries kept, keyed by guid and link, and said.
        e.may_miss = 0;
        e.reason = "share";
        e.check = [](Run& run) {
          CHECK(run.stored_ids(true).size() == 10);
          CHECK(run.scalar("SELECT COUNT(*) FROM account_events WHERE kind = 'feed_ids_shared'") ==
                1);
        };
        break;
      default:
        break;
    }
  }

  std::vector<Case> own_cases() override;

 private:
  mutable FakeFeedSite faulty_site_;
  mutable FakeFeedSite healthy_site_;
  LoopbackServer faulty_server_{[this](const HttpRequest& r) {
    return faults().serve(r, [&] { return faulty_site_.handle(r); });
  }};
  LoopbackServer healthy_server_{[this](const HttpRequest& r) { return healthy_site_.handle(r); }};
};

std::vector<Case> FeedFamily::own_cases() {
  std::vector<Case> cases;
  const auto faulty = [this](const HttpRequest& r) { return any_request(r); };
  // The caveat of issue #20: an unconditional GET answered 304.
  HttpResponse not_modified;
  not_modified.status = 304;
  cases.push_back(row("304 Not Modified to a request that sent no validator",
                      answer(faulty, not_modified), {"degraded"}, "sent no validator"));
  cases.push_back(row(
      "a feed whose next link points back to itself (no cursor to follow)",
      rewrite(faulty,
              [this](std::string b) {
                b = replace_all(b, "<rss version=\"2.0\">",
                                "<rss version=\"2.0\" "
                                "xmlns:atom=\"http://www.w3.org/2005/Atom\">");
                return replace_all(
                    b, "<channel>",
                    "<channel><atom:link rel=\"next\" href=\"" + handle(true) + "\"/>");
              }),
      {"ok"}, "", [](Run& run) { CHECK(run.family.faults().hits() == 1); }, true));
  // A billion laughs (10^9 "lol" from a few hundred bytes): refused by
  // the XML reader, not expanded.
  cases.push_back(row("a DOCTYPE with a billion laughs",
                      rewrite(faulty,
                              [](std::string b) {
                                std::string doctype = "<!DOCTYPE rss [<!ENTITY l0 \"lol\">";
                                for (int i = 1; i < 10; ++i) {
                                  doctype += "<!ENTITY l" + std::to_string(i) + " \"";
                                  for (int k = 0; k < 10; ++k)
                                    doctype += "&l" + std::to_string(i - 1) + ";";
                                  doctype += "\">";
                                }
                                b.insert(b.find("<rss"), doctype + "]>");
                                return replace_all(b, "<title>Pressemitteilung 9</title>",
                                                   "<title>&l9;</title>");
                              }),
                      {"degraded"}, "entity reference loop"));
  // An external entity on another host (XXE): never fetched (the canary
  // gets no request), never expanded into what is stored.
  cases.push_back(
      row("an external entity on another host (XXE)",
          rewrite(faulty,
                  [this](std::string b) {
                    b.insert(b.find("<rss"),
                             "<!DOCTYPE rss [<!ENTITY xxe SYSTEM \"" + canary_url() + "/xxe\">]>");
                    return replace_all(b, "<title>Pressemitteilung 9</title>",
                                       "<title>Pressemitteilung 9 &xxe;</title>");
                  }),
          {"ok", "degraded"}, "", [](Run& run) {
            CHECK(run.family.canary_requests() == 0);
            CHECK(run.scalar("SELECT COUNT(*) FROM posts WHERE text LIKE '%canary%' OR title LIKE "
                             "'%canary%'") == 0);
          }));
  cases.push_back(row(
      "UTF-8 declared as ISO-8859-1",
      rewrite(faulty,
              [](std::string b) {
                b = replace_all(b, "encoding=\"utf-8\"", "encoding=\"ISO-8859-1\"");
                return replace_all(b, "Pressemitteilung", "Bürgerbüro");
              }),
      {"ok"}, "read as UTF-8",
      [](Run& run) {
        CHECK(run.scalar("SELECT COUNT(*) FROM posts WHERE text LIKE '%Bürgerbüro%' "
                         "OR title LIKE '%Bürgerbüro%'") > 0);
      },
      true));
  return cases;
}

}  // namespace

TEST_CASE("fault matrix: Mastodon, one faulty and one healthy account") {
  MastodonFamily family;
  run_matrix(family);
}

TEST_CASE("fault matrix: Bluesky, one faulty and one healthy account on one AppView") {
  BlueskyFamily family;
  run_matrix(family);
}

TEST_CASE("fault matrix: YouTube with an API key, one faulty and one healthy channel on one API") {
  YouTubeFamily family;
  run_matrix(family);
}

TEST_CASE("fault matrix: RSS and Atom, one faulty and one healthy feed on two sites") {
  FeedFamily family;
  run_matrix(family);
}
