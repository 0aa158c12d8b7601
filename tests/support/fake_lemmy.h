// In-memory Lemmy instance for end-to-end tests, served over loopback HTTP.
// It answers in the shapes of the fixtures (tests/fixtures/lemmy, written
// from lemmy-js-client's release/v0.19 types) with the platform's rules:
// communities with their counts, persons, posts listed newest first with
// pinned posts on top (post/list, sort=New), a person's posts and comments
// (user?username=), a post's comments oldest first with `path`, deleted and
// removed comments kept with their content blanked, {"error": ...} bodies
// (400 couldnt_find_*, 404 not_found). Version "0.19.x" pages by `page`
// and writes 0.19's names (published, actor_id, counts); "1.0.x" writes
// 1.0's (published_at, ap_id, counts inside the objects) and pages only by
// page_cursor / next_page (a `page` parameter is ignored, as API v4 has
// none). Rate-limit refusals come in both shapes: 0.19's HTTP 400
// {"error":"rate_limit_error"} and a 429.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "core/model.h"
#include "engine/http.h"

namespace muni::test {

class FakeLemmy {
 public:
  explicit FakeLemmy(std::string base_url = "") { set_base_url(std::move(base_url)); }
  void set_base_url(std::string base);
  // "host:port": the host part of every local actor's address.
  const std::string& host() const { return host_; }

  void set_version(std::string version);  // "0.19.5" unless set
  void add_community(const std::string& name, int64_t subscribers);
  // A post in `community` by `creator` ("name" on this instance or
  // "name@host"); returns its id.
  std::string add_post(const std::string& community, const std::string& creator, TimeMs at,
                       bool pinned = false);
  // Deleted by its creator: no longer listed, post?id says deleted.
  void delete_post(const std::string& id);
  // Purged: gone without a trace (post?id answers not_found).
  void purge_post(const std::string& id);
  std::string add_comment(const std::string& post_id, const std::string& creator, TimeMs at,
                          const std::string& parent = "");
  void delete_comment(const std::string& id);  // by its creator
  void remove_comment(const std::string& id);  // by a moderator

  // The next `n` requests are refused for the rate limit: Lemmy 0.19's
  // 400 {"error":"rate_limit_error"} (`as_429` false) or a 429.
  void refuse_next(int n, bool as_429);

  // Ids of the listed (not deleted) posts of a community, and of a person's.
  std::vector<std::string> post_ids(const std::string& community) const;
  std::vector<std::string> posts_by(const std::string& creator) const;
  // Comment ids of a post that are neither deleted nor removed.
  std::vector<std::string> comment_ids(const std::string& post_id) const;
  // Requests of one kind: "site", "community", "posts", "post", "comments",
  // "user", "refused".
  int64_t calls(const std::string& kind) const;

  HttpResponse handle(const HttpRequest& request);

 private:
  struct Post {
    int64_t id = 0;
    std::string community;
    std::string creator;  // name@host
    TimeMs at = 0;
    bool pinned = false;
    bool deleted = false;
  };
  struct Comment {
    int64_t id = 0;
    int64_t post = 0;
    std::string creator;
    TimeMs at = 0;
    std::string path;
    bool deleted = false;
    bool removed = false;
  };
  struct Community {
    int64_t id = 0;
    std::string name;
    int64_t subscribers = 0;
  };
  bool v1() const;
  std::string qualified(const std::string& creator) const;
  int64_t person_id(const std::string& key) const;
  std::string person_json(const std::string& key) const;
  std::string community_json(const Community& c) const;
  std::string post_view(const Post& p) const;
  std::string comment_view(const Comment& c) const;
  std::vector<const Post*> listing(const std::string& community) const;
  int64_t comment_count(int64_t post) const;

  mutable std::mutex mu_;
  std::string base_;
  std::string host_;
  std::string version_ = "0.19.5";
  std::map<std::string, Community> communities_;
  std::map<int64_t, Post> posts_;
  std::vector<Comment> comments_;
  mutable std::map<std::string, int64_t> person_ids_;
  std::map<std::string, int64_t> calls_;
  int refuse_ = 0;
  bool refuse_429_ = false;
  int64_t seq_ = 100;
};

}  // namespace muni::test
