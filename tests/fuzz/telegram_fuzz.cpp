// Fuzz target: Telegram's preview and channel pages (HTML through libxml2),
// the shown counts ("33.4K"), and the connector's poll and backfill sessions
// fed the input as every answer. Seeds: tests/fixtures/telegram.
#include <cstdlib>
#include <string>
#include <string_view>

#include "connectors/telegram/telegram_connector.h"
#include "connectors/telegram/telegram_parse.h"
#include "core/text_safety.h"
#include "engine/page_guard.h"
#include "fuzz_targets.h"

namespace muni::fuzz {

namespace {

void check_page(Page& page) {
  (void)guard_page(page, jan1_ms(2014), 4102444800000 /* 2100-01-01 */);
  for (const PostRecord& p : page.batch.posts) {
    if (!is_valid_utf8(p.text) || !is_valid_utf8(p.platform_post_id)) std::abort();
    if (p.platform_post_id.empty()) std::abort();
    if (p.engagement.views && (*p.engagement.views < 0 || *p.engagement.views > kMaxPlausibleCount))
      std::abort();
  }
}

void drive(const std::string& body, WorkKind work, const char* url) {
  static const auto connector = make_telegram_connector();
  AccountView a;
  a.account_id = 1;
  a.platform = "telegram";
  a.handle = "musterstadt_info";
  a.base_url = "https://t.test";
  a.now = 1767225600000;  // 2026-01-01
  a.cursor = work == WorkKind::kBackfill ? "{\"back\":21,\"newest\":26}" : "";
  auto s = connector->begin(a, work);
  StepResult r = s->start();
  HttpResponse response;
  response.status = 200;
  response.body = body;
  response.url = url;
  response.headers.push_back({"Content-Type", "text/html"});
  for (int step = 0; step < 40 && r.request && !r.done; ++step) {
    if (r.page) check_page(*r.page);
    r = s->on_response(response);
  }
  if (r.page) check_page(*r.page);
}

void run_telegram(const uint8_t* data, size_t size) {
  const std::string body(reinterpret_cast<const char*>(data), size);
  if (auto page = telegram::parse_preview(body, "musterstadt_info"); page.ok()) {
    Page p;
    p.batch.posts = page->posts;
    check_page(p);
    if (page->min_id > page->max_id) std::abort();
  }
  const telegram::ChannelPage channel = telegram::parse_channel_page(body);
  if (channel.subscribers && channel.subscribers->value < 0) std::abort();
  if (auto c = telegram::parse_shown_count(std::string_view(body).substr(0, 64)))
    if (c->value < 0) std::abort();
  drive(body, WorkKind::kPoll, "https://t.test/s/musterstadt_info");
  drive(body, WorkKind::kPoll, "https://t.test/musterstadt_info");
  drive(body, WorkKind::kBackfill, "https://t.test/s/musterstadt_info?before=21");
}

}  // namespace

MUNISCOPE_REGISTER_FUZZ_TARGET(telegram, run_telegram, {"telegram"});

}  // namespace muni::fuzz
