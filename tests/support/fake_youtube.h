// In-memory YouTube (Data API v3 and the channel feed) for end-to-end tests,
// served over loopback HTTP. It answers in the shapes of the fixtures
// (tests/fixtures/youtube, and the real samples those follow) with the
// platform's rules: the API key checked on every call, one quota unit per
// call and 403 quotaExceeded once the day's units are spent, page tokens, 50
// ids per videos.list, replies beyond the thread's subset only through
// comments.list, the channel feed's newest 15.
// The fake can turn hostile (set_tamper): every API call then goes through a
// function that may answer it itself or change the honest answer.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "core/model.h"
#include "engine/http.h"

namespace muni::test {

class FakeYouTube {
 public:
  explicit FakeYouTube(std::string key) : key_(std::move(key)) {}

  void add_channel(const std::string& id, const std::string& handle, int64_t subscribers);
  // Returns the new video's id. `upcoming`: a scheduled premiere.
  std::string add_video(const std::string& channel, TimeMs published, int64_t views,
                        bool upcoming = false);
  void set_views(const std::string& video, int64_t views);
  void remove_video(const std::string& video);
  void disable_comments(const std::string& video);
  // A top-level comment (parent "") or a reply to the thread `parent`;
  // returns its id.
  std::string add_comment(const std::string& video, const std::string& author, TimeMs at,
                          const std::string& parent = "");
  // Units left today; every call costs one, answered or not.
  void set_quota(int64_t units);
  int64_t api_calls() const;
  // API calls of one method ("channels", "playlistItems", "videos",
  // "commentThreads", "comments"), charged or not.
  int64_t calls(const std::string& method) const;
  // A hostile server: after the key and quota checks, every API call goes
  // to `tamper` with its method and the request; `honest` answers any
  // request as the fake would (call it with the request, or a changed one).
  // Runs under the fake's lock: it must not call the fake's other members.
  // An empty function makes the fake honest again.
  using Honest = std::function<HttpResponse(const HttpRequest&)>;
  using Tamper = std::function<HttpResponse(const std::string& method, const HttpRequest& request,
                                            const Honest& honest)>;
  void set_tamper(Tamper tamper);
  int64_t feed_calls() const;
  // Requests that carried a key other than the configured one.
  int64_t rejected_keys() const;

  HttpResponse handle(const HttpRequest& request);

 private:
  struct Comment {
    std::string id;
    std::string video;
    std::string author;
    TimeMs at = 0;
    std::string parent;
  };
  struct Video {
    std::string id;
    std::string channel;
    TimeMs published = 0;
    int64_t views = 0;
    bool upcoming = false;
    bool comments_off = false;
  };
  struct Channel {
    std::string id;
    std::string handle;
    int64_t subscribers = 0;
  };
  std::vector<const Video*> uploads(const std::string& channel) const;  // newest first
  HttpResponse api(const std::string& path, const HttpRequest& request);
  HttpResponse feed(const HttpRequest& request);

  mutable std::mutex mu_;
  std::string key_;
  std::map<std::string, Channel> channels_;
  std::map<std::string, Video> videos_;
  std::vector<Comment> comments_;
  int64_t quota_ = 1000000;
  int64_t api_calls_ = 0;
  std::map<std::string, int64_t> calls_;
  Tamper tamper_;
  int64_t feed_calls_ = 0;
  int64_t rejected_keys_ = 0;
  uint64_t seq_ = 0;
};

}  // namespace muni::test
