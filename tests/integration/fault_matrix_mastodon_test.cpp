// The fault matrix's Mastodon family: how a Mastodon instance carries the
// generic faults, where Mastodon's outcome differs from the default, and the
// rows only Mastodon can have (its fake: tests/support/fake_mastodon.h).
// The harness, the generic rows every family gets and what is asserted for
// each row: tests/support/fault_matrix.h; the faults and what muniscope does
// with each: docs/reliability.md.
#include <doctest/doctest.h>

#include <cstdlib>

#include "core/clock.h"
#include "core/strings.h"
#include "fake_mastodon.h"
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

}  // namespace

TEST_CASE("fault matrix: Mastodon, one faulty and one healthy account") {
  MastodonFamily family;
  run_matrix(family);
}
