// An in-memory WordPress site for end-to-end tests, served over loopback
// HTTP. It answers in the shapes of tests/fixtures/wordpress (and the real
// samples those follow) with WordPress's rules:
//   /wp-json/wp/v2/posts      per_page (at most 100, default 10), page,
//                             orderby=date, order, after/before compared
//                             with the post's *local* date as core does,
//                             include; X-WP-Total and X-WP-TotalPages; a
//                             page past the last answers 400
//                             rest_post_invalid_page_number
//   /wp-json/wp/v2/posts/ID   the post, or 404 rest_post_invalid_id
//   /wp-json/wp/v2/comments   post (one or several ids), per_page, page,
//                             orderby=id, order; approved comments only
//   /?rest_route=/wp/v2/...   the same, for sites without pretty permalinks
//   /feed/                    RSS 2.0, the newest 10 posts, guid ?p=ID,
//                             slash:comments, ETag and 304
// The REST API can be switched off in the ways real sites do
// (set_rest): a login required (401 rest_not_logged_in), the routes
// removed (404 rest_no_route), the home page instead of JSON (200 HTML).
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "core/time_util.h"
#include "engine/http.h"

namespace muni::test {

class FakeWordPress {
 public:
  enum class Rest { kOn, kLoginRequired, kNoRoute, kHtml };

  // The site's local time is UTC + `offset` (Europe/Berlin in winter: 1 h).
  explicit FakeWordPress(DurationMs offset = kHourMs) : offset_(offset) {}

  // The site's address (the loopback server's base URL): links and guids.
  void set_site(std::string url);
  // Returns the new post's id.
  int add_post(TimeMs published, int author, bool comments_open = true);
  void remove_post(int id);
  // A comment by user `author` (0 for a guest called `name`), answering
  // `parent` (0: top-level); returns its id.
  int add_comment(int post, TimeMs at, int author, const std::string& name, int parent = 0);
  void set_rest(Rest rest);
  void set_pretty_permalinks(bool pretty);
  // Requests of one kind ("posts": listings, "status": posts by include=,
  // "comments", "feed", "other"), and "not_modified": the feed's 304s.
  int64_t requests(const std::string& kind) const;
  std::vector<std::string> post_ids() const;  // every published post, as strings

  HttpResponse handle(const HttpRequest& request);

 private:
  struct Post {
    int id = 0;
    TimeMs published = 0;
    int author = 0;
    bool comments_open = true;
  };
  struct Comment {
    int id = 0;
    int post = 0;
    int parent = 0;
    int author = 0;
    std::string name;
    TimeMs at = 0;
  };
  HttpResponse posts(const HttpRequest& request);
  HttpResponse single_post(const std::string& id);
  HttpResponse comments(const HttpRequest& request);
  HttpResponse feed(const HttpRequest& request);
  std::string param(const HttpRequest& request, const std::string& name) const;

  mutable std::mutex mu_;
  DurationMs offset_;
  std::string site_;
  std::vector<Post> posts_;  // in the order added
  std::vector<Comment> comments_;
  Rest rest_ = Rest::kOn;
  bool pretty_ = true;
  int next_id_ = 100;
  uint64_t version_ = 1;
  std::map<std::string, int64_t> requests_;
};

}  // namespace muni::test
