#include "fake_discourse.h"

#include <algorithm>

#include "core/json.h"
#include "core/strings.h"
#include "core/time_util.h"

namespace muni::test {

namespace {

constexpr int64_t kPerPage = 30;  // TopicQuery::DEFAULT_PER_PAGE_COUNT
constexpr size_t kChunk = 20;     // the topic view's chunk_size

HttpResponse json(int status, std::string body) {
  HttpResponse r;
  r.status = status;
  r.body = std::move(body);
  r.headers.push_back({"Content-Type", "application/json; charset=utf-8"});
  return r;
}

HttpResponse not_found() {
  return json(404,
              "{\"errors\":[\"The requested URL or resource could not be found.\"],"
              "\"error_type\":\"not_found\"}");
}

std::string path_of(const std::string& url) {
  const size_t scheme = url.find("://");
  const size_t slash = url.find('/', scheme == std::string::npos ? 0 : scheme + 3);
  std::string p = slash == std::string::npos ? "/" : url.substr(slash);
  return p.substr(0, p.find('?'));
}

// Every value of `key` in the query ("post_ids[]" arrives as post_ids%5B%5D).
std::vector<std::string> params(const std::string& url, const std::string& key) {
  std::vector<std::string> out;
  const size_t q = url.find('?');
  if (q == std::string::npos) return out;
  for (const std::string& part : split(url.substr(q + 1), '&')) {
    const size_t eq = part.find('=');
    if (eq == std::string::npos) continue;
    if (url_decode(part.substr(0, eq)) == key) out.push_back(url_decode(part.substr(eq + 1)));
  }
  return out;
}

int64_t num_param(const std::string& url, const std::string& key, int64_t fallback) {
  const auto v = params(url, key);
  if (v.empty()) return fallback;
  return parse_int64(v.front()).value_or(fallback);
}

}  // namespace

void FakeDiscourse::set_base_url(std::string base) {
  std::lock_guard<std::mutex> lock(mu_);
  base_ = std::move(base);
}

int64_t FakeDiscourse::add_topic(const std::string& title, const std::string& author, TimeMs at,
                                 int64_t category) {
  int64_t id = 0;
  {
    std::lock_guard<std::mutex> lock(mu_);
    id = ++next_topic_;
    Topic t;
    t.id = id;
    t.title = title;
    t.category = category;
    t.at = at;
    topics_[id] = t;
  }
  add_post(id, author, at);
  return id;
}

int64_t FakeDiscourse::add_post(int64_t topic, const std::string& author, TimeMs at,
                                int64_t reply_to, int post_type, bool hidden) {
  std::lock_guard<std::mutex> lock(mu_);
  Topic& t = topics_.at(topic);
  Post p;
  p.id = ++next_post_;
  p.topic = topic;
  p.number = static_cast<int64_t>(t.posts.size()) + 1;
  p.author = author;
  p.at = at;
  p.reply_to = reply_to;
  p.type = post_type;
  p.hidden = hidden;
  posts_[p.id] = p;
  t.posts.push_back(p.id);
  return p.id;
}

void FakeDiscourse::delete_topic(int64_t topic) {
  std::lock_guard<std::mutex> lock(mu_);
  topics_.at(topic).deleted = true;
}

void FakeDiscourse::delete_post(int64_t post) {
  std::lock_guard<std::mutex> lock(mu_);
  posts_.at(post).deleted = true;
}

void FakeDiscourse::set_site_staff(const std::string& username) {
  std::lock_guard<std::mutex> lock(mu_);
  site_staff_.insert(username);
}

void FakeDiscourse::add_group(const std::string& name, const std::vector<std::string>& members,
                              bool visible) {
  std::lock_guard<std::mutex> lock(mu_);
  groups_[name] = Group{members, visible};
}

void FakeDiscourse::throttle(int count, bool json_body, int retry_after_seconds) {
  std::lock_guard<std::mutex> lock(mu_);
  throttle_left_ = count;
  throttle_json_ = json_body;
  retry_after_ = retry_after_seconds;
}

std::vector<const FakeDiscourse::Topic*> FakeDiscourse::listed(int64_t category) const {
  std::vector<const Topic*> out;
  for (const auto& [id, t] : topics_) {
    if (!t.deleted && (category == 0 || t.category == category)) out.push_back(&t);
  }
  std::sort(out.begin(), out.end(), [](const Topic* a, const Topic* b) {
    return a->at != b->at ? a->at > b->at : a->id > b->id;
  });
  return out;
}

std::vector<std::string> FakeDiscourse::topic_ids(int64_t category) const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<std::string> out;
  for (const Topic* t : listed(category)) out.push_back(std::to_string(t->id));
  return out;
}

int64_t FakeDiscourse::calls(const std::string& kind) const {
  std::lock_guard<std::mutex> lock(mu_);
  const auto it = calls_.find(kind);
  return it == calls_.end() ? 0 : it->second;
}

// What an anonymous reader sees of a topic: no whispers, no deleted posts;
// hidden posts are listed, flagged hidden.
std::vector<const FakeDiscourse::Post*> FakeDiscourse::visible_posts(const Topic& t) const {
  std::vector<const Post*> out;
  for (const int64_t id : t.posts) {
    const Post& p = posts_.at(id);
    if (p.deleted || p.type == 4) continue;
    out.push_back(&p);
  }
  return out;
}

std::string FakeDiscourse::post_json(const Post& p) const {
  const bool staff = site_staff_.count(p.author) > 0;
  JsonWriter w;
  w.begin_object().key("id").value(p.id).key("name").value("").key("username").value(p.author);
  w.key("avatar_template").value("/letter_avatar_proxy/v4/letter/x/a9a28c/{size}.png");
  w.key("created_at").value(format_iso8601(p.at));
  w.key("cooked").value(p.hidden ? "" : "<p>Beitrag " + std::to_string(p.number) + "</p>");
  w.key("post_number").value(p.number).key("post_type").value(int64_t{p.type});
  w.key("updated_at").value(format_iso8601(p.at)).key("reply_count").value(int64_t{0});
  w.key("reply_to_post_number");
  if (p.reply_to > 0) {
    w.value(p.reply_to);
  } else {
    w.null();
  }
  w.key("reads").value(int64_t{3}).key("topic_id").value(p.topic);
  w.key("primary_group_name").null().key("actions_summary").begin_array().end_array();
  w.key("moderator").value(staff).key("admin").value(staff).key("staff").value(staff);
  w.key("hidden").value(p.hidden).key("deleted_at").null().key("user_deleted").value(false);
  w.end_object();
  return w.str();
}

std::string FakeDiscourse::topic_item_json(const Topic& t) const {
  const auto posts = visible_posts(t);
  JsonWriter w;
  w.begin_object().key("id").value(t.id).key("title").value(t.title);
  w.key("fancy_title").value(t.title).key("slug").value("thema-" + std::to_string(t.id));
  w.key("posts_count").value(static_cast<int64_t>(posts.size()));
  w.key("reply_count").value(int64_t{0});
  w.key("created_at").value(format_iso8601(t.at)).key("last_posted_at").value(format_iso8601(t.at));
  w.key("bumped").value(true).key("bumped_at").value(format_iso8601(t.at));
  w.key("archetype").value("regular").key("pinned").value(false).key("visible").value(true);
  w.key("views").value(int64_t{5 + t.id % 7}).key("like_count").value(int64_t{t.id % 3});
  w.key("category_id").value(t.category);
  w.end_object();
  return w.str();
}

HttpResponse FakeDiscourse::list(int64_t category, int64_t page) {
  ++calls_["list"];
  const auto all = listed(category);
  std::string topics;
  const size_t from = static_cast<size_t>(std::max<int64_t>(0, page) * kPerPage);
  for (size_t i = from; i < all.size() && i < from + kPerPage; ++i)
    topics += (topics.empty() ? "" : ",") + topic_item_json(*all[i]);
  std::string body =
      "{\"users\":[],\"primary_groups\":[],\"topic_list\":{\"can_create_topic\":"
      "false,\"per_page\":30,";
  if (from + kPerPage < all.size())
    body += "\"more_topics_url\":\"/latest?order=created&page=" + std::to_string(page + 1) + "\",";
  body += "\"topics\":[" + topics + "]}}";
  return json(200, body);
}

HttpResponse FakeDiscourse::topic(int64_t id) {
  ++calls_["topic"];
  const auto it = topics_.find(id);
  if (it == topics_.end() || it->second.deleted) return not_found();
  const Topic& t = it->second;
  const auto posts = visible_posts(t);
  std::string first, stream;
  for (size_t i = 0; i < posts.size(); ++i) {
    if (i < kChunk) first += (first.empty() ? "" : ",") + post_json(*posts[i]);
    stream += (stream.empty() ? "" : ",") + std::to_string(posts[i]->id);
  }
  std::string item = topic_item_json(t);
  item.pop_back();  // the topic's own fields, then its post stream
  return json(200, item + ",\"post_stream\":{\"posts\":[" + first + "],\"stream\":[" + stream +
                       "]},\"chunk_size\":20}");
}

HttpResponse FakeDiscourse::posts(int64_t topic_id, const std::vector<int64_t>& ids) {
  ++calls_["posts"];
  const auto it = topics_.find(topic_id);
  if (it == topics_.end() || it->second.deleted) return not_found();
  std::string out;
  for (const Post* p : visible_posts(it->second)) {
    if (std::find(ids.begin(), ids.end(), p->id) == ids.end()) continue;
    out += (out.empty() ? "" : ",") + post_json(*p);
  }
  return json(
      200, "{\"post_stream\":{\"posts\":[" + out + "]},\"id\":" + std::to_string(topic_id) + "}");
}

HttpResponse FakeDiscourse::group(const std::string& name, int64_t limit, int64_t offset) {
  ++calls_["group"];
  const auto it = groups_.find(name);
  if (it == groups_.end() || !it->second.visible) return not_found();
  const auto& m = it->second.members;
  std::string out;
  for (size_t i = static_cast<size_t>(std::max<int64_t>(0, offset));
       i < m.size() && i < static_cast<size_t>(offset + limit); ++i) {
    out += (out.empty() ? "" : ",") + std::string("{\"id\":") + std::to_string(i + 1) +
           ",\"username\":" + json_escape(m[i]) + "}";
  }
  return json(200, "{\"members\":[" + out + "],\"owners\":[],\"meta\":{\"total\":" +
                       std::to_string(m.size()) + ",\"limit\":" + std::to_string(limit) +
                       ",\"offset\":" + std::to_string(offset) + "}}");
}

HttpResponse FakeDiscourse::handle(const HttpRequest& request) {
  std::lock_guard<std::mutex> lock(mu_);
  if (throttle_left_ > 0) {
    --throttle_left_;
    ++calls_["throttled"];
    HttpResponse r;
    r.status = 429;
    r.headers.push_back({"Retry-After", std::to_string(retry_after_)});
    if (throttle_json_) {
      r.headers.push_back({"Content-Type", "application/json; charset=utf-8"});
      r.body = "{\"errors\":[\"You've performed this action too many times. Please wait " +
               std::to_string(retry_after_) +
               " seconds before trying again.\"],\"error_type\":\"rate_limit\",\"extras\":{"
               "\"wait_seconds\":" +
               std::to_string(retry_after_) + ",\"time_left\":\"" + std::to_string(retry_after_) +
               " seconds\"}}";
    } else {
      r.headers.push_back({"Content-Type", "text/plain"});
      r.headers.push_back({"Discourse-Rate-Limit-Error-Code", "ip_10_secs_limit"});
      r.body = "Slow down, too many requests from this IP address. Please retry again in " +
               std::to_string(retry_after_) + " seconds. Error code: ip_10_secs_limit.";
    }
    return r;
  }
  const std::string path = path_of(request.url);
  const std::vector<std::string> seg = [&] {
    std::vector<std::string> s;
    for (const std::string& p : split(path, '/'))
      if (!p.empty()) s.push_back(p);
    return s;
  }();
  const int64_t page = num_param(request.url, "page", 0);
  if (seg.size() == 1 && seg[0] == "latest.json") return list(0, page);
  if (seg.size() >= 3 && seg[0] == "c" && ends_with(seg.back(), ".json")) {
    const auto id = parse_int64(seg.back().substr(0, seg.back().size() - 5));
    return id ? list(*id, page) : not_found();
  }
  if (seg.size() == 2 && seg[0] == "t" && ends_with(seg[1], ".json")) {
    const auto id = parse_int64(seg[1].substr(0, seg[1].size() - 5));
    return id ? topic(*id) : not_found();
  }
  if (seg.size() == 3 && seg[0] == "t" && seg[2] == "posts.json") {
    const auto id = parse_int64(seg[1]);
    std::vector<int64_t> ids;
    for (const std::string& v : params(request.url, "post_ids[]"))
      if (auto n = parse_int64(v)) ids.push_back(*n);
    return id ? posts(*id, ids) : not_found();
  }
  if (seg.size() == 3 && seg[0] == "groups" && seg[2] == "members.json")
    return group(url_decode(seg[1]), num_param(request.url, "limit", 50),
                 num_param(request.url, "offset", 0));
  return not_found();
}

}  // namespace muni::test
