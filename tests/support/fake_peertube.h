// In-memory PeerTube instance for end-to-end tests, served over loopback
// HTTP. It answers in the shapes of the fixtures (tests/fixtures/peertube,
// and the recorded sample and OpenAPI description they follow) with the
// platform's rules: accounts and their video channels, video lists newest
// first by offset (start, count at most 100, total), the `comments` count
// only from version 7.2 on, comment threads by offset with totalReplies and
// each thread as a tree, deleted comments kept as tombstones while they have
// replies, switched-off comments answered as an empty list, and RFC 7807
// application/problem+json errors (404 for unknown actors, videos, threads).
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "core/model.h"
#include "engine/http.h"

namespace muni::test {

class FakePeerTube {
 public:
  // `base_url` is what the server calls itself; its host (with the port) is
  // the `host` of every actor on it.
  explicit FakePeerTube(std::string base_url = "") { set_base_url(std::move(base_url)); }
  void set_base_url(std::string base);
  const std::string& host() const { return host_; }

  void set_version(std::string version);  // "7.2.1" unless set
  void add_account(const std::string& name, int64_t followers);
  void add_channel(const std::string& name, const std::string& owner, int64_t followers);
  // A video of `account`, in `channel` ("" for the account's default one);
  // returns its uuid.
  std::string add_video(const std::string& account, const std::string& channel, TimeMs published,
                        int64_t views, int64_t likes = 0);
  void set_views(const std::string& uuid, int64_t views);
  void remove_video(const std::string& uuid);
  void disable_comments(const std::string& uuid);
  // A comment by `author` ("name" on this instance, or "name@host") on the
  // video, top-level (parent "") or a reply to the comment `parent`;
  // returns its id.
  std::string add_comment(const std::string& uuid, const std::string& author, TimeMs at,
                          const std::string& parent = "");
  void delete_comment(const std::string& id);
  // The uuids an actor's video list shows (an account's: all of its videos).
  std::vector<std::string> video_ids(const std::string& actor) const;
  // Comment ids of a video that are not deleted.
  std::vector<std::string> comment_ids(const std::string& uuid) const;
  // Requests of one kind: "config", "account", "channel", "videos", "video",
  // "threads", "tree".
  int64_t calls(const std::string& kind) const;

  HttpResponse handle(const HttpRequest& request);

 private:
  struct Video {
    std::string uuid;
    int64_t id = 0;
    std::string account;
    std::string channel;
    TimeMs published = 0;
    int64_t views = 0;
    int64_t likes = 0;
    bool comments_off = false;
    uint64_t seq = 0;
  };
  struct Comment {
    std::string id;
    std::string video;
    std::string author;  // name@host
    TimeMs at = 0;
    std::string parent;
    std::string thread;
    bool deleted = false;
  };
  struct Actor {
    std::string name;
    std::string owner;  // channels: the owning account
    int64_t followers = 0;
    int64_t id = 0;
  };
  std::vector<const Video*> list(const std::string& actor, bool channel) const;
  std::string video_json(const Video& v, bool details) const;
  std::string actor_json(const Actor& a, bool channel) const;
  std::string comment_json(const Comment& c) const;
  std::string tree_json(const Comment& c) const;
  int64_t descendants(const std::string& id) const;
  bool counts_comments() const;

  mutable std::mutex mu_;
  std::string base_;
  std::string host_;
  std::string version_ = "7.2.1";
  std::map<std::string, Actor> accounts_;
  std::map<std::string, Actor> channels_;
  std::map<std::string, Video> videos_;
  std::vector<Comment> comments_;
  std::map<std::string, int64_t> calls_;
  uint64_t seq_ = 0;
};

}  // namespace muni::test
