#include "fake_peertube.h"

#include <algorithm>
#include <cstdio>

#include "connectors/peertube/peertube_parse.h"
#include "core/json.h"
#include "core/strings.h"
#include "core/time_util.h"

namespace muni::test {

namespace {

HttpResponse json(int status, std::string body) {
  HttpResponse r;
  r.status = status;
  r.body = std::move(body);
  r.headers.push_back({"Content-Type", "application/json; charset=utf-8"});
  return r;
}

// An RFC 7807 problem, as PeerTube answers errors (openapi "# Errors").
HttpResponse problem(int status, const std::string& title, const std::string& detail) {
  JsonWriter w;
  w.begin_object().key("detail").value(detail);
  w.key("docs").value("https://docs.joinpeertube.org/api-rest-reference.html");
  w.key("status").value(status).key("title").value(title).key("type").value("about:blank");
  w.end_object();
  HttpResponse r;
  r.status = status;
  r.body = w.str();
  r.headers.push_back({"Content-Type", "application/problem+json; charset=utf-8"});
  return r;
}

HttpResponse not_found(const std::string& detail) { return problem(404, "Not Found", detail); }

std::string path_and_query(const std::string& url) {
  const size_t scheme = url.find("://");
  const size_t slash = url.find('/', scheme == std::string::npos ? 0 : scheme + 3);
  return slash == std::string::npos ? "/" : url.substr(slash);
}

// A uuid made from a counter: 8-4-4-4-12 hex digits, as PeerTube's.
std::string uuid_of(uint64_t n) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%08llx-0000-4000-8000-%012llx",
                static_cast<unsigned long long>(n), static_cast<unsigned long long>(n * 7919));
  return buf;
}

}  // namespace

void FakePeerTube::set_base_url(std::string base) {
  std::lock_guard<std::mutex> lock(mu_);
  base_ = std::move(base);
  const size_t scheme = base_.find("://");
  host_ = scheme == std::string::npos ? base_ : base_.substr(scheme + 3);
}

void FakePeerTube::set_version(std::string version) {
  std::lock_guard<std::mutex> lock(mu_);
  version_ = std::move(version);
}

void FakePeerTube::add_account(const std::string& name, int64_t followers) {
  std::lock_guard<std::mutex> lock(mu_);
  accounts_[name] = Actor{name, name, followers, static_cast<int64_t>(++seq_)};
}

void FakePeerTube::add_channel(const std::string& name, const std::string& owner,
                               int64_t followers) {
  std::lock_guard<std::mutex> lock(mu_);
  channels_[name] = Actor{name, owner, followers, static_cast<int64_t>(++seq_)};
}

std::string FakePeerTube::add_video(const std::string& account, const std::string& channel,
                                    TimeMs published, int64_t views, int64_t likes) {
  std::lock_guard<std::mutex> lock(mu_);
  Video v;
  v.seq = ++seq_;
  v.id = static_cast<int64_t>(v.seq);
  v.uuid = uuid_of(v.seq);
  v.account = account;
  v.channel = channel.empty() ? account + "_channel" : channel;
  v.published = published;
  v.views = views;
  v.likes = likes;
  videos_[v.uuid] = v;
  return v.uuid;
}

void FakePeerTube::set_views(const std::string& uuid, int64_t views) {
  std::lock_guard<std::mutex> lock(mu_);
  videos_.at(uuid).views = views;
}

void FakePeerTube::remove_video(const std::string& uuid) {
  std::lock_guard<std::mutex> lock(mu_);
  videos_.erase(uuid);
}

void FakePeerTube::disable_comments(const std::string& uuid) {
  std::lock_guard<std::mutex> lock(mu_);
  videos_.at(uuid).comments_off = true;
}

std::string FakePeerTube::add_comment(const std::string& uuid, const std::string& author, TimeMs at,
                                      const std::string& parent) {
  std::lock_guard<std::mutex> lock(mu_);
  Comment c;
  c.id = std::to_string(1000 + ++seq_);
  c.video = uuid;
  c.author = author.find('@') == std::string::npos ? author + "@" + host_ : author;
  c.at = at;
  c.parent = parent;
  c.thread = c.id;
  if (!parent.empty()) {
    for (const Comment& p : comments_)
      if (p.id == parent) c.thread = p.thread;
  }
  comments_.push_back(c);
  return c.id;
}

void FakePeerTube::delete_comment(const std::string& id) {
  std::lock_guard<std::mutex> lock(mu_);
  for (Comment& c : comments_)
    if (c.id == id) c.deleted = true;
}

std::vector<const FakePeerTube::Video*> FakePeerTube::list(const std::string& actor,
                                                           bool channel) const {
  std::vector<const Video*> out;
  for (const auto& [uuid, v] : videos_) {
    if ((channel ? v.channel : v.account) == actor) out.push_back(&v);
  }
  std::sort(out.begin(), out.end(), [](const Video* a, const Video* b) {
    return a->published != b->published ? a->published > b->published : a->seq > b->seq;
  });
  return out;
}

std::vector<std::string> FakePeerTube::video_ids(const std::string& actor) const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<std::string> out;
  for (const Video* v : list(actor, channels_.count(actor) > 0)) out.push_back(v->uuid);
  return out;
}

std::vector<std::string> FakePeerTube::comment_ids(const std::string& uuid) const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<std::string> out;
  for (const Comment& c : comments_)
    if (c.video == uuid && !c.deleted) out.push_back(c.id);
  return out;
}

int64_t FakePeerTube::calls(const std::string& kind) const {
  std::lock_guard<std::mutex> lock(mu_);
  const auto it = calls_.find(kind);
  return it == calls_.end() ? 0 : it->second;
}

bool FakePeerTube::counts_comments() const {
  const auto n = peertube::version_number(version_);
  return n && *n >= peertube::kCommentsCountSince;
}

std::string FakePeerTube::actor_json(const Actor& a, bool channel) const {
  JsonWriter w;
  w.begin_object().key("id").value(a.id).key("name").value(a.name);
  w.key("displayName").value("Display " + a.name);
  w.key("url").value(base_ + (channel ? "/video-channels/" : "/accounts/") + a.name);
  w.key("host").value(host_).key("followingCount").value(int64_t{0});
  w.key("followersCount").value(a.followers);
  w.key("createdAt").value("2021-03-01T09:00:00.000Z").key("avatars").begin_array().end_array();
  if (channel) {
    w.key("ownerAccount").begin_object().key("id").value(int64_t{1}).key("name").value(a.owner);
    w.key("host").value(host_).key("url").value(base_ + "/accounts/" + a.owner).end_object();
  }
  w.end_object();
  return w.str();
}

std::string FakePeerTube::video_json(const Video& v, bool details) const {
  JsonWriter w;
  w.begin_object().key("id").value(v.id).key("uuid").value(v.uuid);
  w.key("url").value(base_ + "/videos/watch/" + v.uuid).key("name").value("Video " + v.uuid);
  w.key("language").begin_object().key("id").value("de").key("label").value("German").end_object();
  w.key("description").value("Beschreibung");
  w.key("isLocal").value(true).key("duration").value(int64_t{60});
  w.key("views").value(v.views).key("viewers").value(int64_t{0});
  w.key("likes").value(v.likes).key("dislikes").value(int64_t{0});
  if (counts_comments()) {
    int64_t n = 0;
    for (const Comment& c : comments_)
      if (c.video == v.uuid && !c.deleted) ++n;
    w.key("comments").value(n);
  }
  w.key("createdAt").value(format_iso8601(v.published - kHourMs));
  w.key("updatedAt").value(format_iso8601(v.published));
  w.key("publishedAt").value(format_iso8601(v.published));
  w.key("originallyPublishedAt").null().key("isLive").value(false);
  w.key("account")
      .begin_object()
      .key("name")
      .value(v.account)
      .key("host")
      .value(host_)
      .end_object();
  w.key("channel")
      .begin_object()
      .key("name")
      .value(v.channel)
      .key("host")
      .value(host_)
      .end_object();
  if (details) {
    w.key("commentsPolicy").begin_object().key("id").value(v.comments_off ? 2 : 1);
    w.key("label").value(v.comments_off ? "Disabled" : "Enabled").end_object();
  }
  w.end_object();
  return w.str();
}

int64_t FakePeerTube::descendants(const std::string& id) const {
  int64_t n = 0;
  for (const Comment& c : comments_)
    if (c.parent == id) n += 1 + descendants(c.id);
  return n;
}

std::string FakePeerTube::comment_json(const Comment& c) const {
  JsonWriter w;
  w.begin_object().key("id").value(*parse_int64(c.id));
  w.key("url").value(base_ + "/videos/watch/" + c.video + ";threadId=" + c.thread);
  w.key("text").value(c.deleted ? "" : "Kommentar " + c.id);
  w.key("threadId").value(*parse_int64(c.thread));
  if (c.parent.empty()) {
    w.key("inReplyToCommentId").null();
  } else {
    w.key("inReplyToCommentId").value(*parse_int64(c.parent));
  }
  w.key("createdAt").value(format_iso8601(c.at)).key("updatedAt").value(format_iso8601(c.at));
  if (c.deleted) {
    w.key("deletedAt").value(format_iso8601(c.at + kHourMs)).key("isDeleted").value(true);
    w.key("account").null();
  } else {
    w.key("deletedAt").null().key("isDeleted").value(false);
    const size_t at = c.author.find('@');
    w.key("account").begin_object().key("name").value(c.author.substr(0, at));
    w.key("host").value(c.author.substr(at + 1)).end_object();
  }
  w.key("totalReplies").value(descendants(c.id)).key("heldForReview").value(false);
  w.end_object();
  return w.str();
}

std::string FakePeerTube::tree_json(const Comment& c) const {
  std::string out = "{\"comment\":" + comment_json(c) + ",\"children\":[";
  bool first = true;
  for (const Comment& child : comments_) {
    if (child.parent != c.id) continue;
    out += (first ? "" : ",") + tree_json(child);
    first = false;
  }
  return out + "]}";
}

HttpResponse FakePeerTube::handle(const HttpRequest& request) {
  std::lock_guard<std::mutex> lock(mu_);
  const std::string pq = path_and_query(request.url);
  const std::string path = pq.substr(0, pq.find('?'));
  const auto param = [&](const char* key, int64_t fallback) {
    return parse_int64(url_query_param(request.url, key).value_or("")).value_or(fallback);
  };
  const auto parts = split(path, '/');  // "", "api", "v1", ...
  if (parts.size() < 4 || parts[1] != "api" || parts[2] != "v1") return not_found("Not found");
  const std::string& what = parts[3];
  if (what == "config" && parts.size() == 4) {
    ++calls_["config"];
    return json(200, "{\"serverVersion\":\"" + version_ + "\",\"instance\":{\"name\":\"Fake\"}}");
  }
  if ((what == "accounts" || what == "video-channels") && parts.size() >= 5) {
    const bool channel = what == "video-channels";
    const auto& actors = channel ? channels_ : accounts_;
    const auto it = actors.find(url_decode(parts[4]));
    if (parts.size() == 5) {
      ++calls_[channel ? "channel" : "account"];
      if (it == actors.end())
        return not_found(channel ? "Video channel not found" : "Account not found");
      return json(200, actor_json(it->second, channel));
    }
    if (parts.size() == 6 && parts[5] == "videos") {
      ++calls_["videos"];
      if (it == actors.end())
        return not_found(channel ? "Video channel not found" : "Account not found");
      const int64_t start = param("start", 0);
      const int64_t count = param("count", 15);
      if (start < 0 || count < 1 || count > 100)
        return problem(400, "Bad Request", "Incorrect request parameters: count");
      const auto all = list(it->first, channel);
      std::string out = "{\"total\":" + std::to_string(all.size()) + ",\"data\":[";
      for (int64_t i = start; i < start + count && i < static_cast<int64_t>(all.size()); ++i)
        out += (i == start ? "" : ",") + video_json(*all[static_cast<size_t>(i)], false);
      return json(200, out + "]}");
    }
    return not_found("Not found");
  }
  if (what == "videos" && parts.size() >= 5) {
    const auto it = videos_.find(url_decode(parts[4]));
    if (parts.size() == 5) {
      ++calls_["video"];
      if (it == videos_.end()) return not_found("Video not found");
      return json(200, video_json(it->second, true));
    }
    if (parts[5] != "comment-threads") return not_found("Not found");
    if (parts.size() == 6) {
      ++calls_["threads"];
      if (it == videos_.end()) return not_found("Video not found");
      if (it->second.comments_off)
        return json(200, "{\"total\":0,\"totalNotDeletedComments\":0,\"data\":[]}");
      std::vector<const Comment*> roots;
      for (const Comment& c : comments_) {
        if (c.video != it->first || !c.parent.empty()) continue;
        if (c.deleted && descendants(c.id) == 0) continue;  // a deleted thread without replies
        roots.push_back(&c);
      }
      std::sort(roots.begin(), roots.end(),
                [](const Comment* a, const Comment* b) { return a->at > b->at; });
      const int64_t start = param("start", 0);
      const int64_t count = param("count", 15);
      if (start < 0 || count < 1 || count > 100)
        return problem(400, "Bad Request", "Incorrect request parameters: count");
      std::string out = "{\"total\":" + std::to_string(roots.size()) +
                        ",\"totalNotDeletedComments\":0,\"data\":[";
      for (int64_t i = start; i < start + count && i < static_cast<int64_t>(roots.size()); ++i)
        out += (i == start ? "" : ",") + comment_json(*roots[static_cast<size_t>(i)]);
      return json(200, out + "]}");
    }
    if (parts.size() == 7) {
      ++calls_["tree"];
      if (it == videos_.end()) return not_found("Video not found");
      for (const Comment& c : comments_) {
        if (c.id == parts[6] && c.video == it->first && c.parent.empty())
          return json(200, tree_json(c));
      }
      return not_found("Thread not found");
    }
  }
  return not_found("Not found");
}

}  // namespace muni::test
