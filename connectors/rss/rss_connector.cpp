// RSS/Atom connector (blogs, news pages of municipalities).
//
// One request per poll: a conditional GET of the feed URL (If-None-Match /
// If-Modified-Since from the validators the engine saved with the last page
// stored; a 304 is recorded as "not_modified" in the poll log). RSS 0.90
// to 2.0, RSS 1.0 (RDF) with its modules, Atom 0.3 and 1.0; entries keyed
// by guid / rdf:about / id, else by link, else by a content-derived id; text
// as plain text (rss_parse.h says what is read and how).
//
// History: a feed shows only its newest entries (how many is up to the
// site), so there is nothing to page back to. muniscope keeps every entry it
// has ever seen: the history grows from the first poll on, and the account's
// backfill state says so ("incomplete", with the reason). An entry that
// drops out of the feed is old, not deleted: feeds never report deletions.
//
// Errors: a body that is not XML, an HTML page (the web page instead of its
// feed), XML that is no feed, or bytes that are not the UTF-8 they declare
// with no other charset named are a clear account error; nothing of such
// an answer is stored.
//
// Quirks of real feeds, kept rather than lost, each said in the account's
// history note (`status`) and, when first seen, as an account event:
//   - one guid on distinct entries (a CMS that writes the site's URL as
//     every guid): the entries are keyed by guid and link (then date, then
//     title) so that none is merged into another; the ids so keyed are
//     remembered in the cursor ("shared_ids") so an entry keeps its key
//     when it later appears alone;
//   - dates outside the platform's range (9999-12-31, 0001-01-01, the
//     epoch): the entry is dated when first seen and flagged, like an
//     entry with an unreadable date, instead of being dropped by the page
//     guard; its key does not depend on that date, so it is not re-dated;
//   - a charset declaration the bytes contradict (UTF-8 sent as
//     "ISO-8859-1"): read as what the bytes are (core/text_decode.h).
#include "connectors/rss/rss_connector.h"

#include "connectors/rss/rss_parse.h"
#include "connectors/toolkit.h"
#include "core/strings.h"
#include "engine/page_guard.h"

namespace muni {

namespace {

constexpr const char* kHistoryNote =
    "a feed shows only its newest entries: muniscope keeps every entry from the first poll on; "
    "older ones are not available";

// Feeds carry whatever their site publishes: only dates before the web
// (1990) are impossible.
TimeMs earliest_item() { return jan1_ms(1990); }

class FeedPoll : public toolkit::ConditionalFeedSession {
 public:
  explicit FeedPoll(AccountView a) : a_(std::move(a)) {}

  StepResult start() override { return StepResult::send(toolkit::conditional_get(a_.handle)); }

 private:
  // A 304 leaves the note of the last answer read (what it had to interpret
  // still holds for the unchanged feed).
  Page unchanged() override {
    Page page;
    page.backfill_state = BackfillState::kIncomplete;
    return page;
  }

  StepResult on_feed(const HttpResponse& r) override {
    Page page = unchanged();
    toolkit::CursorJson cursor = toolkit::CursorJson::parse(a_.cursor);
    rss::FeedContext context;
    context.now = a_.now;
    // The page guard's own range: what it would refuse is dated here instead.
    context.earliest = earliest_item();
    context.latest = a_.now + kMaxFutureSkew;
    context.content_type = r.header("Content-Type").value_or("");
    context.shared = rss::SharedIds::parse(cursor.str("shared_ids"));
    auto feed = rss::parse_feed(r.body, a_.handle, context);
    if (!feed.ok())
      return StepResult::fail(FailureKind::kMalformed, feed.error().message, r.status);
    AccountSnapshot snap = std::move(feed->snapshot);
    snap.platform_id = a_.handle;  // a feed's identity is its URL
    page.platform_id = a_.handle;
    page.batch.snapshot = std::move(snap);
    page.batch.posts = std::move(feed->items);
    page.batch.skipped = std::move(feed->skipped);
    page.history_note = kHistoryNote;
    if (!feed->notes.empty()) *page.history_note += ". This feed: " + join(feed->notes, "; ");
    // Said once as events, when first seen; the note says it every poll.
    for (const std::string& note : feed->newly_shared)
      page.batch.events.push_back({"feed_ids_shared", note});
    if (!feed->charset_note.empty() && feed->charset_note != cursor.str("charset"))
      page.batch.events.push_back({"feed_charset", feed->charset_note});
    cursor.set("shared_ids", feed->shared.dump());
    cursor.set("charset", feed->charset_note);  // "" is left out
    std::string saved = cursor.dump();
    if (saved == "{}") saved.clear();
    if (saved != a_.cursor) page.cursor = std::move(saved);
    return StepResult::finish(std::move(page));
  }

  AccountView a_;
};

class RssConnector : public Connector {
 public:
  std::string_view platform() const override { return "rss"; }
  std::string host_for(const AccountView& account) const override {
    return toolkit::host_key(account.handle).value_or(account.handle);
  }
  std::unique_ptr<ConnectorSession> begin(const AccountView& account,
                                          WorkKind work) const override {
    if (work == WorkKind::kPoll) return std::make_unique<FeedPoll>(account);
    return std::make_unique<toolkit::IdleSession>();  // nothing to page back to, no counts to
                                                      // refresh
  }
};

}  // namespace

Result<std::string> canonical_feed_url(std::string_view raw) {
  std::string text(trim(raw));
  if (text.find("://") == std::string::npos) text = "https://" + text;
  auto url = parse_url(text);
  if (!url || (url->host.find('.') == std::string::npos && url->host != "localhost")) {
    return toolkit::handle_error(
        "rss", raw, "a feed is an http(s) URL such as https://www.stadt.example/feed.xml");
  }
  std::string path = url->path.substr(0, url->path.find('#'));
  if (path.empty()) path = "/";
  return url->origin() + path;
}

PlatformDescriptor rss_platform() {
  PlatformDescriptor d;
  d.id = "rss";
  d.display_name = "RSS/Atom feed";
  d.display_name_de = "RSS/Atom-Feed";
  d.category = Category::kBlog;
  d.earliest_item_ms = earliest_item();
  d.canonical_handle = canonical_feed_url;
  d.capabilities.connector = true;
  d.work = {{WorkKind::kPoll}};
  return d;
}

std::unique_ptr<Connector> make_rss_connector() { return std::make_unique<RssConnector>(); }

}  // namespace muni
