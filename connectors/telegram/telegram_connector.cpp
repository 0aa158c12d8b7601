// Telegram public channel connector.
//
// Pages (HTML, no API, no key; ../shared/reference/platform-api-open.md §7,
// from the recorded pages in ../shared/api-samples/telegram and the
// scrapers snscrape and minet):
//   GET https://t.me/s/<channel>               the web preview: the newest
//       messages (about 20) oldest first, each div.tgme_widget_message
//       [data-post="<channel>/<id>"] with <time datetime>, the views
//       ("33.4K"), forwards and replies; a.tme_messages_more[data-before]
//       names the next older page.
//   GET https://t.me/s/<channel>?before=<id>   the messages below <id>; the
//       page with the channel's first message has no data-before.
//   GET https://t.me/<channel>                 the channel page: the exact
//       subscriber count in div.tgme_page_extra ("12 345 subscribers";
//       snscrape: "/channel has a more accurate member count").
// A channel without a public preview (unknown, private, restricted, a
// person, a group) redirects /s/<channel> to t.me/<channel> (snscrape checks
// "'/s/' not in r.url"); the engine follows that same-host redirect, and the
// connector reads the page it lands on: no such channel is not_found, a
// group is invalid_handle, a channel shown without messages is suspended
// (Telegram restricts the preview of some channels; RSSHub's documentation
// says so for its Telegram route, issues DIYgod/RSSHub#10093, #18860).
//
// Cursor (JSON):
//   newest       the highest message id stored: a poll reads the newest
//                page and pages back with ?before= until it reaches it
//                (at most kMaxPagesPerPoll pages); `newest` moves only when
//                the gap is closed, so a poll cut short is read again
//   back         the next backfill page's ?before= (0: none left)
//   back_empty   empty backfill answers in a row at `back`
//   created      the channel's creation, from its "Channel created"
//                service message (stored as the account's created_at)
//   empty_polls  empty first previews in a row
//
// Views are abbreviated above 999 ("33.4K"): stored as shown (33,400).
// PostRecord has no precision field for engagement (only account counts
// carry one), so the descriptor's note says they are approximate. Forwards
// are reposts (their counts belong to their author, core/model.h). Edited
// messages get edited_at; the preview says "edited" without a time, and
// then the message's own time stands for it (docs/platforms.md).
//
// Pages it does not trust are stored not at all, and the cursor stays where
// it was (paging on past them would lose their messages for good): a body
// cut short (no </html>), a message id twice on one page, a message dated
// before 2014 or after now. Such an answer is malformed (state degraded);
// the next poll asks again. A message without a readable date is skipped and
// reported (the page guard's rule), the rest of its page is stored.
//
// No comments: the preview shows no discussion threads, so the descriptor
// says comments=false and the dialogue figures stay unknown.
//
// Rate limits: none documented for t.me (platform-api-open.md: "Rate limits
// are undocumented"); t.me answers floods with 429 and Retry-After, which
// the engine honours. The default budget, 15 requests a minute per host, is
// an eighth of minet's default throttle for the same pages (0.5 s between
// requests, minet/telegram/constants.py TELEGRAM_DEFAULT_THROTTLE) and below
// the 20 messages a minute per group of the Bot FAQ
// (core.telegram.org/bots/faq, the only per-chat figure Telegram publishes).
#include "connectors/telegram/telegram_connector.h"

#include <algorithm>

#include "connectors/telegram/telegram_handle.h"
#include "connectors/telegram/telegram_parse.h"
#include "connectors/toolkit.h"
#include "core/strings.h"
#include "core/time_util.h"
#include "engine/page_guard.h"

namespace muni {

namespace {

constexpr const char* kDefaultBase = "https://t.me";
// Channels came with Telegram 3.0 in September 2015; the year before.
constexpr int kEarliestYear = 2014;
constexpr int kMaxPagesPerPoll = 25;  // about 500 new messages; the rest is a gap (said)
constexpr const char* kAccept = "text/html,application/xhtml+xml;q=0.9,*/*;q=0.1";

std::string base_of(const AccountView& a) {
  std::string base = a.base_url.value_or(kDefaultBase);
  while (!base.empty() && base.back() == '/') base.pop_back();
  return base;
}

struct Cursor {
  int64_t newest = 0;
  int64_t back = 0;
  int back_empty = 0;
  std::optional<int64_t> created;
  int empty_polls = 0;

  static Cursor parse(const std::string& text) {
    const auto j = toolkit::CursorJson::parse(text);
    Cursor c;
    c.newest = std::max<int64_t>(0, j.num("newest"));
    c.back = std::max<int64_t>(0, j.num("back"));
    c.back_empty = static_cast<int>(std::clamp<int64_t>(j.num("back_empty"), 0, 1000));
    c.created = j.opt_num("created");
    c.empty_polls = static_cast<int>(std::clamp<int64_t>(j.num("empty_polls"), 0, 1000));
    return c;
  }
  std::string str() const {
    toolkit::CursorJson j;
    if (newest > 0) j.set("newest", newest);
    if (back > 0) j.set("back", back);
    if (back_empty > 0) j.set("back_empty", int64_t{back_empty});
    j.set("created", created);
    if (empty_polls > 0) j.set("empty_polls", int64_t{empty_polls});
    return j.dump();
  }
};

// A whole page ends with </html> (t.me adds a comment after it); a body
// cut short does not.
bool ends_whole(const std::string& body) {
  const size_t tail = body.size() > 4096 ? body.size() - 4096 : 0;
  const std::string end = to_lower_ascii(std::string_view(body).substr(tail));
  return end.find("</html>") != std::string::npos;
}

// Whether the answer is the channel page instead of the preview: the
// engine followed Telegram's redirect away from /s/ (the URL answered says
// so), or the body is the channel page.
bool redirected_away(const HttpResponse& r) {
  if (!r.url.empty()) {
    if (const auto u = parse_url(r.url); u && u->path.find("/s/") == std::string::npos) return true;
  }
  return telegram::looks_like_channel_page(r.body);
}

// The state of an account whose preview is not shown, from the channel page.
StepResult no_preview(const HttpResponse& r, const std::string& name) {
  const telegram::ChannelPage page = telegram::parse_channel_page(r.body);
  switch (page.kind) {
    case telegram::ChannelPage::Kind::kChannel: {
      std::string subs =
          page.subscribers ? ", " + std::to_string(page.subscribers->value) + " subscribers" : "";
      return StepResult::fail(
          FailureKind::kSuspended,
          "Telegram shows no public preview of the channel @" + name + " (it exists" + subs +
              "): its messages cannot be read without logging in; Telegram restricts the "
              "preview of some channels",
          r.status);
    }
    case telegram::ChannelPage::Kind::kGroup:
      return StepResult::fail(
          FailureKind::kInvalidHandle,
          "@" + name + " is a group, not a channel: groups have no public preview", r.status);
    case telegram::ChannelPage::Kind::kOther:
      break;
  }
  return StepResult::fail(FailureKind::kNotFound,
                          "no public Telegram channel @" + name + ": t.me/s/" + name +
                              " redirects to a page without messages "
                              "(unknown name, a private channel, a person or a bot)",
                          r.status);
}

class Session : public ConnectorSession {
 public:
  Session(AccountView account, WorkKind work)
      : a_(std::move(account)),
        work_(work),
        name_(telegram_channel_name(a_.handle)),
        base_(base_of(a_)),
        cursor_(Cursor::parse(a_.cursor)) {}

  StepResult start() override {
    switch (work_) {
      case WorkKind::kPoll:
        state_ = State::kPreview;
        return StepResult::send(preview(std::nullopt));
      case WorkKind::kBackfill:
        if (cursor_.back <= 0) return StepResult::finish();  // no poll yet, or done
        state_ = State::kBackfill;
        return StepResult::send(preview(cursor_.back));
      default:
        return StepResult::finish();  // no comments in the preview; polls re-read new views
    }
  }

  StepResult on_response(const HttpResponse& r) override {
    switch (state_) {
      case State::kPreview:
        return on_preview(r);
      case State::kGap:
        return on_gap(r);
      case State::kChannel:
        return on_channel(r);
      case State::kBackfill:
        return on_backfill(r);
    }
    return StepResult::fail(FailureKind::kMalformed, "unexpected response");
  }

 private:
  enum class State { kPreview, kGap, kChannel, kBackfill };

  HttpRequest preview(std::optional<int64_t> before) const {
    std::string url = base_ + "/s/" + url_encode(name_);
    if (before) url += "?before=" + std::to_string(*before);
    asked_before_ = before;
    return toolkit::get(std::move(url), kAccept);
  }

  // The preview page, or the failure the answer means.
  Result<telegram::PreviewPage> read(const HttpResponse& r, StepResult* failure) const {
    if (r.status != 200) {
      *failure = toolkit::fail_for_status(r, "channel preview");
      return make_error(ErrorCode::kParse, "");
    }
    if (redirected_away(r)) {
      *failure = no_preview(r, name_);
      return make_error(ErrorCode::kParse, "");
    }
    auto page = telegram::parse_preview(r.body, name_);
    if (!page.ok()) {
      const bool html = r.header("Content-Type").value_or("").find("html") != std::string::npos;
      *failure = StepResult::fail(FailureKind::kMalformed,
                                  page.error().message + (html ? " (an HTML page)" : ""), r.status);
      return page;
    }
    // A page the connector cannot trust is not stored at all, and the
    // cursor stays: paging past it would lose its messages for good.
    std::string distrust;
    if (!ends_whole(r.body)) {
      distrust = "the page ended early (no </html>): a truncated answer";
    } else if (page->repeated_id) {
      distrust = "message " + std::to_string(*page->repeated_id) + " appears twice on one page";
    } else {
      for (const PostRecord& p : page->posts) {
        if (p.created_at < earliest_ || (a_.now > 0 && p.created_at > a_.now + kMaxFutureSkew)) {
          distrust = "message " + p.platform_post_id + " is dated " + format_iso8601(p.created_at) +
                     ", outside what is possible";
          break;
        }
      }
    }
    if (!distrust.empty()) {
      *failure = StepResult::fail(FailureKind::kMalformed,
                                  distrust + "; nothing of the page is stored", r.status);
      return make_error(ErrorCode::kParse, distrust);
    }
    if (page->created_at && *page->created_at < earliest_) page->created_at.reset();
    // Messages at or above ?before=: the server ignores the parameter.
    ignored_before_ = asked_before_ && page->max_id >= *asked_before_;
    return page;
  }

  void note_created(const telegram::PreviewPage& page) {
    if (page.created_at && (!cursor_.created || *page.created_at < *cursor_.created))
      cursor_.created = *page.created_at;
  }

  StepResult on_preview(const HttpResponse& r) {
    StepResult failure;
    auto parsed = read(r, &failure);
    if (!parsed.ok()) return failure;
    telegram::PreviewPage& page = *parsed;
    note_created(page);
    fallback_title_ = page.title;
    fallback_subscribers_ = page.subscribers;
    Page out;
    out.batch.posts = std::move(page.posts);
    out.batch.skipped = std::move(page.skipped);
    const bool first_ever = cursor_.newest == 0;
    if (page.max_id == 0) {
      // No message at all on the newest page.
      if (first_ever) {
        ++cursor_.empty_polls;
        out.backfill_state = cursor_.empty_polls >= toolkit::kEmptyPollsBeforeIncomplete
                                 ? BackfillState::kIncomplete
                                 : BackfillState::kPending;
        out.history_note = "the channel preview came back without messages " +
                           std::to_string(cursor_.empty_polls) +
                           " time(s); asked again on every poll";
      }
      out.cursor = cursor_.str();
      return to_channel(std::move(out));
    }
    cursor_.empty_polls = 0;
    if (first_ever) {
      cursor_.newest = page.max_id;
      cursor_.back = page.before.value_or(0);
      cursor_.back_empty = 0;
      if (cursor_.back == 0 || page.first_message_seen) {
        cursor_.back = 0;
        out.backfill_state = BackfillState::kComplete;
        out.history_note = "the whole history fit on the first preview page";
      } else if (a_.backfill_since && !out.batch.posts.empty() &&
                 out.batch.posts.front().created_at < *a_.backfill_since) {
        cursor_.back = 0;
        out.backfill_state = BackfillState::kReachedStart;
      } else {
        out.backfill_state = BackfillState::kPending;
      }
      out.cursor = cursor_.str();
      return to_channel(std::move(out));
    }
    // Incremental: page back until the newest stored message is reached.
    top_ = std::max(cursor_.newest, page.max_id);
    ++pages_;
    if (page.min_id > cursor_.newest + 1 && page.before && *page.before > cursor_.newest + 1) {
      state_ = State::kGap;
      // The cursor stays: a poll cut short reads the gap again.
      return StepResult::send(preview(*page.before), std::move(out));
    }
    cursor_.newest = top_;
    out.cursor = cursor_.str();
    return to_channel(std::move(out));
  }

  StepResult on_gap(const HttpResponse& r) {
    StepResult failure;
    auto parsed = read(r, &failure);
    if (!parsed.ok()) return failure;
    telegram::PreviewPage& page = *parsed;
    note_created(page);
    Page out;
    out.batch.skipped = std::move(page.skipped);
    if (ignored_before_) {
      out.batch.events.push_back(
          {"history_gap", "the preview ignored ?before=" + std::to_string(*asked_before_) +
                              ": messages between " + std::to_string(cursor_.newest) + " and " +
                              std::to_string(*asked_before_) + " may be missing"});
      cursor_.newest = top_;
      out.cursor = cursor_.str();
      return to_channel(std::move(out));
    }
    out.batch.posts = std::move(page.posts);
    ++pages_;
    const bool reached = page.max_id == 0 || page.min_id <= cursor_.newest + 1 || !page.before ||
                         *page.before <= cursor_.newest + 1;
    if (!reached && pages_ < kMaxPagesPerPoll) {
      return StepResult::send(preview(*page.before), std::move(out));
    }
    if (!reached) {
      out.batch.events.push_back(
          {"history_gap", "more than " + std::to_string(kMaxPagesPerPoll) +
                              " preview pages of new messages in one poll: messages between " +
                              std::to_string(cursor_.newest) + " and " +
                              std::to_string(*page.before) + " were not read"});
    }
    cursor_.newest = top_;
    out.cursor = cursor_.str();
    return to_channel(std::move(out));
  }

  // The channel page for the exact subscriber count, after the messages.
  StepResult to_channel(Page page) {
    state_ = State::kChannel;
    return StepResult::send(toolkit::get(base_ + "/" + url_encode(name_), kAccept),
                            std::move(page));
  }

  StepResult on_channel(const HttpResponse& r) {
    AccountSnapshot snap;
    snap.platform_id = to_lower_ascii(name_);
    snap.handle = "@" + snap.platform_id;
    snap.profile_url = "https://t.me/" + name_;
    snap.created_at = cursor_.created;
    snap.display_name = fallback_title_;
    std::optional<telegram::ShownCount> subscribers = fallback_subscribers_;
    if (r.status == 200 && !redirected_to_preview(r)) {
      const telegram::ChannelPage page = telegram::parse_channel_page(r.body);
      if (!page.title.empty()) snap.display_name = page.title;
      if (page.kind == telegram::ChannelPage::Kind::kChannel && page.subscribers)
        subscribers = page.subscribers;
    }
    if (subscribers) {
      snap.followers = subscribers->value;
      snap.followers_precision = subscribers->precision;
    }
    Page out;
    out.platform_id = snap.platform_id;
    out.batch.snapshot = std::move(snap);
    return StepResult::finish(std::move(out));
  }

  // The channel page must not be the preview (a proxy that redirects the
  // other way): its counter would be read twice.
  static bool redirected_to_preview(const HttpResponse& r) {
    const auto u = parse_url(r.url);
    return u && u->path.find("/s/") != std::string::npos;
  }

  StepResult on_backfill(const HttpResponse& r) {
    StepResult failure;
    auto parsed = read(r, &failure);
    if (!parsed.ok()) return failure;
    telegram::PreviewPage& page = *parsed;
    Page out;
    out.batch.skipped = std::move(page.skipped);
    if (page.created_at) {
      note_created(page);
      // The creation date alone: the store keeps every other field.
      AccountSnapshot snap;
      snap.platform_id = to_lower_ascii(name_);
      snap.created_at = cursor_.created;
      out.batch.snapshot = std::move(snap);
    }
    if (ignored_before_) {
      out.backfill_state = BackfillState::kIncomplete;
      out.history_note =
          "backfill stopped: the preview answered ?before=" + std::to_string(cursor_.back) +
          " with messages that are not older (it ignores before); older history "
          "may be missing";
      out.batch.events.push_back({"history_incomplete", *out.history_note});
      cursor_.back = 0;
      out.cursor = cursor_.str();
      return StepResult::finish(std::move(out));
    }
    if (page.max_id == 0) {
      // No message below `back`: the start of the channel, or a bad
      // answer. Only a second empty answer at the same place is believed.
      if (!page.before && ++cursor_.back_empty >= 2) {
        cursor_.back = 0;
        cursor_.back_empty = 0;
        out.backfill_state = BackfillState::kComplete;
        out.history_note = "paged back to the channel's first message";
      } else if (page.before && *page.before < cursor_.back) {
        cursor_.back = *page.before;  // a page of service messages only
      }
      out.cursor = cursor_.str();
      return StepResult::finish(std::move(out));
    }
    cursor_.back_empty = 0;
    int64_t next = page.before.value_or(0);
    if (next >= cursor_.back)
      next = page.min_id < cursor_.back ? page.min_id : 0;  // never stand still
    out.batch.posts = std::move(page.posts);
    if (next <= 1 || !page.before || page.first_message_seen) {
      cursor_.back = 0;
      out.backfill_state = BackfillState::kComplete;
      out.history_note = "paged back to the channel's first message";
    } else if (a_.backfill_since && !out.batch.posts.empty() &&
               out.batch.posts.front().created_at < *a_.backfill_since) {
      cursor_.back = 0;
      out.backfill_state = BackfillState::kReachedStart;
    } else {
      cursor_.back = next;
      out.backfill_state = BackfillState::kPending;
    }
    out.cursor = cursor_.str();
    return StepResult::finish(std::move(out));
  }

  AccountView a_;
  WorkKind work_;
  std::string name_;
  std::string base_;
  Cursor cursor_;
  State state_ = State::kPreview;
  mutable std::optional<int64_t> asked_before_;  // ?before= of the last preview asked for
  mutable bool ignored_before_ = false;
  const TimeMs earliest_ = jan1_ms(kEarliestYear);
  int64_t top_ = 0;  // the highest id seen by this poll
  int pages_ = 0;
  std::string fallback_title_;
  std::optional<telegram::ShownCount> fallback_subscribers_;  // the preview's "109K"
};

class TelegramConnector : public Connector {
 public:
  std::string_view platform() const override { return "telegram"; }
  std::string host_for(const AccountView& account) const override {
    return toolkit::host_key(base_of(account)).value_or("t.me");
  }
  std::unique_ptr<ConnectorSession> begin(const AccountView& account,
                                          WorkKind work) const override {
    if (work == WorkKind::kPoll || work == WorkKind::kBackfill)
      return std::make_unique<Session>(account, work);
    return std::make_unique<toolkit::IdleSession>();
  }
};

}  // namespace

PlatformDescriptor telegram_platform() {
  PlatformDescriptor d;
  d.id = "telegram";
  d.display_name = "Telegram channel";
  d.display_name_de = "Telegram-Kanal";
  d.category = Category::kMessenger;
  d.earliest_item_ms = jan1_ms(kEarliestYear);
  d.canonical_handle = canonical_telegram_handle;
  d.capabilities.connector = true;
  d.capabilities.full_history = true;  // ?before= pages back to the first message
  d.capabilities.comments = false;     // the preview shows no discussion threads
  d.work = {{WorkKind::kPoll}, {WorkKind::kBackfill}};
  // Undocumented; see the top comment for why 15 a minute.
  d.rate_requests = 15;
  d.rate_window_ms = kMinuteMs;
  d.default_base_url = kDefaultBase;
  d.note =
      "public channels through the t.me/s web preview, no login: views above 999 are shown "
      "abbreviated (33.4K) and stored as shown (approximate); no comments in the preview, so "
      "dialogue figures are unknown";
  return d;
}

std::unique_ptr<Connector> make_telegram_connector() {
  return std::make_unique<TelegramConnector>();
}

}  // namespace muni
