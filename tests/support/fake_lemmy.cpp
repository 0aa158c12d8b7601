#include "fake_lemmy.h"

#include <algorithm>

#include "core/json.h"
#include "core/strings.h"
#include "core/time_util.h"

namespace muni::test {

namespace {

HttpResponse json(int status, std::string body) {
  HttpResponse r;
  r.status = status;
  r.body = std::move(body);
  // Lemmy (actix-web's json()) sends "application/json"; the charset here
  // keeps cpp-httplib from gzipping answers (it compresses that exact type
  // only), which in the fault matrix's oversized row would spend seconds
  // compressing 8 MiB of noise before the client could refuse it.
  r.headers.push_back({"Content-Type", "application/json; charset=utf-8"});
  return r;
}

HttpResponse error(int status, const std::string& type) {
  return json(status, "{\"error\":\"" + type + "\"}");
}

std::string path_of(const std::string& url) {
  const size_t scheme = url.find("://");
  const size_t slash = url.find('/', scheme == std::string::npos ? 0 : scheme + 3);
  std::string p = slash == std::string::npos ? "/" : url.substr(slash);
  return p.substr(0, p.find('?'));
}

// Lemmy writes times with microseconds and a Z (0.19).
std::string ts(TimeMs t) {
  std::string s = format_iso8601(t);  // ...SS.mmmZ or ...SSZ
  if (!s.empty() && s.back() == 'Z') s.pop_back();
  if (s.find('.') == std::string::npos) s += ".000";
  return s + "000Z";
}

}  // namespace

void FakeLemmy::set_base_url(std::string base) {
  std::lock_guard<std::mutex> lock(mu_);
  base_ = std::move(base);
  const size_t scheme = base_.find("://");
  host_ = scheme == std::string::npos ? base_ : base_.substr(scheme + 3);
}

void FakeLemmy::set_version(std::string version) {
  std::lock_guard<std::mutex> lock(mu_);
  version_ = std::move(version);
}

bool FakeLemmy::v1() const { return !starts_with(version_, "0."); }

void FakeLemmy::add_community(const std::string& name, int64_t subscribers) {
  std::lock_guard<std::mutex> lock(mu_);
  communities_[name] = Community{++seq_, name, subscribers};
}

std::string FakeLemmy::qualified(const std::string& creator) const {
  return creator.find('@') == std::string::npos ? creator + "@" + host_ : creator;
}

std::string FakeLemmy::add_post(const std::string& community, const std::string& creator, TimeMs at,
                                bool pinned) {
  std::lock_guard<std::mutex> lock(mu_);
  Post p;
  p.id = ++seq_;
  p.community = community;
  p.creator = qualified(creator);
  p.at = at;
  p.pinned = pinned;
  posts_[p.id] = p;
  return std::to_string(p.id);
}

void FakeLemmy::delete_post(const std::string& id) {
  std::lock_guard<std::mutex> lock(mu_);
  posts_.at(*parse_int64(id)).deleted = true;
}

void FakeLemmy::purge_post(const std::string& id) {
  std::lock_guard<std::mutex> lock(mu_);
  posts_.erase(*parse_int64(id));
}

std::string FakeLemmy::add_comment(const std::string& post_id, const std::string& creator,
                                   TimeMs at, const std::string& parent) {
  std::lock_guard<std::mutex> lock(mu_);
  Comment c;
  c.id = ++seq_;
  c.post = *parse_int64(post_id);
  c.creator = qualified(creator);
  c.at = at;
  std::string parent_path = "0";
  if (!parent.empty()) {
    for (const Comment& p : comments_) {
      if (std::to_string(p.id) == parent) parent_path = p.path;
    }
  }
  c.path = parent_path + "." + std::to_string(c.id);
  comments_.push_back(c);
  return std::to_string(c.id);
}

void FakeLemmy::delete_comment(const std::string& id) {
  std::lock_guard<std::mutex> lock(mu_);
  for (Comment& c : comments_) {
    if (std::to_string(c.id) == id) c.deleted = true;
  }
}

void FakeLemmy::remove_comment(const std::string& id) {
  std::lock_guard<std::mutex> lock(mu_);
  for (Comment& c : comments_) {
    if (std::to_string(c.id) == id) c.removed = true;
  }
}

void FakeLemmy::refuse_next(int n, bool as_429) {
  std::lock_guard<std::mutex> lock(mu_);
  refuse_ = n;
  refuse_429_ = as_429;
}

std::vector<const FakeLemmy::Post*> FakeLemmy::listing(const std::string& community) const {
  std::vector<const Post*> out;
  for (const auto& [id, p] : posts_) {
    if (p.community == community && !p.deleted) out.push_back(&p);
  }
  // Pinned first, then newest first (sort=New on a community's page).
  std::sort(out.begin(), out.end(), [](const Post* a, const Post* b) {
    if (a->pinned != b->pinned) return a->pinned;
    if (a->at != b->at) return a->at > b->at;
    return a->id > b->id;
  });
  return out;
}

std::vector<std::string> FakeLemmy::post_ids(const std::string& community) const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<std::string> out;
  for (const Post* p : listing(community)) out.push_back(std::to_string(p->id));
  return out;
}

std::vector<std::string> FakeLemmy::posts_by(const std::string& creator) const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<std::string> out;
  for (const auto& [id, p] : posts_) {
    if (p.creator == qualified(creator) && !p.deleted) out.push_back(std::to_string(id));
  }
  return out;
}

std::vector<std::string> FakeLemmy::comment_ids(const std::string& post_id) const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<std::string> out;
  for (const Comment& c : comments_) {
    if (std::to_string(c.post) == post_id && !c.deleted && !c.removed)
      out.push_back(std::to_string(c.id));
  }
  return out;
}

int64_t FakeLemmy::calls(const std::string& kind) const {
  std::lock_guard<std::mutex> lock(mu_);
  const auto it = calls_.find(kind);
  return it == calls_.end() ? 0 : it->second;
}

int64_t FakeLemmy::person_id(const std::string& key) const {
  auto it = person_ids_.find(key);
  if (it != person_ids_.end()) return it->second;
  const int64_t id = 10000 + static_cast<int64_t>(person_ids_.size());
  person_ids_[key] = id;
  return id;
}

int64_t FakeLemmy::comment_count(int64_t post) const {
  return std::count_if(comments_.begin(), comments_.end(), [&](const Comment& c) {
    return c.post == post && !c.deleted && !c.removed;
  });
}

std::string FakeLemmy::person_json(const std::string& key) const {
  const size_t at = key.find('@');
  const std::string name = key.substr(0, at);
  const std::string host = key.substr(at + 1);
  const bool local = host == host_;
  const std::string address = (local ? base_ : "https://" + host) + "/u/" + name;
  JsonWriter w;
  w.begin_object().key("id").value(person_id(key)).key("name").value(name);
  w.key("banned").value(false).key("deleted").value(false).key("local").value(local);
  w.key(v1() ? "ap_id" : "actor_id").value(address);
  w.key(v1() ? "published_at" : "published").value(ts(1600000000000));
  w.key("bot_account").value(false).key("instance_id").value(local ? 1 : 2);
  w.end_object();
  return w.str();
}

std::string FakeLemmy::community_json(const Community& c) const {
  JsonWriter w;
  w.begin_object().key("id").value(c.id).key("name").value(c.name);
  w.key("title").value("Forum " + c.name).key("removed").value(false).key("deleted").value(false);
  w.key(v1() ? "ap_id" : "actor_id").value(base_ + "/c/" + c.name);
  w.key(v1() ? "published_at" : "published").value(ts(1650000000000));
  w.key("local").value(true).key("nsfw").value(false).key("visibility").value("Public");
  if (v1()) {
    int64_t posts = 0;
    for (const auto& [id, p] : posts_) posts += p.community == c.name && !p.deleted;
    w.key("subscribers").value(c.subscribers).key("posts").value(posts);
  }
  w.end_object();
  return w.str();
}

std::string FakeLemmy::post_view(const Post& p) const {
  JsonWriter w;
  const int64_t comments = comment_count(p.id);
  const int64_t votes = 1 + p.id % 7;
  w.begin_object().key("post").begin_object();
  w.key("id").value(p.id).key("name").value("Beitrag " + std::to_string(p.id));
  w.key("body").value("Text von " + p.creator).key("creator_id").value(person_id(p.creator));
  w.key("community_id")
      .value(communities_.count(p.community) ? communities_.at(p.community).id : int64_t{0});
  w.key("removed").value(false).key("locked").value(false).key("deleted").value(p.deleted);
  w.key(v1() ? "published_at" : "published").value(ts(p.at));
  w.key("ap_id").value(base_ + "/post/" + std::to_string(p.id)).key("local").value(true);
  w.key("featured_community").value(p.pinned).key("featured_local").value(false);
  if (v1()) {
    w.key("comments").value(comments).key("score").value(votes);
    w.key("upvotes").value(votes).key("downvotes").value(int64_t{0});
  }
  w.end_object();
  w.key("creator").raw(person_json(p.creator));
  if (!v1()) {
    w.key("counts").begin_object().key("post_id").value(p.id).key("comments").value(comments);
    w.key("score").value(votes).key("upvotes").value(votes).key("downvotes").value(int64_t{0});
    w.end_object();
  }
  w.end_object();
  return w.str();
}

std::string FakeLemmy::comment_view(const Comment& c) const {
  JsonWriter w;
  const Post* post = posts_.count(c.post) ? &posts_.at(c.post) : nullptr;
  w.begin_object().key("comment").begin_object();
  w.key("id").value(c.id).key("creator_id").value(person_id(c.creator));
  w.key("post_id").value(c.post);
  // Deleted and removed comments keep their place, without their text.
  w.key("content").value(c.deleted || c.removed ? std::string() : "Kommentar von " + c.creator);
  w.key("removed").value(c.removed).key("deleted").value(c.deleted);
  w.key(v1() ? "published_at" : "published").value(ts(c.at));
  w.key("ap_id").value(base_ + "/comment/" + std::to_string(c.id)).key("local").value(true);
  w.key("path").value(c.path).key("distinguished").value(false);
  if (v1()) w.key("upvotes").value(int64_t{1}).key("score").value(int64_t{1});
  w.end_object();
  w.key("creator").raw(person_json(c.creator));
  if (post != nullptr) {
    w.key("post").begin_object().key("id").value(post->id);
    w.key("creator_id").value(person_id(post->creator));
    w.key(v1() ? "published_at" : "published").value(ts(post->at));
    w.end_object();
  }
  if (!v1()) {
    w.key("counts").begin_object().key("comment_id").value(c.id).key("upvotes").value(int64_t{1});
    w.key("score").value(int64_t{1}).key("downvotes").value(int64_t{0}).end_object();
  }
  w.end_object();
  return w.str();
}

HttpResponse FakeLemmy::handle(const HttpRequest& request) {
  std::lock_guard<std::mutex> lock(mu_);
  if (refuse_ > 0) {
    --refuse_;
    ++calls_["refused"];
    return refuse_429_ ? error(429, "too_many_requests") : error(400, "rate_limit_error");
  }
  const std::string path = path_of(request.url);
  const auto param = [&](const char* key) {
    return url_query_param(request.url, key).value_or("");
  };
  const int64_t limit = std::clamp<int64_t>(parse_int64(param("limit")).value_or(10), 1, 50);
  const int64_t page = std::max<int64_t>(1, parse_int64(param("page")).value_or(1));
  const std::string cursor = param("page_cursor");

  // A page of `ids` (already ordered): 0.19 by page number, 1.0 by cursor
  // ("c<id>" of the last item of the page before).
  const auto page_of = [&](const std::vector<int64_t>& ids, std::string* next) {
    size_t start = 0;
    if (v1()) {
      if (!cursor.empty()) {
        const auto after = parse_int64(cursor.substr(1));
        const auto it = std::find(ids.begin(), ids.end(), after.value_or(-1));
        start = it == ids.end() ? ids.size() : static_cast<size_t>(it - ids.begin()) + 1;
      }
    } else {
      start = static_cast<size_t>((page - 1) * limit);
    }
    std::vector<int64_t> out;
    for (size_t i = start; i < ids.size() && out.size() < static_cast<size_t>(limit); ++i)
      out.push_back(ids[i]);
    if (v1() && next != nullptr && start + out.size() < ids.size() && !out.empty())
      *next = "c" + std::to_string(out.back());
    return out;
  };

  if (path == "/api/v3/site") {
    ++calls_["site"];
    return json(200,
                "{\"site_view\":{\"site\":{\"id\":1,\"name\":\"Fake\"}},\"admins\":[],"
                "\"version\":\"" +
                    version_ + "\"}");
  }
  if (path == "/api/v3/community") {
    ++calls_["community"];
    const auto it = communities_.find(param("name"));
    if (it == communities_.end()) return error(400, "couldnt_find_community");
    JsonWriter w;
    w.begin_object().key("community_view").begin_object();
    w.key("community").raw(community_json(it->second));
    if (!v1()) {
      int64_t posts = 0;
      for (const auto& [id, p] : posts_) posts += p.community == it->first && !p.deleted;
      w.key("counts").begin_object().key("subscribers").value(it->second.subscribers);
      w.key("posts").value(posts).end_object();
    }
    w.end_object().key("moderators").begin_array().end_array().end_object();
    return json(200, w.str());
  }
  if (path == "/api/v3/post/list") {
    ++calls_["posts"];
    if (param("sort") != "New") return error(400, "sort_not_supported_by_this_fake");
    std::string community;
    for (const auto& [name, c] : communities_) {
      if (std::to_string(c.id) == param("community_id")) community = name;
    }
    if (community.empty()) return error(404, "not_found");
    std::vector<int64_t> ids;
    for (const Post* p : listing(community)) ids.push_back(p->id);
    std::string next;
    std::string out = "{\"posts\":[";
    bool first = true;
    for (const int64_t id : page_of(ids, &next)) {
      out += (first ? "" : ",") + post_view(posts_.at(id));
      first = false;
    }
    out += "]";
    if (!next.empty()) out += ",\"next_page\":\"" + next + "\"";
    return json(200, out + "}");
  }
  if (path == "/api/v3/post") {
    ++calls_["post"];
    const auto id = parse_int64(param("id"));
    if (!id || !posts_.count(*id)) return error(404, "not_found");
    return json(200, "{\"post_view\":" + post_view(posts_.at(*id)) + "}");
  }
  if (path == "/api/v3/comment/list") {
    ++calls_["comments"];
    if (param("sort") != "Old") return error(400, "sort_not_supported_by_this_fake");
    const auto post = parse_int64(param("post_id"));
    std::vector<int64_t> ids;
    std::map<int64_t, const Comment*> by_id;
    for (const Comment& c : comments_) {
      if (post && c.post == *post) {
        ids.push_back(c.id);
        by_id[c.id] = &c;
      }
    }
    std::sort(ids.begin(), ids.end(), [&](int64_t a, int64_t b) {
      return by_id[a]->at != by_id[b]->at ? by_id[a]->at < by_id[b]->at : a < b;
    });
    std::string next;
    std::string out = "{\"comments\":[";
    bool first = true;
    for (const int64_t id : page_of(ids, &next)) {
      out += (first ? "" : ",") + comment_view(*by_id[id]);
      first = false;
    }
    out += "]";
    if (!next.empty()) out += ",\"next_page\":\"" + next + "\"";
    return json(200, out + "}");
  }
  if (path == "/api/v3/user") {
    ++calls_["user"];
    const std::string key = qualified(to_lower_ascii(param("username")));
    bool known = false;
    std::vector<int64_t> post_ids;
    std::vector<int64_t> comment_ids;
    std::vector<const Post*> mine;
    for (const auto& [id, p] : posts_) {
      if (p.creator == key) {
        known = true;
        if (!p.deleted) mine.push_back(&p);
      }
    }
    std::sort(mine.begin(), mine.end(), [](const Post* a, const Post* b) { return a->at > b->at; });
    for (const Post* p : mine) post_ids.push_back(p->id);
    std::vector<const Comment*> said;
    for (const Comment& c : comments_) {
      if (c.creator == key) {
        known = true;
        if (!c.deleted && !c.removed) said.push_back(&c);
      }
    }
    std::sort(said.begin(), said.end(),
              [](const Comment* a, const Comment* b) { return a->at > b->at; });
    if (!known) return error(400, "couldnt_find_person");
    // Both lists by page number, as 0.19's GetPersonDetails.
    const auto slice = [&](size_t n) {
      const size_t start = static_cast<size_t>((page - 1) * limit);
      return std::make_pair(std::min(start, n), std::min(start + static_cast<size_t>(limit), n));
    };
    std::string out = "{\"person_view\":{\"person\":" + person_json(key);
    if (!v1()) {
      out += ",\"counts\":{\"post_count\":" + std::to_string(mine.size()) +
             ",\"comment_count\":" + std::to_string(said.size()) + "}";
    }
    out += "},\"posts\":[";
    auto [ps, pe] = slice(mine.size());
    for (size_t i = ps; i < pe; ++i) out += (i == ps ? "" : ",") + post_view(*mine[i]);
    out += "],\"comments\":[";
    auto [cs, ce] = slice(said.size());
    for (size_t i = cs; i < ce; ++i) out += (i == cs ? "" : ",") + comment_view(*said[i]);
    return json(200, out + "],\"moderates\":[]}");
  }
  return error(404, "not_found");
}

}  // namespace muni::test
