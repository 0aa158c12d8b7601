#include "fake_youtube.h"

#include <algorithm>

#include "core/json.h"
#include "core/strings.h"
#include "core/time_util.h"

namespace muni::test {

namespace {

HttpResponse reply(int status, std::string body, const char* type) {
  HttpResponse r;
  r.status = status;
  r.body = std::move(body);
  r.headers.push_back({"Content-Type", type});
  return r;
}

HttpResponse json(int status, std::string body) {
  return reply(status, std::move(body), "application/json; charset=UTF-8");
}

std::string path_and_query(const std::string& url) {
  const size_t scheme = url.find("://");
  const size_t slash = url.find('/', scheme == std::string::npos ? 0 : scheme + 3);
  return slash == std::string::npos ? "/" : url.substr(slash);
}

std::string path_of(const std::string& url) {
  const std::string rest = path_and_query(url);
  return rest.substr(0, rest.find('?'));
}

// The Data API's error envelope (tests/fixtures/youtube/error_*.json).
HttpResponse api_error(int code, const std::string& domain, const std::string& reason,
                       const std::string& message) {
  JsonWriter w;
  w.begin_object().key("error").begin_object().key("code").value(code);
  w.key("message").value(message).key("errors").begin_array().begin_object();
  w.key("message").value(message).key("domain").value(domain).key("reason").value(reason);
  w.end_object().end_array().end_object().end_object();
  return json(code, w.str());
}

int64_t offset_of(const std::optional<std::string>& token) {
  // Page tokens are opaque to clients; the fake's are "CAE" + an offset.
  if (!token || token->size() < 4 || token->compare(0, 3, "CAE") != 0) return 0;
  return parse_int64(token->substr(3)).value_or(-1);
}

}  // namespace

void FakeYouTube::add_channel(const std::string& id, const std::string& handle,
                              int64_t subscribers) {
  std::lock_guard<std::mutex> lock(mu_);
  channels_[id] = Channel{id, handle, subscribers};
}

std::string FakeYouTube::add_video(const std::string& channel, TimeMs published, int64_t views,
                                   bool upcoming) {
  std::lock_guard<std::mutex> lock(mu_);
  std::string id = "v" + std::to_string(++seq_);
  id.insert(1, 11 - id.size(), '0');  // 11 characters, as YouTube's
  videos_[id] = Video{id, channel, published, views, upcoming, false};
  return id;
}

void FakeYouTube::set_views(const std::string& video, int64_t views) {
  std::lock_guard<std::mutex> lock(mu_);
  videos_.at(video).views = views;
}

void FakeYouTube::remove_video(const std::string& video) {
  std::lock_guard<std::mutex> lock(mu_);
  videos_.erase(video);
}

void FakeYouTube::disable_comments(const std::string& video) {
  std::lock_guard<std::mutex> lock(mu_);
  videos_.at(video).comments_off = true;
}

std::string FakeYouTube::add_comment(const std::string& video, const std::string& author, TimeMs at,
                                     const std::string& parent) {
  std::lock_guard<std::mutex> lock(mu_);
  const std::string serial = std::to_string(++seq_);
  const std::string id = parent.empty() ? "Ugz" + serial + "AaABAg" : parent + ".9r" + serial;
  comments_.push_back(Comment{id, video, author, at, parent});
  return id;
}

void FakeYouTube::set_quota(int64_t units) {
  std::lock_guard<std::mutex> lock(mu_);
  quota_ = units;
}

int64_t FakeYouTube::api_calls() const {
  std::lock_guard<std::mutex> lock(mu_);
  return api_calls_;
}

int64_t FakeYouTube::calls(const std::string& method) const {
  std::lock_guard<std::mutex> lock(mu_);
  const auto it = calls_.find(method);
  return it == calls_.end() ? 0 : it->second;
}

void FakeYouTube::set_tamper(Tamper tamper) {
  std::lock_guard<std::mutex> lock(mu_);
  tamper_ = std::move(tamper);
}

int64_t FakeYouTube::feed_calls() const {
  std::lock_guard<std::mutex> lock(mu_);
  return feed_calls_;
}

int64_t FakeYouTube::rejected_keys() const {
  std::lock_guard<std::mutex> lock(mu_);
  return rejected_keys_;
}

std::vector<const FakeYouTube::Video*> FakeYouTube::uploads(const std::string& channel) const {
  std::vector<const Video*> out;
  for (const auto& [id, v] : videos_) {
    if (v.channel == channel) out.push_back(&v);
  }
  std::sort(out.begin(), out.end(), [](const Video* a, const Video* b) {
    return a->published != b->published ? a->published > b->published : a->id > b->id;
  });
  return out;
}

HttpResponse FakeYouTube::handle(const HttpRequest& request) {
  std::lock_guard<std::mutex> lock(mu_);
  const std::string path = path_of(request.url);
  if (path == "/feeds/videos.xml") return feed(request);
  const std::string prefix = "/youtube/v3/";
  if (path.rfind(prefix, 0) != 0) return reply(404, "<html>Not Found</html>", "text/html");
  ++api_calls_;
  const std::string method = path.substr(prefix.size());
  ++calls_[method];
  // Every call costs a unit, even a rejected one (determine_quota_cost).
  if (quota_ <= 0) {
    return api_error(403, "youtube.quota", "quotaExceeded",
                     "The request cannot be completed because you have exceeded your <a "
                     "href=\"/youtube/v3/getting-started#quota\">quota</a>.");
  }
  --quota_;
  if (url_query_param(request.url, "key").value_or("") != key_) {
    ++rejected_keys_;
    return api_error(400, "global", "badRequest",
                     "API key not valid. Please pass a valid API key.");
  }
  if (tamper_) {
    return tamper_(method, request, [&](const HttpRequest& r) { return api(method, r); });
  }
  return api(method, request);
}

HttpResponse FakeYouTube::api(const std::string& method, const HttpRequest& request) {
  const auto param = [&](const char* name) { return url_query_param(request.url, name); };
  const int64_t max_results =
      std::clamp<int64_t>(parse_int64(param("maxResults").value_or("5")).value_or(5), 0, 50);
  JsonWriter w;
  if (method == "channels") {
    std::vector<const Channel*> found;
    if (const auto handle = param("forHandle")) {
      for (const auto& [id, c] : channels_) {
        if (to_lower_ascii(c.handle) == to_lower_ascii(*handle)) found.push_back(&c);
      }
    } else if (const auto user = param("forUsername")) {
      // Legacy user names: the fake takes the handle without its "@".
      for (const auto& [id, c] : channels_) {
        if (to_lower_ascii(c.handle) == "@" + to_lower_ascii(*user)) found.push_back(&c);
      }
    } else if (const auto ids = param("id")) {
      for (const std::string& id : split(*ids, ',')) {
        if (const auto it = channels_.find(id); it != channels_.end()) found.push_back(&it->second);
      }
    }
    w.begin_object().key("kind").value("youtube#channelListResponse");
    w.key("etag").value("fakeEtag").key("pageInfo").begin_object();
    w.key("totalResults").value(static_cast<int64_t>(found.size()));
    w.key("resultsPerPage").value(5).end_object();
    if (!found.empty()) {  // "no such channel" is an answer without items
      w.key("items").begin_array();
      for (const Channel* c : found) {
        const auto list = uploads(c->id);
        const int64_t published =
            std::count_if(list.begin(), list.end(), [](const Video* v) { return !v->upcoming; });
        // subscriberCount rounded to three significant figures.
        int64_t subs = c->subscribers, scale = 1;
        while (subs >= 1000) subs /= 10, scale *= 10;
        w.begin_object().key("kind").value("youtube#channel").key("id").value(c->id);
        w.key("snippet").begin_object().key("title").value("Kanal " + c->handle);
        w.key("customUrl").value(c->handle).key("publishedAt").value("2015-04-01T08:00:00Z");
        w.end_object();
        w.key("contentDetails").begin_object().key("relatedPlaylists").begin_object();
        w.key("likes").value("").key("uploads").value("UU" + c->id.substr(2));
        w.end_object().end_object();
        w.key("statistics").begin_object().key("viewCount").value("1000");
        w.key("subscriberCount").value(std::to_string(subs * scale));
        w.key("hiddenSubscriberCount").value(false);
        w.key("videoCount").value(std::to_string(published)).end_object();
        w.end_object();
      }
      w.end_array();
    }
    w.end_object();
    return json(200, w.str());
  }
  if (method == "playlistItems") {
    const std::string playlist = param("playlistId").value_or("");
    const std::string channel = "UC" + playlist.substr(std::min<size_t>(2, playlist.size()));
    if (playlist.rfind("UU", 0) != 0 || channels_.count(channel) == 0) {
      return api_error(404, "youtube.playlistItem", "playlistNotFound",
                       "The playlist identified with the request's playlistId parameter cannot "
                       "be found.");
    }
    const int64_t offset = offset_of(param("pageToken"));
    auto list = uploads(channel);
    if (const auto video = param("videoId")) {
      // The documented filter: only the playlist items that contain the video.
      std::erase_if(list, [&](const Video* v) { return v->id != *video; });
    }
    const bool ids_only = param("part").value_or("") == "id";
    if (offset < 0 || offset > static_cast<int64_t>(list.size()))
      return api_error(400, "youtube.parameter", "invalidPageToken",
                       "The request specifies an invalid page token.");
    const int64_t end = std::min<int64_t>(offset + max_results, list.size());
    w.begin_object().key("kind").value("youtube#playlistItemListResponse").key("etag").value("e");
    if (end < static_cast<int64_t>(list.size()))
      w.key("nextPageToken").value("CAE" + std::to_string(end));
    w.key("items").begin_array();
    for (int64_t i = offset; i < end; ++i) {
      const Video& v = *list[i];
      w.begin_object().key("kind").value("youtube#playlistItem").key("etag").value("pe");
      w.key("id").value("PI" + v.id);
      if (ids_only) {
        w.end_object();
        continue;
      }
      w.key("snippet").begin_object().key("publishedAt").value(format_iso8601(v.published));
      w.key("channelId").value(channel).key("title").value("Video " + v.id);
      w.key("playlistId").value(playlist).key("position").value(i);
      w.key("resourceId").begin_object().key("kind").value("youtube#video");
      w.key("videoId").value(v.id).end_object().end_object();
      w.key("contentDetails").begin_object().key("videoId").value(v.id);
      if (!v.upcoming) w.key("videoPublishedAt").value(format_iso8601(v.published));
      w.end_object().end_object();
    }
    w.end_array().key("pageInfo").begin_object();
    w.key("totalResults").value(static_cast<int64_t>(list.size()));
    w.key("resultsPerPage").value(max_results).end_object().end_object();
    return json(200, w.str());
  }
  if (method == "videos") {
    const std::vector<std::string> ids = split(param("id").value_or(""), ',');
    if (ids.size() > 50)
      return api_error(400, "youtube.parameter", "badRequest", "Too many ids (at most 50).");
    w.begin_object().key("kind").value("youtube#videoListResponse").key("etag").value("e");
    w.key("items").begin_array();
    int64_t found = 0;
    for (const std::string& id : ids) {
      const auto it = videos_.find(id);
      if (it == videos_.end()) continue;  // gone: left out of the answer
      ++found;
      const Video& v = it->second;
      int64_t comment_count = 0;
      for (const Comment& c : comments_) comment_count += c.video == v.id;
      w.begin_object().key("kind").value("youtube#video").key("etag").value("ve");
      w.key("id").value(v.id);
      if (param("part").value_or("") == "id") {
        w.end_object();
        continue;
      }
      w.key("snippet").begin_object().key("publishedAt").value(format_iso8601(v.published));
      w.key("channelId").value(v.channel).key("title").value("Video " + v.id);
      w.key("description").value("Aus dem Rathaus.");
      w.key("liveBroadcastContent").value(v.upcoming ? "upcoming" : "none");
      w.key("defaultAudioLanguage").value("de").end_object();
      w.key("statistics").begin_object().key("viewCount").value(std::to_string(v.views));
      w.key("likeCount").value(std::to_string(v.views / 20)).key("favoriteCount").value("0");
      if (!v.comments_off) w.key("commentCount").value(std::to_string(comment_count));
      w.end_object().end_object();
    }
    w.end_array().key("pageInfo").begin_object().key("totalResults").value(found);
    w.key("resultsPerPage").value(found).end_object().end_object();
    return json(200, w.str());
  }
  const auto comment_json = [&](JsonWriter& out, const Comment& c) {
    out.begin_object().key("kind").value("youtube#comment").key("id").value(c.id);
    out.key("snippet").begin_object().key("videoId").value(c.video);
    out.key("textOriginal").value("Kommentar " + c.id);
    out.key("authorChannelId").begin_object().key("value").value(c.author).end_object();
    if (!c.parent.empty()) out.key("parentId").value(c.parent);
    out.key("likeCount").value(0).key("publishedAt").value(format_iso8601(c.at));
    out.key("updatedAt").value(format_iso8601(c.at)).end_object().end_object();
  };
  if (method == "commentThreads") {
    const std::string video = param("videoId").value_or("");
    const auto it = videos_.find(video);
    if (it == videos_.end())
      return api_error(404, "youtube.commentThread", "videoNotFound", "The video was not found.");
    if (it->second.comments_off)
      return api_error(403, "youtube.commentThread", "commentsDisabled",
                       "The video identified by the videoId parameter has disabled comments.");
    std::vector<const Comment*> threads;
    for (const Comment& c : comments_) {
      if (c.video == video && c.parent.empty()) threads.push_back(&c);
    }
    std::sort(threads.begin(), threads.end(),
              [](const Comment* a, const Comment* b) { return a->at > b->at; });  // order=time
    const int64_t offset = offset_of(param("pageToken"));
    const int64_t per_page =
        std::min<int64_t>(parse_int64(param("maxResults").value_or("20")).value_or(20), 100);
    const int64_t end = std::min<int64_t>(offset + std::max<int64_t>(per_page / 25, 2),
                                          threads.size());  // small pages: paging is exercised
    w.begin_object().key("kind").value("youtube#commentThreadListResponse");
    if (end < static_cast<int64_t>(threads.size()))
      w.key("nextPageToken").value("CAE" + std::to_string(end));
    w.key("items").begin_array();
    for (int64_t i = offset; i < end; ++i) {
      const Comment& t = *threads[i];
      std::vector<const Comment*> replies;
      for (const Comment& c : comments_) {
        if (c.parent == t.id) replies.push_back(&c);
      }
      w.begin_object().key("kind").value("youtube#commentThread").key("id").value(t.id);
      w.key("snippet").begin_object().key("videoId").value(video).key("topLevelComment");
      comment_json(w, t);
      w.key("canReply").value(true);
      w.key("totalReplyCount").value(static_cast<int64_t>(replies.size()));
      w.key("isPublic").value(true).end_object();
      if (!replies.empty()) {
        // The replies part is a subset: the first reply only.
        w.key("replies").begin_object().key("comments").begin_array();
        comment_json(w, *replies.front());
        w.end_array().end_object();
      }
      w.end_object();
    }
    w.end_array().end_object();
    return json(200, w.str());
  }
  if (method == "comments") {
    const std::string parent = param("parentId").value_or("");
    w.begin_object().key("kind").value("youtube#commentListResponse").key("items").begin_array();
    for (const Comment& c : comments_) {
      if (c.parent == parent && !parent.empty()) comment_json(w, c);
    }
    w.end_array().end_object();
    return json(200, w.str());
  }
  return api_error(404, "global", "notFound", "Not Found");
}

HttpResponse FakeYouTube::feed(const HttpRequest& request) {
  ++feed_calls_;
  const std::string channel = url_query_param(request.url, "channel_id").value_or("");
  if (channels_.count(channel) == 0)
    return reply(404, "<html><body>Error 404 (Not Found)</body></html>",
                 "text/html; charset=UTF-8");
  std::string xml =
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<feed "
      "xmlns:yt=\"http://www.youtube.com/xml/schemas/2015\" "
      "xmlns:media=\"http://search.yahoo.com/mrss/\" xmlns=\"http://www.w3.org/2005/Atom\">\n"
      " <yt:channelId>" +
      channel.substr(2) + "</yt:channelId>\n <title>Kanal</title>\n";
  int n = 0;
  for (const Video* v : uploads(channel)) {
    if (v->upcoming) continue;
    if (++n > 15) break;  // the newest 15
    xml += " <entry>\n  <id>yt:video:" + v->id + "</id>\n  <yt:videoId>" + v->id +
           "</yt:videoId>\n  <yt:channelId>" + channel + "</yt:channelId>\n  <title>Video " +
           v->id +
           "</title>\n  <link rel=\"alternate\" href=\"https://www.youtube.com/watch?v=" + v->id +
           "\"/>\n  <published>" + format_iso8601(v->published) +
           "</published>\n  <media:group><media:community><media:starRating count=\"" +
           std::to_string(v->views / 20) +
           "\" average=\"5.00\" min=\"1\" max=\"5\"/><media:statistics views=\"" +
           std::to_string(v->views) + "\"/></media:community></media:group>\n </entry>\n";
  }
  xml += "</feed>\n";
  HttpResponse r = reply(200, std::move(xml), "text/xml; charset=UTF-8");
  r.headers.push_back({"Cache-Control", "public, max-age=900"});
  return r;
}

}  // namespace muni::test
