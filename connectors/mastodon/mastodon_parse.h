// Mastodon client API responses -> normalized records. Pure functions over
// response text; no IO, no clock. Field meanings are those of the official
// entity docs (docs.joinmastodon.org/entities/Account, /Status, /Quote);
// fixtures and their sources are in tests/fixtures/mastodon/SOURCES.md.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/json.h"
#include "core/model.h"
#include "core/result.h"

namespace muni::mastodon {

struct AccountInfo {
  AccountSnapshot snapshot;  // platform_id = account id on its home instance
  std::string username;
  bool suspended = false;  // "suspended": true (3.3.0+), counts are then zero
  bool limited = false;    // "limited": true (3.5.3+), hidden by moderators
  // "moved": the account announced a move to another account.
  std::string moved_acct;
  std::string moved_url;
  std::string moved_username;
  std::string moved_uri;  // the target's ActivityPub actor id ("uri", 4.2+)
  std::string uri;        // this account's ActivityPub actor id, when sent
};

// The alsoKnownAs list of an ActivityPub actor document (what a moved-to
// account says it was). Mastodon requires it to name the old account before
// it accepts a Move (docs.joinmastodon.org/spec/activitypub, "Move").
Result<std::vector<std::string>> parse_actor_aliases(std::string_view body);

// Parses an Account entity (lookup or GET /api/v1/accounts/:id).
// Fails with kParse for invalid JSON or a body that is not an Account.
Result<AccountInfo> parse_account(std::string_view body);

// A page of statuses: what could be read, what could not, and the ids of
// the page's first and last elements as the server sent them (paging moves
// past a status that had to be skipped).
struct ParsedStatuses {
  std::vector<PostRecord> posts;
  std::vector<SkippedItem> skipped;
  std::string first_id;
  std::string last_id;
  bool empty() const { return posts.empty() && skipped.empty(); }
};

// Parses an array of Status entities. `own_account_id` is the polled
// account's id on its home instance (replies to it are self-thread replies).
// Fails only when the body is not a JSON array; a status without an id or a
// readable time is skipped and reported.
Result<ParsedStatuses> parse_statuses(std::string_view body, std::string_view own_account_id);
// One Status entity. created_at_evidence is the time in its Snowflake id; an
// unreadable created_at falls back to it (flagged kQualityDateCorrected).
Result<PostRecord> parse_status(const JsonValue& status, std::string_view own_account_id);

// Creation time encoded in a Mastodon status id: the id is a Snowflake-like
// integer whose upper 48 bits are milliseconds since the Unix epoch (id >> 16;
// Mastodon lib/mastodon/snowflake.rb). nullopt for non-numeric ids (Pleroma
// and Akkoma use FlakeIds) or implausible times (before 2016, or after
// `not_after` when given: a parent cannot be younger than its reply).
std::optional<TimeMs> snowflake_time(std::string_view id,
                                     std::optional<TimeMs> not_after = std::nullopt);

// What the instance says about one status, asked by id (GET
// /api/v1/statuses/:id), as evidence about a status a timeline left out:
//   kShown      200 with that very status of the account: it exists (the
//               post carries its current counts)
//   kNotFound   404 or 410 with the API's JSON error body ({"error":"Record
//               not found"}, or {"error":"Not Found"} on Mastodon 4.5): the
//               status is gone, or no longer public
//   kNoEvidence anything else (another status, another account's status, an
//               HTML 404 from a proxy, 401, 403, a body that is not JSON)
struct StatusCheck {
  enum class Verdict { kShown, kNotFound, kNoEvidence } verdict = Verdict::kNoEvidence;
  PostRecord post;     // kShown
  std::string detail;  // kNoEvidence: why the answer proves nothing
};
StatusCheck read_status_check(int http_status, std::string_view body, std::string_view id,
                              std::string_view own_account_id);

// The "error" text of an error body ({"error": "Record not found"}), or a
// short excerpt of the body when it is not one.
std::string error_text(std::string_view body);

// Base URL and local user name of a canonical handle (core/handles.h):
// "user@host" -> ("https://host", "user"); "http://h:p/@user" -> ("http://h:p", "user").
struct Home {
  std::string base_url;
  std::string username;
};
std::optional<Home> home_of(std::string_view canonical_handle);

}  // namespace muni::mastodon
