// MediaWiki connector.
//
// Two modes per account, told apart by the handle (mediawiki_handle.h):
// `site` ("https://wiki.example-stadt.de/w/": the wiki as a whole) and
// `user` ("Stadtverwaltung@https://wiki.example-stadt.de/w/": one account on
// it, the municipality's staff).
//
// Endpoints (the Action API, GET <script path>api.php?action=query
// &format=json&formatversion=2&maxlag=5; no authentication for public data;
// mediawiki.org API:Main page, API:Query):
//   site snapshot  meta=siteinfo&siprop=general|statistics (API:Siteinfo:
//       wikiid, sitename, base; edits, pages, articles, images, users,
//       activeusers), with list=allrevisions&arvdir=newer&arvlimit=1 and
//       list=logevents&letype=newusers&ledir=newer&lelimit=1 in the same
//       query: siteinfo does not say when the wiki started, its first
//       revision or first user creation does (allrevisions needs 1.27; an
//       older wiki only warns about the unknown list).
//   site edits     list=recentchanges&rctype=edit|new&rcprop=title|timestamp|
//       ids|sizes|flags|user|comment&rclimit=500 (API:RecentChanges; 500 is
//       the limit for clients without apihighlimits). Bot edits (flag "bot")
//       are counted in the cursor and shown as the counter bot_edits_seen,
//       never stored as the wiki's activity.
//   user snapshot  list=users&ususers=NAME&usprop=editcount|registration|
//       groups (API:Users), with meta=siteinfo&siprop=general for the name.
//   user edits     list=usercontribs&ucuser=NAME&ucprop=ids|title|timestamp|
//       comment|sizediff|flags&uclimit=500 (API:Usercontribs).
//
// Paging (API:Continue): an answer with more to come carries a "continue"
// object (rccontinue / uccontinue and "continue"); all its values are sent
// back unchanged with the same other parameters.
//   - The first poll reads the newest page (dir=older) and starts backfill
//     below it with that page's continue values.
//   - Later polls read forward from the newest change stored (dir=newer,
//     rcstart/ucstart = its timestamp; that change itself comes again and is
//     left out by (timestamp, rcid/revid)), following continue up to
//     kMaxPagesPerPoll pages; the cursor moves with every page.
//   - Backfill follows the saved continue values one page per unit.
//
// Where history ends. Recent changes are kept only $wgRCMaxAge (90 days by
// default; mediawiki.org Manual:$wgRCMaxAge): in site mode, the end of the
// recentchanges list is the end of what the wiki keeps, not the wiki's
// start. Backfill then ends `incomplete` with the date of the oldest change
// read and why (Page::history_note and a history_incomplete event), unless
// that change is the wiki's first revision (then `complete`). User mode
// reads a user's contributions back to the first, without that cut
// (revisions deleted by administrators are not listed).
//
// Throttling (Manual:Maxlag parameter): every request carries maxlag=5 (the
// value the manual recommends). A lagged server answers, with HTTP 200 in
// current versions (T33156, 503 in old ones), {"error": {"code": "maxlag",
// "lag": N}} and a Retry-After header: the unit ends throttled for the
// host, for Retry-After seconds (5 when absent), and the engine retries it.
// "ratelimited" is a throttle as well. There is no documented limit on
// reads (API:Etiquette asks for requests in series): no default budget.
//
// Errors: "readapidenied" (a private wiki) -> authentication required;
// list=users "missing" -> not found, "invalid" -> invalid handle; other
// error codes, HTML, broken or truncated JSON -> malformed (nothing stored).
#include "connectors/mediawiki/mediawiki_connector.h"

#include <algorithm>
#include <set>

#include "connectors/mediawiki/mediawiki_handle.h"
#include "connectors/mediawiki/mediawiki_parse.h"
#include "connectors/toolkit.h"
#include "core/strings.h"
#include "core/time_util.h"

namespace muni {

namespace {

constexpr int kMaxPagesPerPoll = 20;  // 10,000 changes; the rest next poll
constexpr int kMaxLagSeconds = 5;     // Manual:Maxlag parameter's recommendation
constexpr DurationMs kDefaultLagWait = 5 * kSecondMs;
constexpr DurationMs kMaxLagWait = 10 * kMinuteMs;
// No wiki edit is older (the descriptor's earliest_item_ms).
const TimeMs kEarliestChange = jan1_ms(2000);

// The saved cursor (toolkit::CursorJson):
//   polled        1 once a first page was read
//   newest, nid   timestamp and rcid/revid of the newest change read
//   oldest, oid   the same of the oldest change read (backfill position)
//   back          continue values of the next backfill page ("" when done)
//   start         the wiki's start (site mode), for the end of backfill
//   bots          bot edits seen so far (site mode)
struct Cursor {
  bool polled = false;
  int64_t newest = 0, nid = 0, oldest = 0, oid = 0;
  std::string back;
  std::optional<int64_t> start;
  int64_t bots = 0;

  static Cursor parse(const std::string& text) {
    const auto j = toolkit::CursorJson::parse(text);
    Cursor c;
    c.polled = j.num("polled") != 0;
    c.newest = j.num("newest");
    c.nid = j.num("nid");
    c.oldest = j.num("oldest");
    c.oid = j.num("oid");
    c.back = j.str("back");
    c.start = j.opt_num("start");
    c.bots = std::max<int64_t>(0, j.num("bots"));
    return c;
  }
  std::string str() const {
    toolkit::CursorJson j;
    if (polled) j.set("polled", int64_t{1});
    if (newest != 0) j.set("newest", newest).set("nid", nid);
    if (oldest != 0) j.set("oldest", oldest).set("oid", oid);
    j.set("back", back).set("start", start);
    if (bots > 0) j.set("bots", bots);
    return j.dump();
  }
};

// Changes in time order; the rcid (revid) orders changes of one second.
bool after(const mediawiki::Change& c, int64_t at, int64_t id) {
  return c.at != at ? c.at > at : c.order > id;
}
bool before(const mediawiki::Change& c, int64_t at, int64_t id) {
  return c.at != at ? c.at < at : c.order < id;
}

// MediaWiki timestamps have whole seconds.
std::string api_time(TimeMs t) { return format_iso8601(t - ((t % 1000) + 1000) % 1000); }

std::string date_of(TimeMs t) { return format_iso8601(t).substr(0, 10); }

// How long a maxlag answer asks to wait: Retry-After (seconds or an HTTP
// date), else 5 s; never less than a second, never more than 10 minutes.
DurationMs lag_wait(const HttpResponse& r, TimeMs now) {
  DurationMs wait = kDefaultLagWait;
  if (auto h = r.header("Retry-After")) {
    if (auto secs = parse_int64(trim(*h))) {
      wait = *secs * kSecondMs;
    } else if (auto at = parse_http_date(trim(*h)); at && now > 0) {
      wait = *at - now;
    }
  }
  return std::clamp<DurationMs>(wait, kSecondMs, kMaxLagWait);
}

class Session : public ConnectorSession {
 public:
  Session(AccountView account, WorkKind work) : account_(std::move(account)), work_(work) {
    cursor_ = Cursor::parse(account_.cursor);
    if (auto t = mediawiki::target_of(account_.handle)) target_ = *t;
  }

  StepResult start() override {
    if (target_.script_url.empty())
      return StepResult::fail(FailureKind::kInvalidHandle,
                              "'" + account_.handle + "' is no MediaWiki site or user handle");
    switch (work_) {
      case WorkKind::kPoll:
        state_ = State::kInfo;
        return StepResult::send(info_request());
      case WorkKind::kBackfill:
        if (!cursor_.polled || cursor_.back.empty()) return StepResult::finish();
        state_ = State::kBackfill;
        return StepResult::send(list_request(/*newer=*/false, std::nullopt, cursor_.back));
      case WorkKind::kRefresh:
      case WorkKind::kComments:
      case WorkKind::kCommentBackfill:
        // Edits have no counts to refresh and no comments (talk pages are
        // edits like any other).
        return StepResult::finish();
    }
    return StepResult::finish();
  }

  StepResult on_response(const HttpResponse& r) override {
    if (auto stop = api_error(r)) return std::move(*stop);
    switch (state_) {
      case State::kInfo:
        return target_.user_mode() ? on_user(r) : on_site(r);
      case State::kList:
        return on_list(r);
      case State::kBackfill:
        return on_backfill(r);
    }
    return StepResult::fail(FailureKind::kMalformed, "unexpected response");
  }

 private:
  enum class State { kInfo, kList, kBackfill };

  const char* list_name() const { return target_.user_mode() ? "usercontribs" : "recentchanges"; }
  mediawiki::ListKind kind() const {
    return target_.user_mode() ? mediawiki::ListKind::kUserContribs
                               : mediawiki::ListKind::kRecentChanges;
  }

  std::string query_url(const std::string& rest) const {
    return target_.api_url() +
           "?action=query&format=json&formatversion=2&maxlag=" + std::to_string(kMaxLagSeconds) +
           rest;
  }

  HttpRequest info_request() const {
    if (target_.user_mode()) {
      return toolkit::get(
          query_url("&meta=siteinfo&siprop=general&list=users&ususers=" + url_encode(target_.user) +
                    "&usprop=editcount%7Cregistration%7Cgroups"));
    }
    return toolkit::get(
        query_url("&meta=siteinfo&siprop=general%7Cstatistics&list=allrevisions%7Clogevents"
                  "&arvdir=newer&arvlimit=1&arvprop=timestamp"
                  "&letype=newusers&ledir=newer&lelimit=1&leprop=timestamp"));
  }

  HttpRequest list_request(bool newer, std::optional<TimeMs> from, const std::string& cont) const {
    std::string q;
    if (target_.user_mode()) {
      q = "&list=usercontribs&ucuser=" + url_encode(target_.user) +
          "&ucprop=ids%7Ctitle%7Ctimestamp%7Ccomment%7Csizediff%7Cflags&uclimit=500&ucdir=" +
          (newer ? "newer" : "older");
      if (from) q += "&ucstart=" + url_encode(api_time(*from));
    } else {
      q = "&list=recentchanges&rctype=edit%7Cnew"
          "&rcprop=title%7Ctimestamp%7Cids%7Csizes%7Cflags%7Cuser%7Ccomment&rclimit=500&rcdir=" +
          std::string(newer ? "newer" : "older");
      if (from) q += "&rcstart=" + url_encode(api_time(*from));
    }
    return toolkit::get(query_url(q + cont));
  }

  // The API's own errors, which mostly come with HTTP 200; and every other
  // status the engine passes on.
  std::optional<StepResult> api_error(const HttpResponse& r) {
    const auto err = mediawiki::parse_error(r.body);
    if (err && (err->code == "maxlag" || err->code == "ratelimited")) {
      Throttle t;
      t.scope = Throttle::Scope::kHost;
      if (err->code == "maxlag") {
        t.wait = lag_wait(r, account_.now);
        t.reason = "the wiki's database replicas lag (maxlag";
        if (err->lag) t.reason += ", " + std::to_string(static_cast<int64_t>(*err->lag)) + " s";
        t.reason += "); asked to retry after " + std::to_string(*t.wait / kSecondMs) + " s";
      } else {
        t.wait = lag_wait(r, account_.now);
        t.reason = "the wiki limits the rate of requests (ratelimited)";
      }
      return StepResult::throttled(std::move(t), r.status);
    }
    if (r.status != 200) return toolkit::fail_for_status(r, list_name(), err ? err->info : "");
    if (!err) return std::nullopt;
    if (err->code == "readapidenied")
      return StepResult::fail(FailureKind::kAuthRequired,
                              "the wiki allows reading only to logged-in users (readapidenied)",
                              r.status);
    if (starts_with(err->code, "internal_api_error"))
      return StepResult::fail(FailureKind::kServerError,
                              "the wiki's API failed: " + err->code + " " + err->info, r.status);
    return StepResult::fail(FailureKind::kMalformed,
                            "the wiki's API answered with error " + err->code + ": " + err->info,
                            r.status);
  }

  StepResult on_site(const HttpResponse& r) {
    auto info = mediawiki::parse_siteinfo(r.body);
    if (!info.ok())
      return StepResult::fail(FailureKind::kMalformed, info.error().message, r.status);
    Page page;
    AccountSnapshot snap = info->snapshot;
    if (snap.platform_id.empty()) snap.platform_id = target_.script_url;
    snap.handle = target_.script_url;
    snap.counters.push_back({"bot_edits_seen", cursor_.bots, CountPrecision::kExact});
    site_edits_ = snap.posts;
    if (snap.created_at) cursor_.start = *snap.created_at;
    page.platform_id = snap.platform_id;
    page.batch.snapshot = std::move(snap);
    page.cursor = cursor_.str();
    return first_list(std::move(page));
  }

  StepResult on_user(const HttpResponse& r) {
    auto info = mediawiki::parse_user(r.body);
    if (!info.ok())
      return StepResult::fail(FailureKind::kMalformed, info.error().message, r.status);
    if (info->invalid)
      return StepResult::fail(FailureKind::kInvalidHandle,
                              "the wiki says '" + target_.user + "' is no valid user name",
                              r.status);
    if (info->missing)
      return StepResult::fail(FailureKind::kNotFound, "the wiki has no user '" + target_.user + "'",
                              r.status);
    Page page;
    AccountSnapshot snap = info->snapshot;
    if (snap.handle.empty()) snap.handle = target_.user;
    snap.profile_url =
        target_.script_url + "index.php?title=Special:Contributions/" + url_encode(snap.handle);
    user_edits_ = snap.posts;
    page.platform_id = snap.platform_id;
    if (info->bot) page.history_note = "the user is in the wiki's bot group: its edits are a bot's";
    page.batch.snapshot = std::move(snap);
    page.cursor = cursor_.str();
    return first_list(std::move(page));
  }

  StepResult first_list(Page page) {
    state_ = State::kList;
    first_ever_ = !cursor_.polled || cursor_.newest == 0;
    if (first_ever_)
      return StepResult::send(list_request(false, std::nullopt, ""), std::move(page));
    poll_from_ = cursor_.newest;
    from_at_ = cursor_.newest;
    from_id_ = cursor_.nid;
    return StepResult::send(list_request(true, poll_from_, ""), std::move(page));
  }

  Result<mediawiki::Changes> parse(const HttpResponse& r) const {
    return mediawiki::parse_changes(r.body, kind(), target_.script_url);
  }

  StepResult on_list(const HttpResponse& r) {
    auto parsed = parse(r);
    if (!parsed.ok())
      return StepResult::fail(FailureKind::kMalformed, parsed.error().message, r.status);
    ++pages_;
    Page page;
    page.batch.skipped = std::move(parsed->skipped);
    if (first_ever_) {
      // The newest page: what is newest now, and backfill starts below it.
      cursor_.polled = true;
      for (const auto& c : parsed->seen) {
        if (c.bot) ++cursor_.bots;
        if (!plausible(c)) continue;
        if (cursor_.newest == 0 || after(c, cursor_.newest, cursor_.nid)) {
          cursor_.newest = c.at;
          cursor_.nid = c.order;
        }
        if (cursor_.oldest == 0 || before(c, cursor_.oldest, cursor_.oid)) {
          cursor_.oldest = c.at;
          cursor_.oid = c.order;
        }
      }
      page.batch.posts = std::move(parsed->posts);
      cursor_.back = parsed->continue_query;
      if (cursor_.back.empty()) {
        end_of_history(page, parsed->seen.empty());
      } else if (reached_since()) {
        cursor_.back.clear();
        page.backfill_state = BackfillState::kReachedStart;
      } else {
        page.backfill_state = BackfillState::kPending;
      }
      page.cursor = cursor_.str();
      return StepResult::finish(std::move(page));
    }
    // Reading forward: only changes after the newest one stored before this
    // poll (that one comes again: rcstart/ucstart is inclusive), each once.
    std::set<std::string> fresh;
    for (const auto& c : parsed->seen) {
      if (!after(c, from_at_, from_id_)) continue;
      if (!seen_keys_.insert(c.key).second) continue;
      fresh.insert(c.key);
      if (c.bot) ++cursor_.bots;
      if (plausible(c) && after(c, cursor_.newest, cursor_.nid)) {
        cursor_.newest = c.at;
        cursor_.nid = c.order;
      }
    }
    for (auto& p : parsed->posts) {
      if (fresh.count(p.platform_post_id)) page.batch.posts.push_back(std::move(p));
    }
    page.cursor = cursor_.str();
    if (!parsed->continue_query.empty() && pages_ < kMaxPagesPerPoll) {
      return StepResult::send(list_request(true, poll_from_, parsed->continue_query),
                              std::move(page));
    }
    return StepResult::finish(std::move(page));
  }

  StepResult on_backfill(const HttpResponse& r) {
    auto parsed = parse(r);
    if (!parsed.ok())
      return StepResult::fail(FailureKind::kMalformed, parsed.error().message, r.status);
    Page page;
    page.batch.skipped = std::move(parsed->skipped);
    const auto first_plausible =
        std::find_if(parsed->seen.begin(), parsed->seen.end(),
                     [&](const mediawiki::Change& c) { return plausible(c); });
    if (first_plausible != parsed->seen.end() && cursor_.oldest != 0 &&
        after(*first_plausible, cursor_.oldest, cursor_.oid)) {
      // Changes newer than where backfill stood: the server ignores the
      // continue values, and following them would repeat this page.
      cursor_.back.clear();
      page.backfill_state = BackfillState::kIncomplete;
      page.history_note =
          "backfill stopped: the wiki answered the continuation with changes "
          "that are not older than " +
          format_iso8601(cursor_.oldest) + " (it ignores " +
          (target_.user_mode() ? "uccontinue" : "rccontinue") + "); older history may be missing";
      page.batch.events.push_back({"history_incomplete", *page.history_note});
      page.cursor = cursor_.str();
      return StepResult::finish(std::move(page));
    }
    for (const auto& c : parsed->seen) {
      if (c.bot) ++cursor_.bots;
      if (plausible(c) && (cursor_.oldest == 0 || before(c, cursor_.oldest, cursor_.oid))) {
        cursor_.oldest = c.at;
        cursor_.oid = c.order;
      }
    }
    page.batch.posts = std::move(parsed->posts);
    if (parsed->continue_query == cursor_.back) {
      cursor_.back.clear();
      page.backfill_state = BackfillState::kIncomplete;
      page.history_note = "backfill stopped: the wiki gave the same continuation twice";
      page.batch.events.push_back({"history_incomplete", *page.history_note});
    } else {
      cursor_.back = parsed->continue_query;
      if (cursor_.back.empty()) {
        end_of_history(page, false);
      } else if (reached_since()) {
        cursor_.back.clear();
        page.backfill_state = BackfillState::kReachedStart;
      }
    }
    page.cursor = cursor_.str();
    return StepResult::finish(std::move(page));
  }

  // A change's time may move the cursor only when it is plausible: a
  // timestamp in the future would make later polls ask for changes after
  // it (and find none); one before 2000 would end backfill early. Such
  // entries are left to the page guard (skipped, reported).
  bool plausible(const mediawiki::Change& c) const {
    return c.at >= kEarliestChange && (account_.now <= 0 || c.at <= account_.now + kDayMs);
  }

  bool reached_since() const {
    return account_.backfill_since && cursor_.oldest != 0 &&
           cursor_.oldest < *account_.backfill_since;
  }

  // The list has no more pages: where does that leave the history?
  void end_of_history(Page& page, bool nothing_seen) {
    cursor_.back.clear();
    if (reached_since()) {
      page.backfill_state = BackfillState::kReachedStart;
      return;
    }
    if (target_.user_mode()) {
      if (nothing_seen && user_edits_ && *user_edits_ > 0) {
        page.backfill_state = BackfillState::kIncomplete;
        page.history_note = "the wiki lists no contribution of " + target_.user +
                            " although its edit count is " + std::to_string(*user_edits_) +
                            " (deleted or hidden revisions are not listed)";
        return;
      }
      page.backfill_state = BackfillState::kComplete;
      page.history_note =
          "paged back to the user's first listed contribution (revisions "
          "deleted by administrators are not listed)";
      return;
    }
    if (cursor_.start && cursor_.oldest != 0 && cursor_.oldest <= *cursor_.start + kSecondMs) {
      page.backfill_state = BackfillState::kComplete;
      page.history_note = "paged back to the wiki's first revision";
      return;
    }
    if (nothing_seen && cursor_.oldest == 0 && site_edits_ && *site_edits_ == 0) {
      page.backfill_state = BackfillState::kComplete;
      page.history_note = "the wiki has no edits yet";
      return;
    }
    // Recent changes end where the wiki stops keeping them ($wgRCMaxAge).
    std::string note;
    if (cursor_.oldest != 0) {
      note = "recent changes reach back only to " + date_of(cursor_.oldest);
    } else {
      note = "the wiki's recent changes are empty";
    }
    note += ": a wiki keeps them for $wgRCMaxAge (90 days by default), so edits before that";
    if (cursor_.start) note += ", back to the wiki's start on " + date_of(*cursor_.start);
    note += ", are not in this history";
    page.backfill_state = BackfillState::kIncomplete;
    page.history_note = note;
    page.batch.events.push_back({"history_incomplete", note});
  }

  AccountView account_;
  WorkKind work_;
  Cursor cursor_;
  mediawiki::Target target_;
  State state_ = State::kInfo;
  bool first_ever_ = false;
  int pages_ = 0;
  TimeMs poll_from_ = 0;
  int64_t from_at_ = 0, from_id_ = 0;  // the newest change stored before this poll
  std::set<std::string> seen_keys_;
  std::optional<int64_t> site_edits_;
  std::optional<int64_t> user_edits_;
};

class MediaWikiConnector : public Connector {
 public:
  std::string_view platform() const override { return "mediawiki"; }
  std::string host_for(const AccountView& account) const override {
    if (auto t = mediawiki::target_of(account.handle)) {
      if (auto h = toolkit::host_key(t->script_url)) return *h;
    }
    return account.handle;
  }
  std::unique_ptr<ConnectorSession> begin(const AccountView& account,
                                          WorkKind work) const override {
    return std::make_unique<Session>(account, work);
  }
};

}  // namespace

PlatformDescriptor mediawiki_platform() {
  PlatformDescriptor d;
  d.id = "mediawiki";
  d.display_name = "MediaWiki";
  d.category = Category::kWiki;
  // MediaWiki's first release was in 2002; Wikipedia's imported history
  // starts in 2001.
  d.earliest_item_ms = jan1_ms(2000);
  d.canonical_handle = canonical_mediawiki_handle;
  d.capabilities.connector = true;
  // A site's history ends where its recent changes do ($wgRCMaxAge); only
  // user accounts are read back to their first edit.
  d.capabilities.full_history = false;
  d.work = {{WorkKind::kPoll}, {WorkKind::kBackfill}};
  d.note =
      "site accounts: edits older than the wiki's recent changes ($wgRCMaxAge, 90 days by "
      "default) are not read; bot edits are counted apart (bot_edits_seen)";
  return d;
}

std::unique_ptr<Connector> make_mediawiki_connector() {
  return std::make_unique<MediaWikiConnector>();
}

}  // namespace muni
