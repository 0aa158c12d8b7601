// The fault matrix for Telegram public channels (tests/support/fault_matrix.h):
// two channels on one fake t.me (one host, as on the real one), the faulty
// one getting the faults. The generic rows in the preview's terms (views in
// span.tgme_widget_message_views, dates in <time datetime>, ids in
// data-post, paging by ?before=), and the rows only Telegram has: the
// preview redirecting to the channel page (restricted or unknown), a script
// and an external entity in a message, views that are no numbers.
#include <doctest/doctest.h>

#include "core/clock.h"
#include "core/strings.h"
#include "fake_telegram.h"
#include "fault_matrix.h"
#include "loopback_server.h"

using namespace muni;
using namespace muni::test;
using namespace muni::test::matrix;

namespace {

constexpr const char* kFaulty = "rathaus_faulty";
constexpr const char* kHealthy = "museum_healthy";

HttpResponse html_answer(int status, std::string body, std::vector<HttpHeader> headers = {}) {
  HttpResponse r;
  r.status = status;
  r.body = std::move(body);
  r.headers = std::move(headers);
  r.headers.push_back({"Content-Type", "text/html; charset=utf-8"});
  return r;
}

class TelegramFamily final : public Family {
 public:
  TelegramFamily() : Family("telegram") {
    server_.set_fault_selector(
        [this](const HttpRequest& r) { return faults().transport_fault(r); });
    const TimeMs now = SystemClock().now();
    fake_.add_channel(kFaulty, "Rathaus", 2841, now - 400 * kDayMs);
    fake_.add_channel(kHealthy, "Museum", 310, now - 300 * kDayMs);
    for (int i = 0; i < 55; ++i) {
      const TimeMs t = now - (55 - i) * 5 * kHourMs;
      fake_.add_message(kFaulty, t, "Meldung " + std::to_string(i), 100 + i * 97,
                        i % 9 == 8 ? "landkreis_x/" + std::to_string(100 + i) : "");
      if (i < 30) fake_.add_message(kHealthy, t, "Ausstellung " + std::to_string(i), 20 + i);
    }
  }

  std::string settings_yaml() const override { return "base_url: \"" + server_.base_url() + "\""; }
  std::string handle(bool faulty) const override {
    return std::string("@") + (faulty ? kFaulty : kHealthy);  // as stored
  }
  std::set<std::string> world_ids(bool faulty) const override {
    const auto ids = fake_.ids(faulty ? kFaulty : kHealthy);
    return {ids.begin(), ids.end()};
  }
  bool shares_host() const override { return true; }

  bool any_request(const HttpRequest& r) const override {
    return r.url.find(std::string("/") + kFaulty) != std::string::npos;
  }
  // The preview pages carry the messages.
  bool item_request(const HttpRequest& r) const override {
    return r.url.find(std::string("/s/") + kFaulty) != std::string::npos;
  }
  bool first_listing(const HttpRequest& r) const override {
    return item_request(r) && r.url.find("before=") == std::string::npos;
  }

  // HTML, parsed as markup: the XML family's generic bodies are what a
  // broken t.me would send as well.
  Format format() const override { return Format::kXml; }
  std::string empty_listing(std::string body) const override {
    const size_t open = body.find("js-message_history\">");
    const size_t close = body.find("</section>", open);
    if (open == std::string::npos || close == std::string::npos) return body;
    return body.substr(0, open + 20) + "\n" + body.substr(close);
  }
  std::string with_counts(std::string body, const std::vector<std::string>& values) const override {
    return replace_each(body, "<span class=\"tgme_widget_message_views\">[^<]*</span>",
                        [&](const std::smatch&, int n) {
                          return "<span class=\"tgme_widget_message_views\">" +
                                 values[n % values.size()] + "</span>";
                        });
  }
  std::string with_dates(std::string body, Dates d) const override {
    const char* date =
        d == Dates::kFuture ? "9999-12-31T00:00:00+00:00" : "0001-01-01T00:00:00+00:00";
    return replace_each(body, "datetime=\"[^\"]*\"", [&](const std::smatch&, int) {
      return std::string("datetime=\"") + date + "\"";
    });
  }
  // The second message of the page takes the first one's id.
  std::string with_colliding_ids(std::string body) const override {
    std::vector<std::smatch> m;
    const std::regex post(std::string("data-post=\"") + kFaulty + "/([0-9]+)\"");
    for (auto it = std::sregex_iterator(body.begin(), body.end(), post);
         it != std::sregex_iterator() && m.size() < 2; ++it)
      m.push_back(*it);
    if (m.size() < 2) return body;
    body.replace(static_cast<size_t>(m[1].position(1)), m[1][1].length(), m[0][1].str());
    return body;
  }
  CursorFault repeating_cursor() override {
    // ?before= ignored: every older page is the newest page again.
    Plan p;
    p.match = [this](const HttpRequest& r) {
      return item_request(r) && r.url.find("before=") != std::string::npos;
    };
    p.respond = [this](const HttpRequest&, HttpResponse) {
      return html_answer(200, fake_.preview_html(kFaulty, 0));
    };
    return {"the preview ignores before", p};
  }
  CursorFault circling_cursor() override {
    // Every ?before= after the first leads back to the page of the first.
    Plan p;
    p.match = [this](const HttpRequest& r) {
      return item_request(r) && r.url.find("before=") != std::string::npos;
    };
    auto first = std::make_shared<int64_t>(0);
    p.respond = [this, first](const HttpRequest& r, HttpResponse honest) {
      const int64_t before =
          parse_int64(url_query_param(r.url, "before").value_or("0")).value_or(0);
      if (*first == 0) *first = before;
      if (before == *first) return honest;
      return html_answer(200, fake_.preview_html(kFaulty, *first));
    };
    return {"before leads back to an earlier page", p};
  }

  void adjust(GenericRow row, Expect& e) const override {
    switch (row) {
      case GenericRow::kTruncated:
        // HTML is read leniently: a half page would parse. The missing
        // </html> gives it away; nothing of it is stored.
        e.reason = "ended early";
        break;
      case GenericRow::kHtml:
      case GenericRow::kDeepNesting:
        e.reason = "not a Telegram channel preview";
        break;
      case GenericRow::kFutureDates:
      case GenericRow::kAncientDates:
        // A message id carries no time: nothing can correct the date, and a
        // page skipped in part would be paged past for good. The page is
        // refused whole; the next poll reads it.
        e.states = {"degraded"};
        e.reason = "outside what is possible";
        e.converges_during_fault = false;
        e.check = [](Run& run) {
          CHECK(run.scalar("SELECT COUNT(*) FROM posts p JOIN accounts a ON a.id = p.account_id "
                           "WHERE a.handle = '@rathaus_faulty'") == 0);
        };
        break;
      case GenericRow::kCollidingIds:
        // Never on a real page: refused whole, so nothing is lost.
        e.states = {"degraded"};
        e.reason = "appears twice";
        e.may_miss = 0;
        break;
      case GenericRow::kEmpty:
        // An empty newest page closes nothing: asked again next poll.
        e.check = [](Run& run) {
          CHECK(run.account(true).backfill_state == BackfillState::kPending);
        };
        break;
      case GenericRow::kRepeatingCursor:
      case GenericRow::kCirclingCursor:
        e.reason = "ignores before";
        break;
      case GenericRow::kOversized:
        // As for the compression bomb: on a loaded machine the server may
        // take longer than the request timeout to send 8 MiB, and the
        // timeout cuts it instead of the size cap, which is as good.
        e.reason = "";
        e.check = [](Run& run) {
          const std::string poll = run.last_unit(true, "poll");
          CHECK_MESSAGE((poll.find("larger than") != std::string::npos ||
                         poll.find("Timeout was reached") != std::string::npos),
                        poll);
        };
        break;
      default:
        break;
    }
  }

  std::vector<Case> own_cases() override;

  FakeTelegram& fake() { return fake_; }

 private:
  mutable FakeTelegram fake_;
  LoopbackServer server_{[this](const HttpRequest& r) {
    if (any_request(r)) return faults().serve(r, [&] { return fake_.handle(r); });
    return fake_.handle(r);
  }};
};

std::vector<Case> TelegramFamily::own_cases() {
  std::vector<Case> cases;
  const auto previews = [this](const HttpRequest& r) { return item_request(r); };
  const auto faulty = [this](const HttpRequest& r) { return any_request(r); };
  // t.me redirects the preview of a restricted channel to its page.
  cases.push_back(
      row("the preview redirects to the channel page (restricted)",
          answer(previews, html_answer(302, "", {{"Location", std::string("/") + kFaulty}})),
          {"suspended"}, "no public preview"));
  // An unknown name: the preview redirects to a page that names no channel.
  Plan unknown;
  unknown.match = faulty;
  unknown.respond = [](const HttpRequest& r, HttpResponse) {
    if (r.url.find("/s/") != std::string::npos)
      return html_answer(302, "", {{"Location", std::string("/") + kFaulty}});
    return html_answer(200,
                       "<!DOCTYPE html><html><body><div class=\"tgme_page\"><div "
                       "class=\"tgme_page_description\">If you have Telegram, you can contact "
                       "@rathaus_faulty right away.</div></div></body></html>");
  };
  cases.push_back(row("the preview redirects to a page of an unknown name", unknown,
                      {"not_found", "backing_off"}, "no public Telegram channel"));
  // A script, an event handler and an external entity in a message: text,
  // never run, never fetched.
  cases.push_back(row(
      "a script and an external entity on another host in a message",
      rewrite(previews,
              [this](std::string b) {
                b.insert(0, "<!DOCTYPE html [<!ENTITY xxe SYSTEM \"" + canary_url() + "/xxe\">]>");
                return replace_all(b, "Meldung 3<",
                                   "Meldung 3 <script>fetch('" + canary_url() +
                                       "/x')</script><img src=\"" + canary_url() +
                                       "/i.png\" onerror=\"x()\">&xxe;<");
              }),
      {"ok"}, "",
      [](Run& run) {
        CHECK(run.family.canary_requests() == 0);
        CHECK(run.scalar("SELECT COUNT(*) FROM posts WHERE text LIKE '%fetch(%' OR text LIKE "
                         "'%canary%'") == 0);
      },
      true));
  // Views the preview never writes: unknown, never 0, never a guess.
  cases.push_back(row(
      "views that are no numbers (words, 1e9K, a minus, a lone K)",
      rewrite(previews,
              [this](std::string b) {
                return with_counts(std::move(b), {"many", "1e9K", "-3K", "K", "1.2.3M"});
              }),
      {"ok"}, "",
      [](Run& run) {
        CHECK(run.scalar("SELECT COUNT(*) FROM posts WHERE views IS NOT NULL AND views <= 0") == 0);
      },
      true));
  // The channel page alone throttled: the messages are stored, the count
  // comes with the wait.
  cases.push_back(row("a 429 with Retry-After on the channel page only",
                      answer(
                          [this](const HttpRequest& r) {
                            return any_request(r) && r.url.find("/s/") == std::string::npos;
                          },
                          html_answer(429, "Too Many Requests", {{"Retry-After", "1"}}), 1),
                      {"ok"}, "", nullptr, true));
  return cases;
}

}  // namespace

TEST_CASE("fault matrix: Telegram, one faulty and one healthy channel on one t.me") {
  TelegramFamily family;
  run_matrix(family);
}
