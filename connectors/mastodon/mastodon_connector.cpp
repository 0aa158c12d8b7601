// Mastodon connector.
//
// Endpoints (docs.joinmastodon.org/methods/accounts, no authentication for
// public data):
//   GET /api/v1/accounts/lookup?acct=USER   handle -> Account (3.4.0+). Always
//       asked of the account's home instance: other servers only know what
//       their users follow (mastodon/mastodon#9000).
//   GET /api/v1/accounts/:id                profile snapshot once resolved
//   GET /api/v1/accounts/:id/statuses?limit=40
//       newest first; &min_id=X gives the statuses immediately newer than X
//       (still newest first), &max_id=X pages back. The Link header carries
//       rel="next" (max_id) and rel="prev" (min_id); "next" is left out when
//       the page is shorter than limit (accounts/statuses_controller.rb).
//
// Cursor (JSON, saved with every page):
//   base     instance base URL in use (changes when a move is followed)
//   id       account id on that instance (also the stable platform id)
//   newest   min_id for the next incremental poll: everything up to it is stored
//   back     max_id for the next backfill page
// Incremental polling with min_id is gap-free and crash-safe: each page moves
// `newest` forward only past statuses committed in the same transaction.
//
// Rate limits: X-RateLimit-Limit/Remaining/Reset (Reset is ISO-8601), 300
// requests per 5 minutes per IP by default (api/rate-limits.md); paging
// requests without a token have their own, stricter throttle (300 per 15
// minutes in config/initializers/rack_attack.rb of newer releases). The
// engine follows the headers; the default below is the documented one.
//
// Errors: 404 {"error":"Record not found"} (unknown account), 410 (gone,
// Mastodon 2.4-3.3 suspensions), "suspended": true on the Account (3.3+),
// 401 {"error":"This API requires an authenticated user"} (secure mode).
#include "connectors/mastodon/mastodon_connector.h"

#include <algorithm>

#include "connectors/mastodon/mastodon_parse.h"
#include "core/json.h"
#include "core/strings.h"

namespace muni {

namespace {

constexpr int kPageSize = 40;         // the API's maximum for statuses
constexpr int kMaxPagesPerPoll = 25;  // 1,000 new statuses; the rest next poll
constexpr int kMaxRefreshPages = 10;

struct Cursor {
  std::string base;
  std::string id;
  std::string newest;
  std::string back;
  std::string moved_to;  // last move recorded, so it is recorded once

  static Cursor parse(const std::string& text) {
    Cursor c;
    if (text.empty()) return c;
    auto doc = parse_json(text);
    if (!doc.ok() || !(*doc)->IsObject()) return c;
    c.base = json_string(**doc, "base").value_or("");
    c.id = json_string(**doc, "id").value_or("");
    c.newest = json_string(**doc, "newest").value_or("");
    c.back = json_string(**doc, "back").value_or("");
    c.moved_to = json_string(**doc, "moved_to").value_or("");
    return c;
  }
  std::string str() const {
    JsonWriter w;
    w.begin_object()
        .key("base")
        .value(base)
        .key("id")
        .value(id)
        .key("newest")
        .value(newest)
        .key("back")
        .value(back);
    if (!moved_to.empty()) w.key("moved_to").value(moved_to);
    w.end_object();
    return w.str();
  }
};

HttpRequest get(std::string url) {
  HttpRequest r;
  r.url = std::move(url);
  r.headers.push_back({"Accept", "application/json"});
  return r;
}

// Classifies any non-200 answer the engine passes on (429 and 5xx it keeps).
StepResult classify_error(const HttpResponse& r, const std::string& what) {
  const std::string msg =
      what + ": HTTP " + std::to_string(r.status) + " " + mastodon::error_text(r.body);
  switch (r.status) {
    case 404:
      return StepResult::fail(FailureKind::kNotFound, msg, r.status);
    case 410:
      return StepResult::fail(FailureKind::kGone, msg, r.status);
    case 401:
      return StepResult::fail(FailureKind::kAuthRequired,
                              msg +
                                  " (the instance requires authentication for public data; "
                                  "it runs in secure/whitelist mode)",
                              r.status);
    case 403:
      return StepResult::fail(FailureKind::kAuthRequired, msg, r.status);
    default:
      return StepResult::fail(FailureKind::kMalformed, msg, r.status);
  }
}

std::string statuses_url(const Cursor& c) {
  return c.base + "/api/v1/accounts/" + url_encode(c.id) +
         "/statuses?limit=" + std::to_string(kPageSize);
}

// Reads min_id / max_id from the Link header's rel link, if any.
std::string link_param(const HttpResponse& r, const char* rel, const char* param) {
  auto link = r.header("Link");
  if (!link) return "";
  auto url = link_rel(*link, rel);
  if (!url) return "";
  return url_query_param(*url, param).value_or("");
}

class Session : public ConnectorSession {
 public:
  Session(AccountView account, WorkKind work) : account_(std::move(account)), work_(work) {
    cursor_ = Cursor::parse(account_.cursor);
    if (cursor_.id.empty()) cursor_.id = account_.platform_id;
    if (cursor_.base.empty()) {
      if (auto home = mastodon::home_of(account_.handle)) cursor_.base = home->base_url;
    }
  }

  StepResult start() override {
    auto home = mastodon::home_of(account_.handle);
    if (!home || cursor_.base.empty()) {
      return StepResult::fail(FailureKind::kInvalidHandle,
                              "cannot derive the home instance of '" + account_.handle + "'");
    }
    switch (work_) {
      case WorkKind::kPoll:
        state_ = State::kProfile;
        if (cursor_.id.empty()) {
          return StepResult::send(
              get(cursor_.base + "/api/v1/accounts/lookup?acct=" + url_encode(home->username)));
        }
        return StepResult::send(get(cursor_.base + "/api/v1/accounts/" + url_encode(cursor_.id)));
      case WorkKind::kBackfill:
        if (cursor_.id.empty() || cursor_.back.empty()) {
          // Nothing to page back from yet (no poll succeeded), or done.
          return StepResult::finish();
        }
        state_ = State::kBackfill;
        return StepResult::send(get(statuses_url(cursor_) + "&max_id=" + url_encode(cursor_.back)));
      case WorkKind::kRefresh:
        if (cursor_.id.empty() || account_.refresh_ids.empty()) return StepResult::finish();
        state_ = State::kRefresh;
        return StepResult::send(get(statuses_url(cursor_)));
    }
    return StepResult::finish();
  }

  StepResult on_response(const HttpResponse& r) override {
    switch (state_) {
      case State::kProfile:
        return on_profile(r, false);
      case State::kMovedLookup:
        return on_profile(r, true);
      case State::kStatuses:
        return on_statuses(r);
      case State::kBackfill:
        return on_backfill(r);
      case State::kRefresh:
        return on_refresh(r);
    }
    return StepResult::fail(FailureKind::kMalformed, "unexpected response");
  }

 private:
  enum class State { kProfile, kMovedLookup, kStatuses, kBackfill, kRefresh };

  StepResult on_profile(const HttpResponse& r, bool after_move) {
    if (r.status != 200)
      return classify_error(r, after_move ? "lookup of moved account" : "profile");
    auto info = mastodon::parse_account(r.body);
    if (!info.ok())
      return StepResult::fail(FailureKind::kMalformed, info.error().message, r.status);
    Page page;
    if (info->suspended) {
      return StepResult::fail(FailureKind::kSuspended,
                              "the instance reports the account as suspended", r.status);
    }
    if (!info->moved_acct.empty() && !after_move) {
      const std::string target =
          info->moved_acct + (info->moved_url.empty() ? "" : " (" + info->moved_url + ")");
      if (cursor_.moved_to != target) {
        page.batch.events.push_back({"moved", "moved to " + target});
        cursor_.moved_to = target;
      }
      auto url = parse_url(info->moved_url);
      if (account_.follow_moves && url && !info->moved_username.empty()) {
        // Follow the move: look the new account up on its own home instance.
        // Its statuses are a new id space, so paging starts afresh.
        moved_base_ = url->origin();
        state_ = State::kMovedLookup;
        page.cursor = cursor_.str();
        return StepResult::send(
            get(moved_base_ + "/api/v1/accounts/lookup?acct=" + url_encode(info->moved_username)),
            std::move(page));
      }
    }
    if (after_move) {
      cursor_.base = moved_base_;
      cursor_.newest.clear();
      cursor_.back.clear();
      page.backfill_state = BackfillState::kPending;
      page.batch.events.push_back(
          {"resolved",
           "following the moved account, id " + info->snapshot.platform_id + " on " + moved_base_});
    }
    if (info->limited)
      page.history_note = "the home instance marks this account as limited (hidden by moderators)";
    cursor_.id = info->snapshot.platform_id;
    // The handle as muniscope shows it: user@instance-host.
    if (auto url = parse_url(cursor_.base))
      info->snapshot.handle = info->username + "@" + url->host;
    page.platform_id = cursor_.id;
    page.batch.snapshot = info->snapshot;
    page.cursor = cursor_.str();
    state_ = State::kStatuses;
    std::string url = statuses_url(cursor_);
    if (!cursor_.newest.empty()) url += "&min_id=" + url_encode(cursor_.newest);
    return StepResult::send(get(url), std::move(page));
  }

  StepResult on_statuses(const HttpResponse& r) {
    if (r.status != 200) return classify_error(r, "statuses");
    auto posts = mastodon::parse_statuses(r.body, cursor_.id);
    if (!posts.ok())
      return StepResult::fail(FailureKind::kMalformed, posts.error().message, r.status);
    ++pages_;
    Page page;
    const bool first_ever = cursor_.newest.empty();
    if (!posts->empty()) {
      // The newest status on the page: the Link rel="prev" min_id, or the
      // first element (pages are newest first, also with min_id).
      std::string newest = link_param(r, "prev", "min_id");
      if (newest.empty()) newest = posts->front().platform_post_id;
      cursor_.newest = newest;
      if (first_ever) {
        // The first page ever also starts the backfill just below it.
        std::string back = link_param(r, "next", "max_id");
        if (back.empty() && static_cast<int>(posts->size()) >= kPageSize)
          back = posts->back().platform_post_id;
        cursor_.back = back;
        if (back.empty()) {
          page.backfill_state = BackfillState::kComplete;  // the whole history fit on one page
        } else if (account_.backfill_since && posts->back().created_at < *account_.backfill_since) {
          page.backfill_state = BackfillState::kReachedStart;
        }
      }
    } else if (first_ever) {
      page.backfill_state = BackfillState::kComplete;  // an account without public statuses
    }
    page.batch.posts = std::move(*posts);
    page.cursor = cursor_.str();
    const bool more = !first_ever && static_cast<int>(page.batch.posts.size()) >= kPageSize &&
                      pages_ < kMaxPagesPerPoll;
    if (more) {
      return StepResult::send(get(statuses_url(cursor_) + "&min_id=" + url_encode(cursor_.newest)),
                              std::move(page));
    }
    return StepResult::finish(std::move(page));
  }

  StepResult on_backfill(const HttpResponse& r) {
    if (r.status != 200) return classify_error(r, "backfill");
    auto posts = mastodon::parse_statuses(r.body, cursor_.id);
    if (!posts.ok())
      return StepResult::fail(FailureKind::kMalformed, posts.error().message, r.status);
    Page page;
    std::string back = link_param(r, "next", "max_id");
    if (back.empty() && static_cast<int>(posts->size()) >= kPageSize)
      back = posts->back().platform_post_id;
    if (posts->empty() || back.empty()) {
      back.clear();
      page.backfill_state = BackfillState::kComplete;
      page.history_note = "paged back to the account's first public status";
    } else if (account_.backfill_since && posts->back().created_at < *account_.backfill_since) {
      back.clear();
      page.backfill_state = BackfillState::kReachedStart;
    }
    cursor_.back = back;
    page.batch.posts = std::move(*posts);
    page.cursor = cursor_.str();
    return StepResult::finish(std::move(page));
  }

  // Re-reads the timeline from the newest status back past the refresh
  // window: one request refreshes the counts of up to 40 statuses. Own posts
  // of the window that did not come back were deleted (or made private).
  StepResult on_refresh(const HttpResponse& r) {
    if (r.status != 200) return classify_error(r, "refresh");
    auto posts = mastodon::parse_statuses(r.body, cursor_.id);
    if (!posts.ok())
      return StepResult::fail(FailureKind::kMalformed, posts.error().message, r.status);
    ++pages_;
    for (const PostRecord& p : *posts) seen_.push_back(p.platform_post_id);
    const bool past_window = posts->empty() || posts->back().created_at < account_.refresh_since;
    std::string back = link_param(r, "next", "max_id");
    if (back.empty() && static_cast<int>(posts->size()) >= kPageSize)
      back = posts->back().platform_post_id;
    Page page;
    page.batch.posts = std::move(*posts);
    if (!past_window && !back.empty() && pages_ < kMaxRefreshPages) {
      return StepResult::send(get(statuses_url(cursor_) + "&max_id=" + url_encode(back)),
                              std::move(page));
    }
    if (past_window || back.empty()) {
      // The whole window was read: whatever is missing is gone.
      for (const std::string& id : account_.refresh_ids) {
        if (std::find(seen_.begin(), seen_.end(), id) == seen_.end())
          page.batch.deleted_post_ids.push_back(id);
      }
    }
    return StepResult::finish(std::move(page));
  }

  AccountView account_;
  WorkKind work_;
  Cursor cursor_;
  State state_ = State::kProfile;
  std::string moved_base_;
  int pages_ = 0;
  std::vector<std::string> seen_;
};

class MastodonConnector : public Connector {
 public:
  std::string_view platform() const override { return "mastodon"; }
  ConnectorDefaults defaults() const override {
    // 300 requests per 5 minutes per IP (docs.joinmastodon.org/api/rate-limits).
    return ConnectorDefaults{RateBudgetDefaults{300, 5 * kMinuteMs}, false};
  }
  std::string host_for(const AccountView& account) const override {
    const Cursor c = Cursor::parse(account.cursor);
    std::string base = c.base;
    if (base.empty()) {
      if (auto home = mastodon::home_of(account.handle)) base = home->base_url;
    }
    auto url = parse_url(base);
    return url ? url->host + (url->port ? ":" + std::to_string(url->port) : "") : account.handle;
  }
  std::unique_ptr<ConnectorSession> begin(const AccountView& account,
                                          WorkKind work) const override {
    return std::make_unique<Session>(account, work);
  }
};

}  // namespace

std::unique_ptr<Connector> make_mastodon_connector() {
  return std::make_unique<MastodonConnector>();
}

}  // namespace muni
