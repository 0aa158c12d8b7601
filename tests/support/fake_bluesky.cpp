#include "fake_bluesky.h"

#include <algorithm>

#include "core/json.h"
#include "core/strings.h"

namespace muni::test {

namespace {

HttpResponse json_reply(int status, std::string body) {
  HttpResponse r;
  r.status = status;
  r.body = std::move(body);
  r.headers.push_back({"Content-Type", "application/json; charset=utf-8"});
  return r;
}

std::string path_of(const std::string& url) {
  const size_t scheme = url.find("://");
  const size_t slash = url.find('/', scheme == std::string::npos ? 0 : scheme + 3);
  if (slash == std::string::npos) return "/";
  const std::string rest = url.substr(slash);
  return rest.substr(0, rest.find('?'));
}

}  // namespace

void FakeBluesky::rename(const std::string& did, const std::string& handle) {
  std::lock_guard<std::mutex> lock(mu_);
  by_did_.at(did).handle = handle;
}

void FakeBluesky::add_account(const std::string& did, const std::string& handle,
                              int64_t followers) {
  std::lock_guard<std::mutex> lock(mu_);
  Account& a = by_did_[did];
  a.did = did;
  a.handle = handle;
  a.followers = followers;
}

std::string FakeBluesky::add_post(const std::string& did, TimeMs created_at, PostKind kind,
                                  const std::string& other_did, int64_t likes) {
  std::lock_guard<std::mutex> lock(mu_);
  Account& a = by_did_.at(did);
  Entry e;
  ++seq_;
  const std::string rkey = "3lz" + std::to_string(100000 + seq_);
  e.kind = kind;
  e.created_at = created_at;
  e.sort_at = created_at;
  e.likes = likes;
  if (kind == PostKind::kRepost) {
    e.author = other_did;
    e.uri = "at://" + other_did + "/app.bsky.feed.post/" + rkey;
    e.repost_uri = "at://" + did + "/app.bsky.feed.repost/" + rkey;
    e.created_at = created_at - kHourMs;  // the original is older than the repost
  } else {
    e.author = did;
    e.uri = "at://" + did + "/app.bsky.feed.post/" + rkey;
    if (kind == PostKind::kReplyOther) {
      e.parent_author = other_did;
      e.parent_uri = "at://" + other_did + "/app.bsky.feed.post/q" + rkey;
      e.parent_created_at = created_at - 30 * kMinuteMs;
    } else if (kind == PostKind::kReplySelf) {
      for (auto it = a.feed.rbegin(); it != a.feed.rend(); ++it) {
        if (it->kind == PostKind::kOriginal) {
          e.parent_uri = it->uri;
          e.parent_author = did;
          e.parent_created_at = it->created_at;
          break;
        }
      }
    }
  }
  a.feed.push_back(e);
  std::sort(a.feed.begin(), a.feed.end(),
            [](const Entry& x, const Entry& y) { return x.sort_at > y.sort_at; });
  return e.uri;
}

void FakeBluesky::set_likes(const std::string& uri, int64_t likes) {
  std::lock_guard<std::mutex> lock(mu_);
  for (auto& [did, a] : by_did_) {
    for (Entry& e : a.feed) {
      if (e.uri == uri) e.likes = likes;
    }
  }
}

void FakeBluesky::remove_post(const std::string& uri) {
  std::lock_guard<std::mutex> lock(mu_);
  for (auto& [did, a] : by_did_) {
    a.feed.erase(
        std::remove_if(a.feed.begin(), a.feed.end(), [&](const Entry& e) { return e.uri == uri; }),
        a.feed.end());
  }
}

void FakeBluesky::hide_from_get_posts(const std::string& uri) {
  std::lock_guard<std::mutex> lock(mu_);
  hidden_.push_back(uri);
}

int64_t FakeBluesky::count(const std::string& did, std::optional<PostKind> kind) {
  std::lock_guard<std::mutex> lock(mu_);
  const auto& v = by_did_.at(did).feed;
  return std::count_if(v.begin(), v.end(),
                       [&](const Entry& e) { return !kind || e.kind == *kind; });
}

std::vector<std::string> FakeBluesky::ids(const std::string& did) {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<std::string> out;
  for (const Entry& e : by_did_.at(did).feed)
    out.push_back(e.kind == PostKind::kRepost ? e.repost_uri : e.uri);
  return out;
}

std::string FakeBluesky::post_view(const Entry& e) const {
  JsonWriter w;
  w.begin_object()
      .key("uri")
      .value(e.uri)
      .key("cid")
      .value("bafyrei" + e.uri.substr(e.uri.size() - 6))
      .key("author")
      .begin_object()
      .key("did")
      .value(e.author)
      .key("handle")
      .value(e.author.substr(8) + ".example")
      .end_object()
      .key("record")
      .begin_object()
      .key("$type")
      .value("app.bsky.feed.post")
      .key("createdAt")
      .value(format_iso8601(e.created_at))
      .key("langs")
      .begin_array()
      .value("de")
      .end_array()
      .key("text")
      .value("Beitrag " + e.uri.substr(e.uri.rfind('/') + 1));
  if (!e.parent_uri.empty()) {
    w.key("reply")
        .begin_object()
        .key("root")
        .begin_object()
        .key("uri")
        .value(e.parent_uri)
        .key("cid")
        .value("bafyreiparent")
        .end_object()
        .key("parent")
        .begin_object()
        .key("uri")
        .value(e.parent_uri)
        .key("cid")
        .value("bafyreiparent")
        .end_object()
        .end_object();
  }
  w.end_object()
      .key("replyCount")
      .value(int64_t{0})
      .key("repostCount")
      .value(int64_t{0})
      .key("likeCount")
      .value(e.likes)
      .key("quoteCount")
      .value(int64_t{0})
      .key("indexedAt")
      .value(format_iso8601(e.created_at))
      .key("labels")
      .begin_array()
      .end_array()
      .end_object();
  return w.str();
}

HttpResponse FakeBluesky::handle(const HttpRequest& request) {
  std::lock_guard<std::mutex> lock(mu_);
  const std::string path = path_of(request.url);
  const std::string not_found = "{\"error\":\"InvalidRequest\",\"message\":\"Profile not found\"}";
  auto find = [&](const std::string& actor) -> const Account* {
    for (const auto& [did, a] : by_did_) {
      if (a.did == actor || a.handle == actor) return &a;
    }
    return nullptr;
  };
  auto profile = [&](JsonWriter& w, const Account* a) {
    int64_t posts = 0;
    for (const Entry& e : a->feed) posts += e.kind != PostKind::kRepost;
    w.begin_object()
        .key("did")
        .value(a->did)
        .key("handle")
        .value(a->handle)
        .key("displayName")
        .value("Stadt")
        .key("followersCount")
        .value(a->followers)
        .key("followsCount")
        .value(int64_t{3})
        .key("postsCount")
        .value(posts)
        .key("createdAt")
        .value("2025-02-03T08:15:42.120Z")
        .key("indexedAt")
        .value("2025-02-03T08:15:42.120Z")
        .end_object();
  };
  if (path == "/xrpc/app.bsky.actor.getProfile") {
    const Account* a = find(url_query_param(request.url, "actor").value_or(""));
    if (a == nullptr) return json_reply(400, not_found);
    JsonWriter w;
    profile(w, a);
    return json_reply(200, w.str());
  }
  if (path == "/xrpc/app.bsky.actor.getProfiles") {
    // Every actors= value; unknown actors are left out of the answer.
    const size_t q = request.url.find('?');
    std::vector<std::string> actors;
    for (const std::string& pair :
         split(q == std::string::npos ? "" : request.url.substr(q + 1), '&')) {
      if (pair.rfind("actors=", 0) == 0) actors.push_back(url_decode(pair.substr(7)));
    }
    if (actors.empty() || actors.size() > 25)
      return json_reply(400, "{\"error\":\"InvalidRequest\",\"message\":\"actors: 1 to 25\"}");
    JsonWriter w;
    w.begin_object().key("profiles").begin_array();
    for (const std::string& actor : actors) {
      if (const Account* a = find(actor)) profile(w, a);
    }
    w.end_array().end_object();
    return json_reply(200, w.str());
  }
  if (path == "/xrpc/app.bsky.feed.getAuthorFeed") {
    const Account* a = find(url_query_param(request.url, "actor").value_or(""));
    if (a == nullptr) return json_reply(400, not_found);
    const int limit = static_cast<int>(std::clamp<int64_t>(
        parse_int64(url_query_param(request.url, "limit").value_or("50")).value_or(50), 1, 100));
    const auto cursor = url_query_param(request.url, "cursor");
    const TimeMs before = cursor ? parse_iso8601(*cursor).value_or(0) : INT64_MAX;
    std::vector<const Entry*> page;
    bool more = false;
    for (const Entry& e : a->feed) {  // newest first
      if (e.sort_at >= before) continue;
      if (static_cast<int>(page.size()) == limit) {
        more = true;
        break;
      }
      page.push_back(&e);
    }
    JsonWriter w;
    w.begin_object().key("feed").begin_array();
    for (const Entry* e : page) {
      w.begin_object().key("post").raw(post_view(*e));
      if (e->kind == PostKind::kRepost) {
        w.key("reason")
            .begin_object()
            .key("$type")
            .value("app.bsky.feed.defs#reasonRepost")
            .key("by")
            .begin_object()
            .key("did")
            .value(a->did)
            .key("handle")
            .value(a->handle)
            .end_object()
            .key("uri")
            .value(e->repost_uri)
            .key("indexedAt")
            .value(format_iso8601(e->sort_at))
            .end_object();
      } else if (!e->parent_uri.empty()) {
        auto parent = [&](JsonWriter& pw) {
          pw.begin_object()
              .key("$type")
              .value("app.bsky.feed.defs#postView")
              .key("uri")
              .value(e->parent_uri)
              .key("cid")
              .value("bafyreiparent")
              .key("author")
              .begin_object()
              .key("did")
              .value(e->parent_author)
              .key("handle")
              .value("someone.example")
              .end_object()
              .key("record")
              .begin_object()
              .key("$type")
              .value("app.bsky.feed.post")
              .key("createdAt")
              .value(format_iso8601(e->parent_created_at))
              .key("text")
              .value("Frage")
              .end_object()
              .key("indexedAt")
              .value(format_iso8601(e->parent_created_at))
              .end_object();
        };
        w.key("reply").begin_object().key("root");
        parent(w);
        w.key("parent");
        parent(w);
        w.end_object();
      }
      w.end_object();
    }
    w.end_array();
    if (more && !page.empty()) w.key("cursor").value(format_iso8601(page.back()->sort_at));
    w.end_object();
    HttpResponse r = json_reply(200, w.str());
    r.headers.push_back({"RateLimit-Limit", "3000"});
    r.headers.push_back({"RateLimit-Remaining", "2999"});
    r.headers.push_back({"RateLimit-Policy", "3000;w=300"});
    return r;
  }
  if (path == "/xrpc/app.bsky.feed.getPosts") {
    std::vector<std::string> uris;
    const std::string query = request.url.substr(request.url.find('?') + 1);
    for (const std::string& pair : split(query, '&')) {
      if (starts_with(pair, "uris=")) uris.push_back(*url_query_param("?" + pair, "uris"));
    }
    std::string body = "{\"posts\":[";
    bool first = true;
    for (const auto& [did, a] : by_did_) {
      for (const Entry& e : a.feed) {
        if (e.kind != PostKind::kRepost &&
            std::find(uris.begin(), uris.end(), e.uri) != uris.end() &&
            std::find(hidden_.begin(), hidden_.end(), e.uri) == hidden_.end()) {
          body += (first ? "" : ",") + post_view(e);
          first = false;
        }
      }
    }
    return json_reply(200, body + "]}");
  }
  if (path == "/xrpc/app.bsky.feed.getPostThread") {
    // depth=0&parentHeight=0: the post alone, as a threadViewPost; a post the
    // AppView does not have is a 400 NotFound (getPostThread.ts).
    const std::string uri = url_query_param(request.url, "uri").value_or("");
    for (const auto& [did, a] : by_did_) {
      for (const Entry& e : a.feed) {
        if (e.kind != PostKind::kRepost && e.uri == uri) {
          return json_reply(200,
                            "{\"thread\":{\"$type\":\"app.bsky.feed.defs#threadViewPost\","
                            "\"post\":" +
                                post_view(e) + ",\"replies\":[]}}");
        }
      }
    }
    JsonWriter w;
    w.begin_object().key("error").value("NotFound").key("message").value("Post not found: " + uri);
    w.end_object();
    return json_reply(400, w.str());
  }
  return json_reply(404,
                    "{\"error\":\"MethodNotImplemented\",\"message\":\"Method Not Implemented\"}");
}

}  // namespace muni::test
