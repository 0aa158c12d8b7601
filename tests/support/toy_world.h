// The toy platform behind the test connector (test_connector.h), as an
// in-memory world that can be served by the simulated transport or by a
// loopback HTTP server. Per user it keeps posts and followers and can be told
// to answer the next requests with scripted failures.
#pragma once

#include <deque>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "engine/http.h"

namespace muni::test {

struct ScriptedAnswer {
  int status = 200;
  std::string body;  // replaces the normal body when not empty
  std::vector<HttpHeader> headers;
};

class ToyWorld {
 public:
  // Adds posts with ids next..next+n-1 at one-minute steps from `first_at`.
  void add_posts(const std::string& user, int n, int64_t first_at_ms);
  void set_followers(const std::string& user, int64_t followers);
  void remove_user(const std::string& user);
  // From now on every answer also says how many posts the user has
  // ("count"), as a profile's statuses_count does; off by default, so the
  // account samples of other tests stay as they were.
  void set_report_counts(bool on);
  // The next answers for this user are these, then normal service resumes.
  void script(const std::string& user, std::vector<ScriptedAnswer> answers);
  // Answers a toy API request (path /u/{user}/posts?since=N or ?before=N).
  HttpResponse handle(const HttpRequest& request);
  int64_t post_count(const std::string& user);
  // The user's post ids as muniscope stores them, ascending.
  std::vector<std::string> post_ids(const std::string& user);

 private:
  struct User {
    int64_t followers = 100;
    std::vector<std::pair<int64_t, int64_t>> posts;  // (id, created ms), ascending ids
    std::deque<ScriptedAnswer> script;
  };
  std::mutex mu_;
  std::map<std::string, User> users_;
  bool report_counts_ = false;
};

}  // namespace muni::test
