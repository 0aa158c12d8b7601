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
//   GET /api/v1/statuses/:id                one status (methods/statuses.md);
//       404 with a JSON error body when it is deleted or not public
//       ({"error":"Record not found"}; a Mastodon 4.5 server answered
//       /api/v1/statuses/0 with {"error":"Not Found"}, recorded by Mastodon.py)
//
// Cursor (JSON, saved with every page):
//   base     instance base URL in use (changes when a move is followed)
//   id       account id on that instance (also the stable platform id)
//   newest   min_id for the next incremental poll: everything up to it is stored
//   back     max_id for the next backfill page
// Incremental polling with min_id is gap-free and crash-safe: each page moves
// `newest` forward only past statuses committed in the same transaction.
//
// Completion rests on evidence, never on one answer:
//   - an empty first timeline is only "no history" when the profile says
//     statuses_count 0; otherwise it is asked again on the next poll, and
//     after three empty answers in a row the history is recorded as
//     incomplete (followers-only or hidden statuses); a later non-empty first
//     page reopens backfill;
//   - backfill is complete at a page without rel="next" after statuses were
//     seen, or at the second empty page in a row at the same position;
//   - a backfill page that is not older than the position asked for (a
//     server that ignores max_id) stops backfill as incomplete.
//
// Absence is not deletion. A refresh re-reads the timeline over the refresh
// window; a status of the window it does not show is only a suspect (a
// server can omit what it still has). Each suspect, at most
// kMaxChecksPerUnit per unit of work, is asked for by id: only the
// instance's own "not found" for that status (404/410 with the API's JSON
// error body) reports it deleted (Batch::deleted_post_ids); a status shown
// is stored again with its current counts (which also restores it); any
// other answer (401, 403, an HTML page, another status) is no evidence, and
// the suspect is only noted (missing_post_ids, never a deletion). 5xx and
// 429 never reach the connector: the engine ends the unit or waits, and
// nothing is marked either. A refresh whose first page is empty although the window holds statuses is
// no reading at all: the newest of them is asked for; shown, the unit fails
// as a degraded answer (kMalformed, nothing marked); not found, every status
// of the window is a suspect as above (an account that deleted everything).
//
// Moves: "moved" is followed only when the target confirms it. The old
// instance only names the target's host and user name (acct, and the
// profile URL for scheme and port, which must agree with acct and never
// downgrade https); the one request made of that host on its word is the
// account lookup, GET https://<host>/api/v1/accounts/lookup?acct=<user>, a
// fixed path. Only when that host knows the account is its ActivityPub actor
// read, at the address the target's own instance gives ("uri", else its
// profile URL) and only on that same host; it must name the old account in
// alsoKnownAs (which Mastodon requires before it accepts a Move). An
// unverified move is recorded as an event and polling stays with the old
// account; verification is retried every kMoveRecheckPolls polls.
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
#include <set>

#include "connectors/mastodon/mastodon_handle.h"
#include "connectors/mastodon/mastodon_parse.h"
#include "connectors/toolkit.h"
#include "core/json.h"
#include "core/strings.h"

namespace muni {

namespace {

constexpr int kPageSize = 40;         // the API's maximum for statuses
constexpr int kMaxPagesPerPoll = 25;  // 1,000 new statuses; the rest next poll
constexpr int kMaxRefreshPages = 10;
constexpr int kMoveRecheckPolls = 24;
// GET /api/v1/statuses/:id checks of statuses a refresh did not see, per
// unit of work: enough for what a municipality deletes in a refresh window,
// few enough that a server omitting everything costs little.
constexpr int kMaxChecksPerUnit = 10;

struct Cursor {
  std::string base;
  std::string id;
  std::string newest;
  std::string back;
  std::string moved_to;  // last move recorded, so it is recorded once
  int empty_polls = 0;   // consecutive empty first pages while statuses_count > 0
  int back_empty = 0;    // consecutive empty backfill pages at `back`
  int move_recheck = 0;  // polls until an unverified move is checked again

  static Cursor parse(const std::string& text) {
    const auto j = toolkit::CursorJson::parse(text);
    const auto small = [&](const char* key) {
      return static_cast<int>(std::clamp<int64_t>(j.num(key), 0, 1000));
    };
    Cursor c;
    c.base = j.str("base");
    c.id = j.str("id");
    c.newest = j.str("newest");
    c.back = j.str("back");
    c.moved_to = j.str("moved_to");
    c.empty_polls = small("empty_polls");
    c.back_empty = small("back_empty");
    c.move_recheck = small("move_recheck");
    return c;
  }
  std::string str() const {
    toolkit::CursorJson j;
    j.set("base", base).set("id", id).set("newest", newest).set("back", back);
    j.set("moved_to", moved_to);
    if (empty_polls > 0) j.set("empty_polls", int64_t{empty_polls});
    if (back_empty > 0) j.set("back_empty", int64_t{back_empty});
    if (move_recheck > 0) j.set("move_recheck", int64_t{move_recheck});
    return j.dump();
  }
};

HttpRequest get(std::string url, const char* accept = "application/json") {
  return toolkit::get(std::move(url), accept);
}

// Classifies any non-200 answer the engine passes on (429 and 5xx it keeps).
// The usual meaning of the status (toolkit), with the instance's error text,
// and what a 401 means on Mastodon.
StepResult classify_error(const HttpResponse& r, const std::string& what) {
  StepResult f = toolkit::fail_for_status(r, what, mastodon::error_text(r.body));
  if (r.status == 401)
    f.reason += " (the instance requires authentication for public data; it runs in "
                "secure/whitelist mode)";
  return f;
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

// Orders two status ids: Mastodon's are decimal Snowflakes, Pleroma's
// FlakeIds are fixed-width base62; both sort by length, then text.
bool id_before(std::string_view a, std::string_view b) {
  return a.size() != b.size() ? a.size() < b.size() : a < b;
}

// Whether `uri` names the actor `old_uri`, or (when the old account's uri is
// unknown) an actor of `old_host` called `username`.
bool names_account(const std::string& uri, const std::string& old_uri,
                   const std::string& old_host, const std::string& username) {
  if (!old_uri.empty()) return uri == old_uri;
  const auto u = parse_url(uri);
  if (!u || u->host != old_host) return false;
  return ends_with(u->path, "/users/" + username) || ends_with(u->path, "/@" + username);
}

// More suspects than checks: start at a place that moves by a day each day,
// so that statuses deleted long ago (asked for again, since a deletion stays
// revocable) cannot take every check of every refresh.
void rotate_suspects(std::vector<std::string>& suspects, TimeMs now) {
  if (suspects.size() <= static_cast<size_t>(kMaxChecksPerUnit)) return;
  const auto shift = static_cast<size_t>((now > 0 ? now : 0) / kDayMs) % suspects.size();
  std::rotate(suspects.begin(), suspects.begin() + static_cast<long>(shift), suspects.end());
}

// Where a move target lives, from what the old account's instance says
// ("moved": acct, url, username): the target's own instance and its user
// name. Only these two come from the (possibly hostile) old instance; the
// request made of them has a fixed shape (the account lookup). The url may
// only say how that host is reached (scheme and port, as a configured handle
// may): its host must be the acct's, and https is never downgraded.
struct MoveTarget {
  std::string base;
  std::string username;
};
Result<MoveTarget> move_target(const mastodon::AccountInfo& info, const std::string& old_base) {
  auto why = [](const std::string& text) { return make_error(ErrorCode::kParse, text); };
  const std::string& acct = info.moved_acct;
  const size_t at = acct.find('@');
  const std::string user = acct.substr(0, at);
  const auto old_url = parse_url(old_base);
  if (!old_url) return why("the old instance's address is unreadable");
  if (!info.moved_username.empty() && to_lower_ascii(info.moved_username) != to_lower_ascii(user))
    return why("its acct and username disagree");
  std::string canonical_input;
  if (at == std::string::npos) {
    // A move within the same instance.
    canonical_input = old_url->origin() + "/@" + user;
  } else {
    canonical_input = info.moved_url.empty() ? acct : info.moved_url;
  }
  auto canonical = canonical_mastodon_handle(canonical_input);
  if (!canonical.ok()) return why("the target's address is unreadable");
  auto home = mastodon::home_of(*canonical);
  const auto target = home ? parse_url(home->base_url) : std::nullopt;
  if (!home || !target) return why("the target's address is unreadable");
  if (to_lower_ascii(home->username) != to_lower_ascii(user))
    return why("the target's profile URL names another user than its acct");
  const std::string acct_host =
      at == std::string::npos ? old_url->host : normalize_host(acct.substr(at + 1)).value_or("");
  if (acct_host.empty() || target->host != acct_host)
    return why("the target's profile URL is on another host than its acct");
  if (old_url->scheme == "https" && target->scheme != "https")
    return why("the target's address is not https");
  return MoveTarget{home->base_url, home->username};
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
      case WorkKind::kComments:
      case WorkKind::kCommentBackfill:
        return StepResult::finish();  // replies are posts here; no separate comments
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
        return on_profile(r);
      case State::kMoveLookup:
        return on_move_lookup(r);
      case State::kMoveVerify:
        return on_move_verify(r);
      case State::kStatuses:
        return on_statuses(r);
      case State::kBackfill:
        return on_backfill(r);
      case State::kRefresh:
        return on_refresh(r);
      case State::kProbe:
        return on_probe(r);
      case State::kCheck:
        return on_check(r);
    }
    return StepResult::fail(FailureKind::kMalformed, "unexpected response");
  }

 private:
  enum class State {
    kProfile,
    kMoveLookup,
    kMoveVerify,
    kStatuses,
    kBackfill,
    kRefresh,
    kProbe,
    kCheck
  };

  StepResult on_profile(const HttpResponse& r) {
    if (r.status != 200) return classify_error(r, "profile");
    auto info = mastodon::parse_account(r.body);
    if (!info.ok())
      return StepResult::fail(FailureKind::kMalformed, info.error().message, r.status);
    if (info->suspended) {
      return StepResult::fail(FailureKind::kSuspended,
                              "the instance reports the account as suspended", r.status);
    }
    profile_ = *info;
    if (!info->moved_acct.empty()) {
      const std::string target =
          info->moved_acct + (info->moved_url.empty() ? "" : " (" + info->moved_url + ")");
      const bool new_move = cursor_.moved_to != target;
      if (new_move) {
        pending_.batch.events.push_back({"moved", "moved to " + target});
        cursor_.moved_to = target;
        cursor_.move_recheck = 0;
      }
      if (account_.follow_moves && cursor_.move_recheck == 0) {
        // Verify before following. The only request to the target's host is
        // its account lookup (a fixed path, never a URL the old instance
        // named); the actor document is then read where the target's own
        // instance says it is, on that same host.
        auto target = move_target(*info, cursor_.base);
        if (!target.ok()) {
          note_unverified(target.error().message);
        } else {
          target_ = *target;
          state_ = State::kMoveLookup;
          HttpRequest lookup =
              get(target_.base + "/api/v1/accounts/lookup?acct=" + url_encode(target_.username));
          lookup.optional = true;  // unreachable means unverified, not a failed poll
          return StepResult::send(std::move(lookup));
        }
      } else if (cursor_.move_recheck > 0) {
        --cursor_.move_recheck;
      }
    }
    return after_profile();
  }

  void note_unverified(const std::string& why) {
    pending_.batch.events.push_back(
        {"move_unverified", "not following the move to " + cursor_.moved_to + ": " + why +
                                "; polling stays with the old account"});
    cursor_.move_recheck = kMoveRecheckPolls;
  }

  // The target's own instance answers the account lookup.
  StepResult on_move_lookup(const HttpResponse& r) {
    if (r.status != 200) {
      note_unverified(r.status == 0
                          ? "the target's host could not be reached (" + r.transport_error + ")"
                          : "the target's instance did not look the account up (HTTP " +
                                std::to_string(r.status) + ")");
      return after_profile();
    }
    auto info = mastodon::parse_account(r.body);
    if (!info.ok()) {
      note_unverified("the target's account lookup is unreadable");
      return after_profile();
    }
    if (to_lower_ascii(info->username) != to_lower_ascii(target_.username)) {
      note_unverified("the target's instance answered with another account");
      return after_profile();
    }
    if (info->suspended) {
      note_unverified("the target's instance reports the account as suspended");
      return after_profile();
    }
    // Its ActivityPub actor, where the target's instance says it is (the
    // actor id, Mastodon 4.2+; else the profile URL, which Mastodon also
    // serves as the actor) and only on that same host.
    const auto base = parse_url(target_.base);
    const auto actor = parse_url(info->uri.empty() ? info->snapshot.profile_url : info->uri);
    if (!base || !actor || actor->origin() != base->origin()) {
      note_unverified("the target's instance names no actor on its own host");
      return after_profile();
    }
    target_info_ = *info;
    state_ = State::kMoveVerify;
    HttpRequest verify = get(actor->origin() + actor->path, "application/activity+json");
    verify.optional = true;
    return StepResult::send(std::move(verify));
  }

  StepResult on_move_verify(const HttpResponse& r) {
    if (r.status != 200) {
      note_unverified(
          r.status == 0 ? "the target's host could not be reached (" + r.transport_error + ")"
                        : "the target's actor could not be read (HTTP " + std::to_string(r.status) +
                              (r.status == 401 ? ", the instance requires signed requests" : "") +
                              ")");
      return after_profile();
    }
    auto aliases = mastodon::parse_actor_aliases(r.body);
    const auto old_home = parse_url(cursor_.base);
    const bool named =
        aliases.ok() && old_home &&
        std::any_of(aliases->begin(), aliases->end(), [&](const std::string& uri) {
          return names_account(uri, profile_.uri, old_home->host, profile_.username);
        });
    if (!named) {
      note_unverified(aliases.ok() ? "the target account does not name this one in alsoKnownAs"
                                   : "the target's actor document is unreadable");
      return after_profile();
    }
    pending_.batch.events.push_back(
        {"move_verified", "the target names this account in alsoKnownAs"});
    // The moved account's statuses are a new id space: paging starts afresh.
    cursor_.base = target_.base;
    cursor_.newest.clear();
    cursor_.back.clear();
    cursor_.empty_polls = 0;
    cursor_.back_empty = 0;
    pending_.backfill_state = BackfillState::kPending;
    pending_.batch.events.push_back({"resolved", "following the moved account, id " +
                                                     target_info_.snapshot.platform_id + " on " +
                                                     target_.base});
    profile_ = target_info_;
    return after_profile();
  }

  // The profile is known (the account's own, or the verified move target's):
  // store the snapshot and ask for new statuses.
  StepResult after_profile() {
    Page page = take_pending();
    if (profile_.limited)
      page.history_note = "the home instance marks this account as limited (hidden by moderators)";
    cursor_.id = profile_.snapshot.platform_id;
    statuses_count_ = profile_.snapshot.posts;
    // The handle as muniscope shows it: user@instance-host.
    if (auto url = parse_url(cursor_.base))
      profile_.snapshot.handle = profile_.username + "@" + url->host;
    page.platform_id = cursor_.id;
    page.batch.snapshot = profile_.snapshot;
    page.cursor = cursor_.str();
    state_ = State::kStatuses;
    std::string url = statuses_url(cursor_);
    if (!cursor_.newest.empty()) url += "&min_id=" + url_encode(cursor_.newest);
    return StepResult::send(get(url), std::move(page));
  }

  Page take_pending() {
    Page p = std::move(pending_);
    pending_ = Page{};
    return p;
  }

  StepResult on_statuses(const HttpResponse& r) {
    if (r.status != 200) return classify_error(r, "statuses");
    auto parsed = mastodon::parse_statuses(r.body, cursor_.id);
    if (!parsed.ok())
      return StepResult::fail(FailureKind::kMalformed, parsed.error().message, r.status);
    ++pages_;
    Page page;
    page.batch.skipped = std::move(parsed->skipped);
    const bool first_ever = cursor_.newest.empty();
    if (!parsed->first_id.empty()) {
      // The newest status on the page: the Link rel="prev" min_id, or the
      // first element (pages are newest first, also with min_id).
      std::string newest = link_param(r, "prev", "min_id");
      if (newest.empty()) newest = parsed->first_id;
      cursor_.newest = newest;
      cursor_.empty_polls = 0;
      if (first_ever) {
        // The first page ever also starts the backfill just below it, and
        // (re)opens it: an earlier empty answer may have closed it.
        std::string back = link_param(r, "next", "max_id");
        if (back.empty() && parsed->posts.size() + page.batch.skipped.size() >=
                                static_cast<size_t>(kPageSize))
          back = parsed->last_id;
        cursor_.back = back;
        cursor_.back_empty = 0;
        if (back.empty()) {
          // Statuses seen, and no page beyond: the whole history fit here.
          page.backfill_state = BackfillState::kComplete;
          page.history_note = "the whole public history fit on the first page";
        } else if (account_.backfill_since && !parsed->posts.empty() &&
                   parsed->posts.back().created_at < *account_.backfill_since) {
          page.backfill_state = BackfillState::kReachedStart;
          cursor_.back.clear();
        } else {
          page.backfill_state = BackfillState::kPending;
        }
      }
    } else if (first_ever) {
      // An empty public timeline. Only the profile's count can say whether
      // that is the account's whole life.
      if (!(statuses_count_ && *statuses_count_ == 0)) ++cursor_.empty_polls;
      const auto verdict =
          toolkit::empty_first_page(statuses_count_, cursor_.empty_polls, "public timeline",
                                    "statuses", "followers-only, or hidden by the instance");
      page.backfill_state = verdict.state;
      page.history_note = verdict.note;
    }
    page.batch.posts = std::move(parsed->posts);
    page.cursor = cursor_.str();
    const bool more = !first_ever && (page.batch.posts.size() + page.batch.skipped.size() >=
                                      static_cast<size_t>(kPageSize)) &&
                      pages_ < kMaxPagesPerPoll;
    if (more) {
      return StepResult::send(get(statuses_url(cursor_) + "&min_id=" + url_encode(cursor_.newest)),
                              std::move(page));
    }
    return StepResult::finish(std::move(page));
  }

  StepResult on_backfill(const HttpResponse& r) {
    if (r.status != 200) return classify_error(r, "backfill");
    auto parsed = mastodon::parse_statuses(r.body, cursor_.id);
    if (!parsed.ok())
      return StepResult::fail(FailureKind::kMalformed, parsed.error().message, r.status);
    Page page;
    page.batch.skipped = std::move(parsed->skipped);
    if (parsed->first_id.empty()) {
      // An empty page: the end of the history, or a bad answer. Only a
      // second empty answer at the same position is believed.
      if (++cursor_.back_empty >= 2) {
        cursor_.back.clear();
        cursor_.back_empty = 0;
        page.backfill_state = BackfillState::kComplete;
        page.history_note = "paged back to the account's first public status";
      }
      page.cursor = cursor_.str();
      return StepResult::finish(std::move(page));
    }
    cursor_.back_empty = 0;
    if (!id_before(parsed->first_id, cursor_.back)) {
      // Statuses at or above max_id: the server ignores the parameter.
      // Paging further would repeat this page forever.
      page.backfill_state = BackfillState::kIncomplete;
      page.history_note = "backfill stopped: the server answered max_id=" + cursor_.back +
                          " with statuses that are not older (it ignores max_id); older history "
                          "may be missing";
      page.batch.events.push_back({"history_incomplete", *page.history_note});
      cursor_.back.clear();
      page.batch.posts = std::move(parsed->posts);
      page.cursor = cursor_.str();
      return StepResult::finish(std::move(page));
    }
    std::string back = link_param(r, "next", "max_id");
    if (back.empty() &&
        parsed->posts.size() + page.batch.skipped.size() >= static_cast<size_t>(kPageSize))
      back = parsed->last_id;
    if (!back.empty() && !id_before(back, cursor_.back)) back = parsed->last_id;  // never stand still
    if (back.empty()) {
      page.backfill_state = BackfillState::kComplete;
      page.history_note = "paged back to the account's first public status";
    } else if (account_.backfill_since && !parsed->posts.empty() &&
               parsed->posts.back().created_at < *account_.backfill_since) {
      back.clear();
      page.backfill_state = BackfillState::kReachedStart;
    }
    cursor_.back = back;
    page.batch.posts = std::move(parsed->posts);
    page.cursor = cursor_.str();
    return StepResult::finish(std::move(page));
  }

  // Re-reads the timeline from the newest status back past the refresh
  // window: one request refreshes the counts of up to 40 statuses. Own posts
  // of the window that did not come back are suspects, checked one by one
  // (the top comment says how).
  StepResult on_refresh(const HttpResponse& r) {
    if (r.status != 200) return classify_error(r, "refresh");
    auto parsed = mastodon::parse_statuses(r.body, cursor_.id);
    if (!parsed.ok())
      return StepResult::fail(FailureKind::kMalformed, parsed.error().message, r.status);
    ++pages_;
    for (const PostRecord& p : parsed->posts) seen_.insert(p.platform_post_id);
    for (const SkippedItem& s : parsed->skipped) seen_.insert(s.id);
    const bool past_window =
        parsed->posts.empty() || parsed->posts.back().created_at < account_.refresh_since;
    std::string back = link_param(r, "next", "max_id");
    if (back.empty() &&
        parsed->posts.size() + parsed->skipped.size() >= static_cast<size_t>(kPageSize))
      back = parsed->last_id;
    Page page;
    page.batch.skipped = std::move(parsed->skipped);
    const bool empty_answer = parsed->first_id.empty() && pages_ == 1;
    page.batch.posts = std::move(parsed->posts);
    if (!asked_below_.empty() &&
        ((!parsed->first_id.empty() && !id_before(parsed->first_id, asked_below_)) ||
         (!back.empty() && !id_before(back, asked_below_)))) {
      // Statuses at or above the max_id asked for: the server ignores it,
      // and paging on would repeat this page. The window was not read to
      // its end, so nothing it left out is a suspect.
      return StepResult::finish(std::move(page));
    }
    if (!past_window && !back.empty() && pages_ < kMaxRefreshPages) {
      asked_below_ = back;
      return StepResult::send(get(statuses_url(cursor_) + "&max_id=" + url_encode(back)),
                              std::move(page));
    }
    if (empty_answer) {
      // Nothing at all for a window with statuses: a degraded answer, or
      // every one of them deleted. Asking for the newest tells which.
      state_ = State::kProbe;
      ++checks_;
      return StepResult::send(status_request(account_.refresh_ids.front()), std::move(page));
    }
    if (past_window || back.empty()) {
      // The whole window was read: what it did not show is a suspect.
      for (const std::string& id : account_.refresh_ids) {
        if (!seen_.count(id)) suspects_.push_back(id);
      }
      rotate_suspects(suspects_, account_.now);
    }
    return next_check(std::move(page));
  }

  HttpRequest status_request(const std::string& id) const {
    return get(cursor_.base + "/api/v1/statuses/" + url_encode(id));
  }

  // The next suspect's check, or the end: suspects left unchecked are only
  // noted (the store never deletes for absence).
  StepResult next_check(Page page) {
    if (!suspects_.empty() && checks_ < kMaxChecksPerUnit) {
      ++checks_;
      state_ = State::kCheck;
      return StepResult::send(status_request(suspects_.front()), std::move(page));
    }
    page.batch.missing_post_ids.insert(page.batch.missing_post_ids.end(), suspects_.begin(),
                                       suspects_.end());
    suspects_.clear();
    return StepResult::finish(std::move(page));
  }

  StepResult on_probe(const HttpResponse& r) {
    const std::string& id = account_.refresh_ids.front();
    auto check = mastodon::read_status_check(r.status, r.body, id, cursor_.id);
    const std::string empty = "the timeline came back empty for a window with " +
                              std::to_string(account_.refresh_ids.size()) + " stored statuses";
    switch (check.verdict) {
      case mastodon::StatusCheck::Verdict::kShown:
        return StepResult::fail(FailureKind::kMalformed,
                                empty + ", while GET /api/v1/statuses/" + id +
                                    " still shows it: a degraded answer; nothing is marked deleted",
                                r.status);
      case mastodon::StatusCheck::Verdict::kNotFound: {
        // Truly gone: the others are suspects like any the timeline left out.
        Page page;
        page.batch.deleted_post_ids.push_back(id);
        suspects_.assign(account_.refresh_ids.begin() + 1, account_.refresh_ids.end());
        rotate_suspects(suspects_, account_.now);
        return next_check(std::move(page));
      }
      case mastodon::StatusCheck::Verdict::kNoEvidence:
        break;
    }
    return StepResult::fail(FailureKind::kMalformed,
                            empty + ", and GET /api/v1/statuses/" + id +
                                " could not tell whether it exists (" + check.detail +
                                "): a degraded answer; nothing is marked deleted",
                            r.status);
  }

  StepResult on_check(const HttpResponse& r) {
    const std::string id = suspects_.front();
    suspects_.erase(suspects_.begin());
    auto check = mastodon::read_status_check(r.status, r.body, id, cursor_.id);
    Page page;
    switch (check.verdict) {
      case mastodon::StatusCheck::Verdict::kShown:
        page.batch.posts.push_back(std::move(check.post));  // current counts; restores it
        break;
      case mastodon::StatusCheck::Verdict::kNotFound:
        page.batch.deleted_post_ids.push_back(id);
        break;
      case mastodon::StatusCheck::Verdict::kNoEvidence:
        page.batch.missing_post_ids.push_back(id);  // noted only
        break;
    }
    return next_check(std::move(page));
  }

  AccountView account_;
  WorkKind work_;
  Cursor cursor_;
  State state_ = State::kProfile;
  mastodon::AccountInfo profile_;
  std::optional<int64_t> statuses_count_;
  Page pending_;  // events and notes gathered before the profile page is sent
  MoveTarget target_;                  // the move target being verified
  mastodon::AccountInfo target_info_;  // its account, as its own instance looked it up
  int pages_ = 0;
  std::set<std::string> seen_;         // refresh: ids the timeline showed
  std::string asked_below_;            // refresh: the max_id of the last page asked for
  std::vector<std::string> suspects_;  // refresh: left out, not yet checked
  int checks_ = 0;                     // refresh: per-status requests sent
};

class MastodonConnector : public Connector {
 public:
  std::string_view platform() const override { return "mastodon"; }
  std::string host_for(const AccountView& account) const override {
    const Cursor c = Cursor::parse(account.cursor);
    std::string base = c.base;
    if (base.empty()) {
      if (auto home = mastodon::home_of(account.handle)) base = home->base_url;
    }
    return toolkit::host_key(base).value_or(account.handle);
  }
  std::unique_ptr<ConnectorSession> begin(const AccountView& account,
                                          WorkKind work) const override {
    return std::make_unique<Session>(account, work);
  }
};

}  // namespace

PlatformDescriptor mastodon_platform() {
  PlatformDescriptor d;
  d.id = "mastodon";
  d.display_name = "Mastodon (and Mastodon-API servers)";
  d.display_name_de = "Mastodon (und Server mit Mastodon-API)";
  d.category = Category::kMicroblog;
  d.earliest_item_ms = jan1_ms(2016);  // Mastodon's first release was in 2016
  d.canonical_handle = canonical_mastodon_handle;
  d.capabilities.connector = true;
  d.capabilities.full_history = true;
  d.work = {{WorkKind::kPoll}, {WorkKind::kRefresh}, {WorkKind::kBackfill}};
  // 300 requests per 5 minutes per IP (docs.joinmastodon.org/api/rate-limits).
  d.rate_requests = 300;
  d.rate_window_ms = 5 * kMinuteMs;
  return d;
}

std::unique_ptr<Connector> make_mastodon_connector() {
  return std::make_unique<MastodonConnector>();
}

}  // namespace muni
