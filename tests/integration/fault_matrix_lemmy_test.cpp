// The fault matrix's Lemmy family: how a Lemmy instance carries the generic
// faults, where Lemmy's outcome differs from the default, and the rows only
// Lemmy can have (its fake: tests/support/fake_lemmy.h). The harness, the
// generic rows every family gets and what is asserted for each row:
// tests/support/fault_matrix.h; the faults and what muniscope does with
// each: docs/reliability.md.
#include <doctest/doctest.h>

#include "core/clock.h"
#include "core/strings.h"
#include "fake_lemmy.h"
#include "fault_matrix.h"
#include "loopback_server.h"

using namespace muni;
using namespace muni::test;
using namespace muni::test::matrix;

namespace {

std::set<std::string> as_set(const std::vector<std::string>& v) { return {v.begin(), v.end()}; }

const char* json_date(Dates d) {
  return d == Dates::kFuture ? "9999-12-31T00:00:00.000000Z" : "0001-01-01T00:00:00.000000Z";
}

int64_t page_of(const HttpRequest& r) {
  return parse_int64(url_query_param(r.url, "page").value_or("1")).value_or(1);
}

bool is_list(const HttpRequest& r) { return r.url.find("/api/v3/post/list?") != std::string::npos; }

// Two instances, one community on each: the faulty instance's community
// has 130 posts (two backfill pages below the first) and a discussion
// under its newest; the healthy one 40 posts.
class LemmyFamily final : public Family {
 public:
  LemmyFamily() : Family("lemmy") {
    faulty_.set_base_url(faulty_server_.base_url());
    healthy_.set_base_url(healthy_server_.base_url());
    faulty_server_.set_fault_selector(
        [this](const HttpRequest& r) { return faults().transport_fault(r); });
    const TimeMs now = SystemClock().now();
    faulty_.add_community("rathaus", 2841);
    healthy_.add_community("museum", 310);
    std::string newest;
    for (int i = 0; i < 130; ++i) {
      newest = faulty_.add_post("rathaus", i % 4 == 0 ? "presse" : "buergerin",
                                now - (131 - i) * kDayMs - i * kMinuteMs);
      if (i < 40) healthy_.add_post("museum", "team", now - (41 - i) * 3 * kDayMs);
    }
    const std::string q = faulty_.add_comment(newest, "nachbar@andere.example", now - 20 * kHourMs);
    const std::string r = faulty_.add_comment(newest, "buergerin", now - 19 * kHourMs, q);
    faulty_.add_comment(newest, "presse", now - 18 * kHourMs, r);
    newest_ = newest;
  }

  std::string settings_yaml() const override {
    return "staff_persons: \"presse\", rate_limit_wait: 2s";
  }
  std::string handle(bool faulty) const override {
    return faulty ? faulty_server_.base_url() + "/c/rathaus"
                  : healthy_server_.base_url() + "/c/museum";
  }
  std::set<std::string> world_ids(bool faulty) const override {
    return faulty ? as_set(faulty_.post_ids("rathaus")) : as_set(healthy_.post_ids("museum"));
  }
  bool shares_host() const override { return false; }

  bool any_request(const HttpRequest& r) const override {
    return r.url.rfind(faulty_server_.base_url(), 0) == 0;
  }
  // The post lists and single posts.
  bool item_request(const HttpRequest& r) const override {
    return any_request(r) && (is_list(r) || r.url.find("/api/v3/post?") != std::string::npos);
  }
  bool first_listing(const HttpRequest& r) const override {
    return any_request(r) && is_list(r) && page_of(r) == 1 &&
           r.url.find("page_cursor=") == std::string::npos;
  }

  Format format() const override { return Format::kJson; }
  std::string empty_listing(std::string) const override { return "{\"posts\":[]}"; }
  std::string with_counts(std::string body, const std::vector<std::string>& values) const override {
    return replace_each(body, "\"(upvotes|downvotes|score|comments)\":-?[0-9]+",
                        [&](const std::smatch& m, int n) {
                          return "\"" + m[1].str() + "\":" + values[n % values.size()];
                        });
  }
  std::string with_dates(std::string body, Dates d) const override {
    // The posts' own times (not their creators').
    return replace_each(
        body, "\"deleted\":(false|true),\"published\":\"[^\"]*\"", [&](const std::smatch& m, int) {
          return "\"deleted\":" + m[1].str() + ",\"published\":\"" + json_date(d) + "\"";
        });
  }
  // The second post of the answer takes the first one's id.
  std::string with_colliding_ids(std::string body) const override {
    std::vector<std::string> ids;
    const std::regex id("\"post\":\\{\"id\":([0-9]+)");
    for (auto it = std::sregex_iterator(body.begin(), body.end(), id);
         it != std::sregex_iterator() && ids.size() < 2; ++it)
      ids.push_back((*it)[1].str());
    if (ids.size() < 2) return body;
    return replace_all(body, "\"post\":{\"id\":" + ids[1] + ",",
                       "\"post\":{\"id\":" + ids[0] + ",");
  }
  CursorFault repeating_cursor() override {
    // `page` ignored: every page further down is the first page again.
    Plan p;
    p.match = [this](const HttpRequest& r) {
      return any_request(r) && is_list(r) && page_of(r) > 1;
    };
    p.respond = [this](const HttpRequest& r, HttpResponse) {
      HttpRequest first = r;
      first.url = replace_all(r.url, "page=" + std::to_string(page_of(r)), "page=1");
      return faulty_.handle(first);
    };
    return {"the instance ignores page", p};
  }
  CursorFault circling_cursor() override {
    // Every page past the first one asked for leads back to that page.
    Plan p;
    p.match = [this](const HttpRequest& r) {
      return any_request(r) && is_list(r) && page_of(r) > 1;
    };
    auto first_page = std::make_shared<int64_t>(-1);
    p.respond = [this, first_page](const HttpRequest& r, HttpResponse honest) {
      if (*first_page < 0) *first_page = page_of(r);
      if (page_of(r) == *first_page) return honest;
      HttpRequest back = r;
      back.url = replace_all(r.url, "page=" + std::to_string(page_of(r)),
                             "page=" + std::to_string(*first_page));
      return faulty_.handle(back);
    };
    return {"pages lead back to an earlier page", p};
  }

  void adjust(GenericRow row, Expect& e) const override {
    switch (row) {
      case GenericRow::kFutureDates:
      case GenericRow::kAncientDates:
        // A Lemmy id carries no time: nothing can correct the date, so the
        // page guard skips those posts (reported), and none moves the head;
        // once the dates are plausible again the next poll reads them.
        e.converges_during_fault = false;
        e.check = [](Run& run) {
          CHECK(run.scalar("SELECT SUM(items_skipped) FROM poll_log WHERE account_id = " +
                           std::to_string(run.account(true).id)) > 0);
        };
        break;
      case GenericRow::k429AbsurdForever:
        // The engine finding the PeerTube family notes: the host's short
        // hint-less pause runs out while the clamped X-RateLimit-Reset
        // (15 min, remaining 0) still blocks the host, and host_status does
        // not show that wait, so the matrix cannot wait it out before its
        // recovery run (docs/reliability.md). Not Lemmy's to change.
        e.not_applicable =
            "a spent X-RateLimit-Remaining is not shown as a host hold (engine finding)";
        break;
      case GenericRow::kCollidingIds:
        // Every listing page collides (the first poll's and both backfill
        // pages): each loses one post. The next poll reads the first page
        // again; the two backfill pages are not read again once the
        // history is complete.
        e.may_miss = 2;
        break;
      default:
        break;
    }
  }

  std::vector<Case> own_cases() override;

  mutable FakeLemmy faulty_;
  mutable FakeLemmy healthy_;
  std::string newest_;
  LoopbackServer faulty_server_{[this](const HttpRequest& r) {
    return faults().serve(r, [&] { return faulty_.handle(r); });
  }};
  LoopbackServer healthy_server_{[this](const HttpRequest& r) { return healthy_.handle(r); }};
};

std::vector<Case> LemmyFamily::own_cases() {
  std::vector<Case> cases;
  const auto community = [this](const HttpRequest& r) {
    return any_request(r) && r.url.find("/api/v3/community?") != std::string::npos;
  };
  // Lemmy 0.19's rate-limit refusal: HTTP 400 with its error body, to every
  // request of the host. A throttle, not an error: the host is held for
  // rate_limit_wait and the account reads on once it is over.
  cases.push_back(row("400 rate_limit_error to every request",
                      answer([this](const HttpRequest& r) { return any_request(r); },
                             json_answer(400, "{\"error\":\"rate_limit_error\"}")),
                      {"rate_limited"}, "rate_limit_error"));
  cases.back().host_wide = true;
  // Lemmy 0.19's "no such community" is a 400 with its error type.
  cases.push_back(row("400 couldnt_find_community",
                      answer(community, json_answer(400, "{\"error\":\"couldnt_find_community\"}")),
                      {"not_found", "backing_off"}, "couldnt_find_community"));
  cases.push_back(row("a private instance",
                      answer(community, json_answer(400, "{\"error\":\"instance_is_private\"}")),
                      {"auth_required"}, "private"));
  // A community its moderators deleted: gone.
  cases.push_back(row("a deleted community",
                      rewrite(community,
                              [](std::string b) {
                                return replace_all(b, "\"deleted\":false", "\"deleted\":true");
                              }),
                      {"gone", "backing_off"}, "deleted"));
  // Comment paths that name the comment itself or are not numbers: those
  // comments are skipped, never stored under a wrong thread; the account is fine.
  cases.push_back(
      row("hostile comment paths",
          rewrite(
              [this](const HttpRequest& r) {
                return any_request(r) && r.url.find("/api/v3/comment/list?") != std::string::npos;
              },
              [](std::string b) {
                return replace_each(b, "\"path\":\"[^\"]*\"", [](const std::smatch&, int n) {
                  return std::string(n % 2 ? "\"path\":\"0.x.1\"" : "\"path\":\"0\"");
                });
              }),
          {"ok"}, "", nullptr, true));
  // Another post's answer to post?id (a confused cache): nothing of it is
  // taken for the post asked for.
  cases.push_back(
      row("post?id answers with another post",
          rewrite(
              [this](const HttpRequest& r) {
                return any_request(r) && r.url.find("/api/v3/post?") != std::string::npos;
              },
              [](std::string b) {
                return replace_each(b, "\"post\":\\{\"id\":[0-9]+", [](const std::smatch&, int) {
                  return std::string("\"post\":{\"id\":77777");
                });
              }),
          {"ok"}, "", nullptr, true));
  return cases;
}

}  // namespace

TEST_CASE("fault matrix: Lemmy, one faulty and one healthy community on two instances") {
  LemmyFamily family;
  run_matrix(family);
}
