// In-memory Discourse forum for end-to-end tests and the fault matrix,
// served over loopback HTTP. It answers in the shapes of the fixtures
// (tests/fixtures/discourse, after the recorded samples of the API docs)
// with the platform's rules: topic lists newest first by creation with
// `page` as an offset of per_page (30) and more_topics_url while more
// follow, /c/{slug}/{id}.json for a category, /t/{id}.json with the first
// 20 posts and the whole stream, /t/{id}/posts.json?post_ids[]= for the
// rest, group members with visibility, whispers that anonymous readers
// never see, hidden posts shown flagged, deleted topics and posts gone
// (404 not_found), and both 429 shapes on request: the per-IP limiter's
// plain text and the application's JSON with extras.wait_seconds, each
// with Retry-After.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "core/model.h"
#include "engine/http.h"

namespace muni::test {

class FakeDiscourse {
 public:
  void set_base_url(std::string base);
  // A topic opened by `author` (its first post at `at`) in `category`
  // (0: uncategorized); returns its id.
  int64_t add_topic(const std::string& title, const std::string& author, TimeMs at,
                    int64_t category = 0);
  // A post in the topic; `reply_to` a post_number (0: none). Returns the
  // post's id. `post_type` 4 is a whisper.
  int64_t add_post(int64_t topic, const std::string& author, TimeMs at, int64_t reply_to = 0,
                   int post_type = 1, bool hidden = false);
  void delete_topic(int64_t topic);
  void delete_post(int64_t post);
  // Discourse's own flags on every post of `username` (admin, moderator).
  void set_site_staff(const std::string& username);
  void add_group(const std::string& name, const std::vector<std::string>& members,
                 bool visible = true);
  // The next `count` requests are refused with 429: the per-IP limiter's
  // text/plain answer, or the application's JSON (both with Retry-After).
  void throttle(int count, bool json, int retry_after_seconds = 1);

  // Ids of the topics anonymous readers see (of a category; 0: all).
  std::vector<std::string> topic_ids(int64_t category = 0) const;
  // Requests of one kind: "list", "topic", "posts", "group", "throttled".
  int64_t calls(const std::string& kind) const;

  HttpResponse handle(const HttpRequest& request);

 private:
  struct Post {
    int64_t id = 0;
    int64_t topic = 0;
    int64_t number = 0;
    std::string author;
    TimeMs at = 0;
    int64_t reply_to = 0;
    int type = 1;
    bool hidden = false;
    bool deleted = false;
  };
  struct Topic {
    int64_t id = 0;
    std::string title;
    int64_t category = 0;
    TimeMs at = 0;
    bool deleted = false;
    std::vector<int64_t> posts;  // ids in post_number order
  };
  std::vector<const Topic*> listed(int64_t category) const;
  std::vector<const Post*> visible_posts(const Topic& t) const;
  std::string post_json(const Post& p) const;
  std::string topic_item_json(const Topic& t) const;
  HttpResponse list(int64_t category, int64_t page);
  HttpResponse topic(int64_t id);
  HttpResponse posts(int64_t topic, const std::vector<int64_t>& ids);
  HttpResponse group(const std::string& name, int64_t limit, int64_t offset);

  mutable std::mutex mu_;
  std::string base_;
  std::map<int64_t, Topic> topics_;
  std::map<int64_t, Post> posts_;
  std::set<std::string> site_staff_;
  struct Group {
    std::vector<std::string> members;
    bool visible = true;
  };
  std::map<std::string, Group> groups_;
  int throttle_left_ = 0;
  bool throttle_json_ = false;
  int retry_after_ = 1;
  std::map<std::string, int64_t> calls_;
  int64_t next_topic_ = 100;
  int64_t next_post_ = 1000;
};

}  // namespace muni::test
