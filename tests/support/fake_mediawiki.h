// In-memory MediaWiki wikis for end-to-end tests, served over loopback HTTP.
// Each wiki lives under its own script path (/<name>/api.php) and answers the
// Action API queries muniscope sends, in the shapes of the fixtures
// (tests/fixtures/mediawiki, written from the mediawiki.org documentation):
// meta=siteinfo (general, statistics) with list=allrevisions / logevents,
// list=users, list=recentchanges and list=usercontribs with rcdir/ucdir,
// rcstart/ucstart, limits and continue values ("<YYYYMMDDHHMMSS>|<id>"),
// formatversion=2. Recent changes keep only the last `rc_max_age` (the
// wiki's $wgRCMaxAge, 90 days by default), as a real wiki does; user
// contributions reach back to the first edit. set_lag() makes the next
// requests answer the maxlag error with Retry-After, as a lagged wiki does.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "core/time_util.h"
#include "engine/http.h"

namespace muni::test {

class FakeMediaWiki {
 public:
  // A wiki at /<name>/ whose recent changes reach back `rc_max_age`
  // (from the real clock).
  void add_wiki(const std::string& name, const std::string& sitename,
                DurationMs rc_max_age = 90 * kDayMs);
  void add_user(const std::string& wiki, const std::string& user, TimeMs registration,
                bool bot = false);
  // An edit of `title` by `user` (a page creation when the page is new);
  // returns its revision id. Times are cut to whole seconds, as MediaWiki's.
  int64_t edit(const std::string& wiki, const std::string& title, const std::string& user,
               TimeMs at, int64_t new_size, const std::string& comment = "");
  // Entries per answer at most (a real wiki gives 500; a small page size
  // makes tests page).
  void set_page_size(int n);
  // The next `requests` API requests are refused with the maxlag error
  // (HTTP 200, Retry-After: retry_after_s).
  void set_lag(int requests, int retry_after_s);

  // Revision ids of the wiki (all, or one user's; bots included or not).
  std::vector<std::string> revisions(const std::string& wiki, bool bots) const;
  // Human (not bot) revisions still in recent changes (newer than rc_max_age).
  std::vector<std::string> recent_revisions(const std::string& wiki) const;
  std::vector<std::string> contributions(const std::string& wiki, const std::string& user) const;
  int64_t bot_edits(const std::string& wiki) const;
  int64_t requests() const;
  int64_t calls(const std::string& list) const;  // "recentchanges", "usercontribs", "siteinfo"
  int64_t lag_refusals() const;
  int64_t without_maxlag() const;  // requests that did not send maxlag

  HttpResponse handle(const HttpRequest& request);

 private:
  struct Revision {
    int64_t revid = 0;
    int64_t rcid = 0;
    std::string title;
    std::string user;
    TimeMs at = 0;
    int64_t old_size = 0;
    int64_t new_size = 0;
    bool created = false;
    bool bot = false;
    std::string comment;
  };
  struct User {
    int64_t id = 0;
    std::string name;
    TimeMs registration = 0;
    bool bot = false;
  };
  struct Wiki {
    std::string name;
    std::string sitename;
    DurationMs rc_max_age = 0;
    std::map<std::string, User> users;
    std::vector<Revision> revisions;  // ascending (at, revid)
    std::map<std::string, int64_t> page_sizes;
  };
  HttpResponse query(const Wiki& w, const HttpRequest& request);

  mutable std::mutex mu_;
  std::map<std::string, Wiki> wikis_;
  int page_size_ = 500;
  int lag_requests_ = 0;
  int retry_after_s_ = 5;
  int64_t next_id_ = 100;
  int64_t requests_ = 0;
  int64_t lag_refusals_ = 0;
  int64_t without_maxlag_ = 0;
  std::map<std::string, int64_t> calls_;
};

}  // namespace muni::test
