// Telegram public channels: handles, the preview and channel page parsers
// over fixtures (every stored field), the sessions driven with fixture
// pages (first poll, incremental poll with a gap, backfill to the first
// message, channels without a preview), and the recorded samples.
#include <doctest/doctest.h>

#include <filesystem>

#include "connectors/builtin.h"
#include "connectors/telegram/telegram_connector.h"
#include "connectors/telegram/telegram_handle.h"
#include "connectors/telegram/telegram_parse.h"
#include "connectors/toolkit.h"
#include "core/platform.h"
#include "test_support.h"

using namespace muni;
using muni::test::at;
using muni::test::read_fixture;

namespace {

constexpr const char* kBase = "https://t.test";

AccountView view(std::string cursor = "") {
  AccountView v;
  v.account_id = 1;
  v.platform = "telegram";
  v.handle = "@musterstadt_info";
  v.cursor = std::move(cursor);
  v.base_url = kBase;
  v.now = at("2026-11-30T12:00:00Z");
  return v;
}

HttpResponse html(const std::string& fixture, const std::string& url) {
  HttpResponse r;
  r.status = 200;
  r.body = read_fixture("telegram/" + fixture);
  r.url = url;
  r.headers.push_back({"Content-Type", "text/html; charset=utf-8"});
  return r;
}

const std::string kPreview = std::string(kBase) + "/s/musterstadt_info";
const std::string kChannel = std::string(kBase) + "/musterstadt_info";

toolkit::CursorJson cursor_of(const StepResult& r) {
  REQUIRE(r.page.has_value());
  REQUIRE(r.page->cursor.has_value());
  return toolkit::CursorJson::parse(*r.page->cursor);
}

std::vector<std::string> ids_of(const std::vector<PostRecord>& posts) {
  std::vector<std::string> out;
  for (const auto& p : posts) out.push_back(p.platform_post_id);
  return out;
}

const PostRecord& post(const std::vector<PostRecord>& posts, const std::string& id) {
  for (const auto& p : posts) {
    if (p.platform_post_id == id) return p;
  }
  FAIL("no post " << id);
  return posts.front();
}

}  // namespace

TEST_CASE("telegram: handles, t.me addresses and invite links") {
  CHECK(canonical_telegram_handle("@Musterstadt_Info").value() == "@musterstadt_info");
  CHECK(canonical_telegram_handle("musterstadt_info").value() == "@musterstadt_info");
  CHECK(canonical_telegram_handle("https://t.me/musterstadt_info").value() == "@musterstadt_info");
  CHECK(canonical_telegram_handle("t.me/s/musterstadt_info").value() == "@musterstadt_info");
  CHECK(canonical_telegram_handle("https://t.me/musterstadt_info/25?single").value() ==
        "@musterstadt_info");
  CHECK(canonical_telegram_handle("http://telegram.me/Musterstadt_Info").value() ==
        "@musterstadt_info");
  CHECK_FALSE(canonical_telegram_handle("https://t.me/+AbCdEfGhIjK").ok());
  CHECK(canonical_telegram_handle("https://t.me/joinchat/AbCdEf").error().message.find("private") !=
        std::string::npos);
  CHECK_FALSE(canonical_telegram_handle("@abc").ok());  // shorter than 5
  CHECK_FALSE(canonical_telegram_handle("@stadt-x").ok());
  CHECK_FALSE(canonical_telegram_handle("").ok());
  CHECK(telegram_channel_name("@musterstadt_info") == "musterstadt_info");
  CHECK(telegram_channel_name("musterstadt_info") == "musterstadt_info");
}

TEST_CASE("telegram: shown counts, abbreviated ones approximate") {
  using telegram::parse_shown_count;
  CHECK(parse_shown_count("857")->value == 857);
  CHECK(parse_shown_count("857")->precision == CountPrecision::kExact);
  CHECK(parse_shown_count("33.4K")->value == 33400);
  CHECK(parse_shown_count("33.4K")->precision == CountPrecision::kApproximate);
  CHECK(parse_shown_count("214.4K")->value == 214400);
  CHECK(parse_shown_count("1.2M")->value == 1200000);
  CHECK(parse_shown_count("1M")->value == 1000000);
  CHECK(parse_shown_count("1 234")->value == 1234);
  CHECK(parse_shown_count("12\xC2\xA0"
                          "345")
            ->value == 12345);
  CHECK_FALSE(parse_shown_count("").has_value());
  CHECK_FALSE(parse_shown_count("K").has_value());
  CHECK_FALSE(parse_shown_count("1.2.3K").has_value());
  CHECK_FALSE(parse_shown_count("-5").has_value());
  CHECK_FALSE(parse_shown_count("views").has_value());
  CHECK(parse_shown_count("99999999999999999999")->value == INT64_MAX);  // saturates
  CHECK(parse_shown_count("99999999999999.9M")->value == INT64_MAX);
}

TEST_CASE("telegram: the newest preview page, every field") {
  auto page =
      telegram::parse_preview(read_fixture("telegram/preview_newest.html"), "musterstadt_info");
  REQUIRE(page.ok());
  CHECK(ids_of(page->posts) == std::vector<std::string>{"21", "22", "23", "24", "25", "26"});
  CHECK(page->before == 21);
  CHECK(page->min_id == 21);
  CHECK(page->max_id == 26);
  CHECK_FALSE(page->created_at.has_value());
  CHECK_FALSE(page->first_message_seen);
  CHECK(page->views_approximate);
  CHECK(page->title == "Stadt Musterstadt");
  REQUIRE(page->subscribers.has_value());
  CHECK(page->subscribers->value == 1200);
  CHECK(page->subscribers->precision == CountPrecision::kApproximate);
  CHECK(page->skipped.empty());

  const PostRecord& p21 = post(page->posts, "21");
  CHECK(p21.kind == PostKind::kOriginal);
  CHECK(p21.created_at == at("2026-11-20T08:15:00Z"));
  CHECK(p21.url == "https://t.me/musterstadt_info/21");
  CHECK(p21.text ==
        "Wasserrohrbruch in der Hauptstraße\n\nDie Hauptstraße ist zwischen Markt und Bahnhof "
        "gesperrt.\nUmleitung über die Ringstraße.");
  CHECK(p21.engagement.views == 1200);
  CHECK((p21.quality & kQualityCountsApproximate) != 0);  // shown as "1.2K"
  CHECK_FALSE(p21.engagement.likes.has_value());  // the preview shows none
  CHECK_FALSE(p21.engagement.replies.has_value());
  CHECK_FALSE(p21.has_link);
  CHECK_FALSE(p21.has_media);
  CHECK_FALSE(p21.edited_at.has_value());

  const PostRecord& p22 = post(page->posts, "22");
  CHECK(p22.kind == PostKind::kReplySelf);
  CHECK(p22.parent_post_id == "21");
  CHECK(p22.parent_author_id == "musterstadt_info");
  CHECK(p22.text == "Update: Die Sperrung dauert voraussichtlich bis 16 Uhr.");  // not the quote
  CHECK(p22.engagement.views == 987);
  CHECK((p22.quality & kQualityCountsApproximate) == 0);  // shown exactly

  const PostRecord& p23 = post(page->posts, "23");
  CHECK(p23.kind == PostKind::kRepost);
  CHECK(p23.parent_post_id == "landkreis_beispiel/4711");
  CHECK(p23.parent_author_id == "landkreis_beispiel");
  CHECK(p23.engagement.empty());  // a forward's counts are its author's

  const PostRecord& p24 = post(page->posts, "24");
  CHECK(p24.has_link);
  REQUIRE(p24.edited_at.has_value());
  CHECK(*p24.edited_at == p24.created_at);  // edited, time not shown
  CHECK(p24.engagement.views == 612);

  const PostRecord& p25 = post(page->posts, "25");
  CHECK(p25.has_media);
  CHECK_FALSE(p25.has_link);  // a hashtag link stays on Telegram
  CHECK(p25.engagement.views == 33400);
  CHECK(p25.text == "Impressionen vom Weihnachtsmarkt 🎄 #Weihnachtsmarkt");

  const PostRecord& p26 = post(page->posts, "26");
  CHECK(p26.mentions == 1);
  CHECK_FALSE(p26.has_link);
  CHECK(p26.engagement.views == 1000000);
}

TEST_CASE("telegram: older pages, the first message and the channel's creation") {
  auto older =
      telegram::parse_preview(read_fixture("telegram/preview_before_21.html"), "musterstadt_info");
  REQUIRE(older.ok());
  CHECK(ids_of(older->posts) == std::vector<std::string>{"11", "12", "15", "20"});
  CHECK(older->before == 11);
  CHECK(post(older->posts, "12").kind == PostKind::kReplySelf);

  auto first =
      telegram::parse_preview(read_fixture("telegram/preview_before_11.html"), "musterstadt_info");
  REQUIRE(first.ok());
  CHECK(ids_of(first->posts) == std::vector<std::string>{"2", "3", "7"});  // no service message
  CHECK_FALSE(first->before.has_value());
  CHECK(first->first_message_seen);
  CHECK(first->min_id == 1);
  CHECK(first->created_at == at("2025-03-14T09:00:00Z"));
  CHECK(post(first->posts, "3").text.empty());
  CHECK(post(first->posts, "3").has_media);

  auto empty =
      telegram::parse_preview(read_fixture("telegram/preview_empty.html"), "musterstadt_info");
  REQUIRE(empty.ok());
  CHECK(empty->posts.empty());
  CHECK(empty->max_id == 0);
}

TEST_CASE("telegram: pages that are no preview are refused") {
  CHECK_FALSE(telegram::parse_preview("", "musterstadt_info").ok());
  CHECK_FALSE(telegram::parse_preview("<html><body>Wartungsarbeiten</body></html>", "x").ok());
  CHECK_FALSE(
      telegram::parse_preview(read_fixture("telegram/channel_page.html"), "musterstadt_info").ok());
  CHECK(telegram::looks_like_channel_page(read_fixture("telegram/channel_page.html")));
  CHECK_FALSE(telegram::looks_like_channel_page(read_fixture("telegram/preview_newest.html")));
  // A message without a date is skipped and reported, the rest is read.
  std::string body = read_fixture("telegram/preview_newest.html");
  const size_t at_time = body.find("datetime=\"2026-11-20T09:30:00+00:00\"");
  REQUIRE(at_time != std::string::npos);
  body.replace(at_time, 10, "data-x=");
  auto page = telegram::parse_preview(body, "musterstadt_info");
  REQUIRE(page.ok());
  CHECK(page->posts.size() == 5);
  REQUIRE(page->skipped.size() == 1);
  CHECK(page->skipped[0].id == "22");
}

TEST_CASE("telegram: the channel page, its exact count and what it is") {
  auto channel = telegram::parse_channel_page(read_fixture("telegram/channel_page.html"));
  CHECK(channel.kind == telegram::ChannelPage::Kind::kChannel);
  CHECK(channel.title == "Stadt Musterstadt");
  REQUIRE(channel.subscribers.has_value());
  CHECK(channel.subscribers->value == 1234);
  CHECK(channel.subscribers->precision == CountPrecision::kExact);
  CHECK(channel.has_preview_link);
  auto hidden = telegram::parse_channel_page(read_fixture("telegram/channel_page_no_preview.html"));
  CHECK(hidden.kind == telegram::ChannelPage::Kind::kChannel);
  CHECK(hidden.subscribers->value == 12345);
  CHECK_FALSE(hidden.has_preview_link);
  CHECK(telegram::parse_channel_page(read_fixture("telegram/channel_page_group.html")).kind ==
        telegram::ChannelPage::Kind::kGroup);
  auto unknown = telegram::parse_channel_page(read_fixture("telegram/channel_page_unknown.html"));
  CHECK(unknown.kind == telegram::ChannelPage::Kind::kOther);
  CHECK_FALSE(unknown.subscribers.has_value());
  CHECK(telegram::parse_channel_page("").kind == telegram::ChannelPage::Kind::kOther);
}

TEST_CASE("telegram connector: the first poll reads the newest page and the exact count") {
  auto connector = make_telegram_connector();
  CHECK(connector->host_for(view()) == "t.test");
  auto s = connector->begin(view(), WorkKind::kPoll);
  StepResult r = s->start();
  REQUIRE(r.request.has_value());
  CHECK(r.request->url == kPreview);
  CHECK(r.request->credential.kind == CredentialUse::Kind::kNone);
  r = s->on_response(html("preview_newest.html", kPreview));
  REQUIRE(r.request.has_value());
  CHECK(r.request->url == kChannel);
  REQUIRE(r.page.has_value());
  CHECK(r.page->batch.posts.size() == 6);
  CHECK(r.page->backfill_state == BackfillState::kPending);
  auto c = cursor_of(r);
  CHECK(c.num("newest") == 26);
  CHECK(c.num("back") == 21);
  r = s->on_response(html("channel_page.html", kChannel));
  CHECK(r.done);
  CHECK(r.failure == FailureKind::kNone);
  REQUIRE(r.page.has_value());
  CHECK(r.page->platform_id == "musterstadt_info");
  REQUIRE(r.page->batch.snapshot.has_value());
  const AccountSnapshot& snap = *r.page->batch.snapshot;
  CHECK(snap.followers == 1234);
  CHECK(snap.followers_precision == CountPrecision::kExact);
  CHECK(snap.display_name == "Stadt Musterstadt");
  CHECK(snap.handle == "@musterstadt_info");
  CHECK(snap.profile_url == "https://t.me/musterstadt_info");
  CHECK_FALSE(snap.created_at.has_value());
  CHECK_FALSE(snap.posts.has_value());  // the preview shows no message count

  // The channel page unreadable: the preview's abbreviated count, approximate.
  auto s2 = connector->begin(view(), WorkKind::kPoll);
  (void)s2->start();
  (void)s2->on_response(html("preview_newest.html", kPreview));
  HttpResponse broken = html("channel_page_unknown.html", kChannel);
  r = s2->on_response(broken);
  REQUIRE(r.page.has_value());
  CHECK(r.page->batch.snapshot->followers == 1200);
  CHECK(r.page->batch.snapshot->followers_precision == CountPrecision::kApproximate);
}

TEST_CASE("telegram connector: an incremental poll pages back over a gap to the newest stored") {
  toolkit::CursorJson c;
  c.set("newest", int64_t{12}).set("back", int64_t{0});
  auto connector = make_telegram_connector();
  auto s = connector->begin(view(c.dump()), WorkKind::kPoll);
  StepResult r = s->start();
  CHECK(r.request->url == kPreview);
  r = s->on_response(html("preview_newest.html", kPreview));
  REQUIRE(r.request.has_value());
  CHECK(r.request->url == kPreview + "?before=21");
  REQUIRE(r.page.has_value());
  CHECK(r.page->batch.posts.size() == 6);
  CHECK_FALSE(r.page->cursor.has_value());  // newest moves when the gap is closed
  r = s->on_response(html("preview_before_21.html", kPreview + "?before=21"));
  REQUIRE(r.request.has_value());
  CHECK(r.request->url == kChannel);
  CHECK(ids_of(r.page->batch.posts) == std::vector<std::string>{"11", "12", "15", "20"});
  CHECK(cursor_of(r).num("newest") == 26);
  CHECK_FALSE(r.page->backfill_state.has_value());  // backfill is not touched

  // Nothing new: one page, then the count.
  toolkit::CursorJson up;
  up.set("newest", int64_t{26});
  auto s2 = connector->begin(view(up.dump()), WorkKind::kPoll);
  (void)s2->start();
  r = s2->on_response(html("preview_newest.html", kPreview));
  CHECK(r.request->url == kChannel);
  CHECK(cursor_of(r).num("newest") == 26);
}

TEST_CASE("telegram connector: backfill pages back to the first message and dates the channel") {
  toolkit::CursorJson c;
  c.set("newest", int64_t{26}).set("back", int64_t{21});
  auto connector = make_telegram_connector();
  auto s = connector->begin(view(c.dump()), WorkKind::kBackfill);
  StepResult r = s->start();
  REQUIRE(r.request.has_value());
  CHECK(r.request->url == kPreview + "?before=21");
  r = s->on_response(html("preview_before_21.html", kPreview + "?before=21"));
  CHECK(r.done);
  REQUIRE(r.page.has_value());
  CHECK(r.page->batch.posts.size() == 4);
  CHECK(r.page->backfill_state == BackfillState::kPending);
  CHECK(cursor_of(r).num("back") == 11);

  auto s2 = connector->begin(view(*r.page->cursor), WorkKind::kBackfill);
  r = s2->start();
  CHECK(r.request->url == kPreview + "?before=11");
  r = s2->on_response(html("preview_before_11.html", kPreview + "?before=11"));
  CHECK(r.done);
  REQUIRE(r.page.has_value());
  CHECK(r.page->backfill_state == BackfillState::kComplete);
  CHECK(r.page->history_note->find("first message") != std::string::npos);
  CHECK(ids_of(r.page->batch.posts) == std::vector<std::string>{"2", "3", "7"});
  REQUIRE(r.page->batch.snapshot.has_value());
  CHECK(r.page->batch.snapshot->created_at == at("2025-03-14T09:00:00Z"));
  CHECK_FALSE(r.page->batch.snapshot->followers.has_value());  // only the date
  const auto after = cursor_of(r);
  CHECK_FALSE(after.has("back"));
  CHECK(after.num("created") == at("2025-03-14T09:00:00Z"));

  // The next poll carries the creation date in its snapshot.
  auto poll = connector->begin(view(*r.page->cursor), WorkKind::kPoll);
  (void)poll->start();
  (void)poll->on_response(html("preview_newest.html", kPreview));
  r = poll->on_response(html("channel_page.html", kChannel));
  CHECK(r.page->batch.snapshot->created_at == at("2025-03-14T09:00:00Z"));

  // Done: nothing to ask.
  CHECK(connector->begin(view(*r.page->cursor), WorkKind::kBackfill)->start().done);
  CHECK(connector->begin(view(), WorkKind::kBackfill)->start().done);
}

TEST_CASE("telegram connector: a server that ignores before stops backfill as incomplete") {
  toolkit::CursorJson c;
  c.set("newest", int64_t{26}).set("back", int64_t{21});
  auto connector = make_telegram_connector();
  auto s = connector->begin(view(c.dump()), WorkKind::kBackfill);
  (void)s->start();
  StepResult r = s->on_response(html("preview_newest.html", kPreview + "?before=21"));
  CHECK(r.done);
  CHECK(r.failure == FailureKind::kNone);
  REQUIRE(r.page.has_value());
  CHECK(r.page->backfill_state == BackfillState::kIncomplete);
  CHECK(r.page->history_note->find("ignores before") != std::string::npos);
  CHECK(r.page->batch.posts.empty());
  CHECK_FALSE(cursor_of(r).has("back"));

  // An empty page below `back` is believed the second time only.
  auto e1 = connector->begin(view(c.dump()), WorkKind::kBackfill);
  (void)e1->start();
  r = e1->on_response(html("preview_empty.html", kPreview + "?before=21"));
  CHECK_FALSE(r.page->backfill_state.has_value());
  CHECK(cursor_of(r).num("back") == 21);
  auto e2 = connector->begin(view(*r.page->cursor), WorkKind::kBackfill);
  (void)e2->start();
  r = e2->on_response(html("preview_empty.html", kPreview + "?before=21"));
  CHECK(r.page->backfill_state == BackfillState::kComplete);
}

TEST_CASE("telegram connector: the first page that holds the whole history completes it") {
  auto connector = make_telegram_connector();
  auto s = connector->begin(view(), WorkKind::kPoll);
  (void)s->start();
  StepResult r = s->on_response(html("preview_before_11.html", kPreview));
  REQUIRE(r.page.has_value());
  CHECK(r.page->backfill_state == BackfillState::kComplete);
  CHECK(cursor_of(r).num("newest") == 7);
  CHECK(cursor_of(r).num("created") == at("2025-03-14T09:00:00Z"));

  // An empty first preview is asked again; the third says incomplete.
  std::string cursor;
  for (int i = 1; i <= 3; ++i) {
    auto e = connector->begin(view(cursor), WorkKind::kPoll);
    (void)e->start();
    r = e->on_response(html("preview_empty.html", kPreview));
    REQUIRE(r.page.has_value());
    cursor = *r.page->cursor;
    CHECK(r.page->backfill_state == (i < 3 ? BackfillState::kPending : BackfillState::kIncomplete));
  }
}

TEST_CASE("telegram connector: unknown, restricted and group names get a clear state") {
  auto connector = make_telegram_connector();
  const auto poll = [&](const std::string& fixture) {
    auto s = connector->begin(view(), WorkKind::kPoll);
    (void)s->start();
    // The engine followed t.me's redirect from /s/<channel> to /<channel>.
    return s->on_response(html(fixture, kChannel));
  };
  StepResult r = poll("channel_page_unknown.html");
  CHECK(r.done);
  CHECK(r.failure == FailureKind::kNotFound);
  CHECK(r.reason.find("no public Telegram channel @musterstadt_info") != std::string::npos);
  r = poll("channel_page_no_preview.html");
  CHECK(r.failure == FailureKind::kSuspended);
  CHECK(r.reason.find("12345 subscribers") != std::string::npos);
  r = poll("channel_page_group.html");
  CHECK(r.failure == FailureKind::kInvalidHandle);
  CHECK(r.reason.find("group") != std::string::npos);

  // Other answers: the usual meaning of the status, or a degraded page.
  auto s = connector->begin(view(), WorkKind::kPoll);
  (void)s->start();
  HttpResponse gone;
  gone.status = 404;
  gone.url = kPreview;
  CHECK(s->on_response(gone).failure == FailureKind::kNotFound);
  auto m = connector->begin(view(), WorkKind::kPoll);
  (void)m->start();
  HttpResponse maintenance;
  maintenance.status = 200;
  maintenance.url = kPreview;
  maintenance.body = "<html><body>Wartungsarbeiten</body></html>";
  maintenance.headers.push_back({"Content-Type", "text/html"});
  r = m->on_response(maintenance);
  CHECK(r.failure == FailureKind::kMalformed);
  CHECK(r.reason.find("an HTML page") != std::string::npos);
}

TEST_CASE("telegram: the descriptor, registered in place of the planned line") {
  register_builtin_platforms();
  const PlatformDescriptor* d = find_platform("telegram");
  REQUIRE(d != nullptr);
  CHECK(d->capabilities.connector);
  CHECK(d->capabilities.full_history);
  CHECK_FALSE(d->capabilities.comments);  // dialogue figures stay unknown
  CHECK_FALSE(d->capabilities.needs_credential);
  CHECK(d->category == Category::kMessenger);
  CHECK(d->display_name_for("de") == "Telegram-Kanal");
  CHECK(d->rate_requests == 15);
  CHECK(d->rate_window_ms == kMinuteMs);
  CHECK(d->canonicalize("https://t.me/s/Musterstadt_Info").value() == "@musterstadt_info");
  CHECK(builtin_connectors().find("telegram") != nullptr);
  // Comments and refreshes have nothing to do.
  auto c = make_telegram_connector();
  CHECK(c->begin(view(), WorkKind::kComments)->start().done);
  CHECK(c->begin(view(), WorkKind::kRefresh)->start().done);
}

TEST_CASE("conformance: the recorded Telegram preview pages") {
  auto dir = test::shared_samples("telegram");
  if (!dir) {
    MESSAGE("skipped: ../shared/api-samples/telegram not present");
    return;
  }
  const auto read = [&](const char* name) { return test::read_file((*dir / name).string()); };
  auto page = telegram::parse_preview(read("channel_preview_s_page.html"), "topwar_official");
  REQUIRE(page.ok());
  CHECK(page->posts.size() == 12);
  CHECK(page->skipped.empty());
  CHECK(page->before == 70989);
  CHECK(page->min_id == 70989);
  CHECK(page->max_id == 71008);
  CHECK(page->title == "Военное обозрение");
  REQUIRE(page->subscribers.has_value());
  CHECK(page->subscribers->value == 109000);
  CHECK(page->views_approximate);
  int reposts = 0;
  for (const PostRecord& p : page->posts) {
    CAPTURE(p.platform_post_id);
    CHECK(p.created_at >= at("2023-02-28T07:47:53Z"));
    CHECK(p.created_at <= at("2023-02-28T13:14:03Z"));
    if (p.kind == PostKind::kRepost) {
      ++reposts;
      CHECK(p.engagement.empty());
      CHECK_FALSE(p.parent_post_id.empty());
    } else {
      CHECK(p.engagement.views.has_value());
    }
  }
  CHECK(reposts == 5);
  CHECK(post(page->posts, "70989").engagement.views == 37200);
  CHECK(post(page->posts, "71006").parent_post_id == "vysokygovorit/10899");

  auto text = telegram::parse_preview(read("channel_preview_message_text.html"), "topwar_official");
  REQUIRE(text.ok());
  REQUIRE(text->posts.size() == 1);
  CHECK(text->posts[0].platform_post_id == "70991");
  CHECK(text->posts[0].created_at == at("2023-02-28T08:48:01Z"));
  CHECK(text->posts[0].engagement.views == 33400);
  CHECK(text->posts[0].text.find("\n\n") != std::string::npos);  // <br/><br/>

  auto fwd = telegram::parse_preview(read("channel_preview_message_forwarded.html"), "oper_goblin");
  REQUIRE(fwd.ok());
  REQUIRE(fwd->posts.size() == 1);
  CHECK(fwd->posts[0].kind == PostKind::kRepost);
  CHECK(fwd->posts[0].parent_post_id == "dimsmirnov175/44604");
  CHECK(fwd->posts[0].has_media);

  auto author = telegram::parse_preview(read("channel_preview_message_with_from_author.html"), "x");
  REQUIRE(author.ok());
  CHECK(author->posts.size() == 1);
  CHECK(author->skipped.empty());
}
