#include "toy_world.h"

#include "core/json.h"
#include "core/strings.h"
#include "test_connector.h"

namespace muni::test {

void ToyWorld::add_posts(const std::string& user, int n, int64_t first_at_ms) {
  std::lock_guard<std::mutex> lock(mu_);
  User& u = users_[user];
  int64_t next = u.posts.empty() ? 1 : u.posts.back().first + 1;
  for (int i = 0; i < n; ++i) u.posts.emplace_back(next + i, first_at_ms + i * 60000);
}

void ToyWorld::set_followers(const std::string& user, int64_t followers) {
  std::lock_guard<std::mutex> lock(mu_);
  users_[user].followers = followers;
}

void ToyWorld::set_report_counts(bool on) {
  std::lock_guard<std::mutex> lock(mu_);
  report_counts_ = on;
}

void ToyWorld::remove_user(const std::string& user) {
  std::lock_guard<std::mutex> lock(mu_);
  users_.erase(user);
}

void ToyWorld::script(const std::string& user, std::vector<ScriptedAnswer> answers) {
  std::lock_guard<std::mutex> lock(mu_);
  for (auto& a : answers) users_[user].script.push_back(std::move(a));
}

int64_t ToyWorld::post_count(const std::string& user) {
  std::lock_guard<std::mutex> lock(mu_);
  return static_cast<int64_t>(users_[user].posts.size());
}

std::vector<std::string> ToyWorld::post_ids(const std::string& user) {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<std::string> out;
  const auto it = users_.find(user);
  if (it == users_.end()) return out;
  for (const auto& [id, at] : it->second.posts) out.push_back(std::to_string(id));
  return out;
}

HttpResponse ToyWorld::handle(const HttpRequest& request) {
  std::lock_guard<std::mutex> lock(mu_);
  HttpResponse r;
  r.headers.push_back({"Content-Type", "application/json"});
  const size_t u = request.url.find("/u/");
  const size_t p = request.url.find("/posts");
  if (u == std::string::npos || p == std::string::npos) {
    r.status = 404;
    r.body = "{\"error\":\"no route\"}";
    return r;
  }
  const std::string name = request.url.substr(u + 3, p - u - 3);
  const auto it = users_.find(name);
  if (it == users_.end()) {
    r.status = 404;
    r.body = "{\"error\":\"no such user\"}";
    return r;
  }
  User& user = it->second;
  if (!user.script.empty()) {
    ScriptedAnswer a = user.script.front();
    user.script.pop_front();
    if (a.status != 200 || !a.body.empty()) {
      r.status = a.status;
      r.body = a.body;
      for (auto& h : a.headers) r.headers.push_back(h);
      return r;
    }
  }
  const auto since = url_query_param(request.url, "since");
  const auto before = url_query_param(request.url, "before");
  std::vector<std::pair<int64_t, int64_t>> page;
  bool more = false;
  if (since && *since == "0") {
    // The first page ever: the newest posts.
    const size_t n = user.posts.size();
    const size_t from = n > static_cast<size_t>(kTestPageSize) ? n - kTestPageSize : 0;
    page.assign(user.posts.begin() + static_cast<long>(from), user.posts.end());
  } else if (since) {
    const int64_t s = parse_int64(*since).value_or(0);
    for (const auto& post : user.posts) {
      if (post.first > s) {
        if (static_cast<int>(page.size()) == kTestPageSize) {
          more = true;
          break;
        }
        page.push_back(post);
      }
    }
  } else if (before) {
    const int64_t b = parse_int64(*before).value_or(0);
    std::vector<std::pair<int64_t, int64_t>> older;
    for (const auto& post : user.posts) {
      if (post.first < b) older.push_back(post);
    }
    const size_t from =
        older.size() > static_cast<size_t>(kTestPageSize) ? older.size() - kTestPageSize : 0;
    more = from > 0;
    page.assign(older.begin() + static_cast<long>(from), older.end());
  }
  JsonWriter w;
  w.begin_object().key("followers").value(user.followers);
  if (report_counts_) w.key("count").value(static_cast<int64_t>(user.posts.size()));
  w.key("posts").begin_array();
  for (auto i = page.rbegin(); i != page.rend(); ++i) {  // newest first
    w.begin_object()
        .key("id")
        .value(i->first)
        .key("t")
        .value(i->second)
        .key("likes")
        .value(i->first % 7)
        .end_object();
  }
  w.end_array().key("more").value(more).end_object();
  r.status = 200;
  r.body = w.str();
  return r;
}

}  // namespace muni::test
