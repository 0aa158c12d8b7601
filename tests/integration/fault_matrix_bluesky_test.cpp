// The fault matrix's Bluesky family: how an AppView carries the generic
// faults, where Bluesky's outcome differs from the default, and the rows
// only Bluesky can have (its fake: tests/support/fake_bluesky.h).
// The harness, the generic rows every family gets and what is asserted for
// each row: tests/support/fault_matrix.h; the faults and what muniscope does
// with each: docs/reliability.md.
#include <doctest/doctest.h>

#include <cstdlib>

#include "core/clock.h"
#include "core/strings.h"
#include "fake_bluesky.h"
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

}  // namespace

TEST_CASE("fault matrix: Bluesky, one faulty and one healthy account on one AppView") {
  BlueskyFamily family;
  run_matrix(family);
}
