// MediaWiki Action API answers (api.php, format=json, formatversion=2) ->
// normalized records. Pure functions over response text. Field meanings
// follow the official documentation on mediawiki.org (API:Siteinfo,
// API:RecentChanges, API:Usercontribs, API:Users, API:Allrevisions,
// API:Logevents, API:Continue, API:Errors and warnings, Manual:Maxlag
// parameter); fixtures and their sources are in
// tests/fixtures/mediawiki/SOURCES.md.
//
// An edit becomes a PostRecord:
//   platform_post_id  the revision id (revid): unique per wiki, the same in
//                     recentchanges and usercontribs
//   item_type         kItemWikiPageCreated for a page creation (recentchanges
//                     type "new", usercontribs "new": true), else kItemWikiEdit
//   title             the page title ("Rathaus", "Diskussion:Rathaus")
//   created_at        the revision's timestamp
//   url               <script path>index.php?diff=REVID (oldid= for a creation)
//   text              "<size change> bytes by <user>[: <edit summary>]", e.g.
//                     "+512 bytes by Stadtverwaltung: Öffnungszeiten ergänzt";
//                     "? bytes" when the size change is unknown, "(hidden
//                     user)" when the user was revision-deleted. The store has
//                     no column for either (docs/platforms.md, MediaWiki).
// Bot edits (recentchanges flag "bot") are never records: they are counted
// (Changes::bot_edits) so that they can be shown on their own.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/model.h"
#include "core/result.h"

namespace muni::mediawiki {

// The API's error object ({"error": {"code", "info", "lag"}}), if the
// answer is one. MediaWiki sends most errors with HTTP 200.
struct ApiError {
  std::string code;  // "maxlag", "readapidenied", "ratelimited", ...
  std::string info;
  std::optional<double> lag;  // seconds, for maxlag
};
std::optional<ApiError> parse_error(std::string_view body);

// The "continue" object of a list answer, as the query-string fragment to
// send back ("&rccontinue=...&continue=-%7C%7C"), or "" at the end of the
// list. Only keys that name a continuation ("continue", "...continue") of
// letters are taken: a hostile answer cannot add other parameters.
std::string continue_query(const std::map<std::string, std::string>& values);

struct SiteInfo {
  // platform_id = general.wikiid; display_name = sitename; profile_url =
  // general.base (the main page); posts = statistics.edits; counters pages,
  // articles, images, users, activeusers (users who acted in the last
  // $wgActiveUserDays days, 30 by default); created_at = the wiki's start
  // (below).
  AccountSnapshot snapshot;
  std::string generator;  // "MediaWiki 1.39.3"
  // The earliest of the first revision (list=allrevisions, arvdir=newer)
  // and the first user creation (list=logevents, letype=newusers): siteinfo
  // itself does not say when a wiki started. nullopt when neither answered
  // (allrevisions needs MediaWiki 1.27).
  std::optional<TimeMs> first_edit;
  std::optional<TimeMs> first_user;
};
// meta=siteinfo&siprop=general|statistics, with the two lists above in the
// same query. Malformed: not JSON, or no query.general.
Result<SiteInfo> parse_siteinfo(std::string_view body);

struct UserInfo {
  bool missing = false;  // no such user on this wiki
  bool invalid = false;  // not a valid user name
  // platform_id = userid; handle = name; posts = editcount; created_at =
  // registration (null for accounts older than 2005); display_name =
  // sitename of the wiki's general info when asked along.
  AccountSnapshot snapshot;
  std::vector<std::string> groups;
  bool bot = false;  // in the "bot" group
};
// list=users&usprop=editcount|registration|groups (with meta=siteinfo
// &siprop=general for the wiki's name). Malformed: no query.users[0].
Result<UserInfo> parse_user(std::string_view body);

struct Change {
  std::string key;  // the revision id
  TimeMs at = 0;
  int64_t order = 0;  // rcid (recentchanges) or revid (usercontribs): ties at one second
  bool bot = false;   // recentchanges flag "bot": counted, never a record
};

// One page of list=recentchanges or list=usercontribs.
struct Changes {
  std::vector<PostRecord> posts;
  std::vector<SkippedItem> skipped;
  int64_t bot_edits = 0;       // recentchanges entries flagged bot (not in posts)
  std::vector<Change> seen;    // every readable entry, bots included, in answer order
  std::string continue_query;  // "" at the end of the list
};

enum class ListKind { kRecentChanges, kUserContribs };

// `script_url` is the wiki's script path ("https://host/w/"), for item URLs.
// Entries without a revision id or a readable timestamp are skipped and
// reported; entries of other types (log, categorize, external) are left out.
Result<Changes> parse_changes(std::string_view body, ListKind kind, const std::string& script_url);

// "+512", "-40", "0", or "?" for unknown.
std::string size_change_text(std::optional<int64_t> delta);

}  // namespace muni::mediawiki
