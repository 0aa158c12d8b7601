// In-memory Mastodon instance and Bluesky AppView for end-to-end tests, served
// over loopback HTTP. They speak the same JSON shapes as the fixtures (and the
// real recorded samples they follow) and the same paging rules: Mastodon's
// max_id/min_id with Link headers (newest first, "next" only on full pages),
// Bluesky's opaque timestamp cursors (absent on the last page). Single items
// answer as the platforms do: Mastodon's GET /api/v1/statuses/:id (404
// {"error":"Not Found"} once removed), Bluesky's getPostThread (400
// {"error":"NotFound"} once removed).
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "core/model.h"
#include "engine/http.h"
#include "loopback_server.h"

namespace muni::test {

class FakeMastodon {
 public:
  // `base_url` is what the server calls itself in URLs and Link headers.
  explicit FakeMastodon(std::string base_url) : base_(std::move(base_url)) {}
  void set_base_url(std::string base) { base_ = std::move(base); }

  void add_account(const std::string& username, const std::string& id, int64_t followers);
  // Appends a status authored by `username` and returns its id. For replies
  // give the parent id and its author's account id; for boosts the author of
  // the boosted status. Ids are Snowflakes of `created_at`.
  std::string add_status(const std::string& username, TimeMs created_at, PostKind kind,
                         const std::string& parent_id = "", const std::string& parent_account = "",
                         int64_t likes = 0);
  void set_likes(const std::string& username, const std::string& id, int64_t likes);
  void remove_status(const std::string& username, const std::string& id);
  // The status stays (GET /api/v1/statuses/:id shows it) but the account's
  // timeline leaves it out: what a hostile or broken instance does.
  void hide_from_timeline(const std::string& username, const std::string& id);
  // The account announces a move ("moved" on its Account entity).
  struct Move {
    std::string acct;  // "user@host", or "user" within the instance
    std::string url;   // the target's profile URL
    std::string uri;   // the target's actor id
  };
  void set_moved(const std::string& username, Move move);
  // The account's ActivityPub actor (GET /users/:username with Accept
  // application/activity+json) lists these in alsoKnownAs.
  void set_also_known_as(const std::string& username, std::vector<std::string> aliases);
  int64_t count(const std::string& username, std::optional<PostKind> kind = std::nullopt);
  // The ids of the account's statuses, as muniscope stores them.
  std::vector<std::string> ids(const std::string& username);
  const std::string& base_url() const { return base_; }

  HttpResponse handle(const HttpRequest& request);

 private:
  struct Status {
    std::string id;
    uint64_t id_num = 0;
    TimeMs created_at = 0;
    PostKind kind = PostKind::kOriginal;
    std::string parent_id;
    std::string parent_account;
    int64_t likes = 0;
  };
  struct Account {
    std::string id;
    std::string username;
    int64_t followers = 0;
    std::vector<Status> statuses;  // ascending ids
    std::vector<std::string> hidden;  // left out of the timeline
    std::optional<Move> moved;
    std::vector<std::string> also_known_as;
  };
  std::string account_json(const Account& a) const;
  std::string actor_json(const Account& a) const;
  std::string status_json(const Account& a, const Status& s) const;

  std::mutex mu_;
  std::string base_;
  std::map<std::string, Account> by_name_;
  uint64_t seq_ = 0;
};

class FakeBluesky {
 public:
  void add_account(const std::string& did, const std::string& handle, int64_t followers);
  // The account takes another handle (the DID stays, as on Bluesky).
  void rename(const std::string& did, const std::string& handle);
  // Appends a feed entry for `did`. For reply_other give the parent's author
  // DID; for reposts the original's author. Returns the entry's post URI (for
  // reposts, the original's URI).
  std::string add_post(const std::string& did, TimeMs created_at, PostKind kind,
                       const std::string& other_did = "", int64_t likes = 0);
  void set_likes(const std::string& uri, int64_t likes);
  void remove_post(const std::string& uri);
  // The post stays (getAuthorFeed and getPostThread show it) but getPosts
  // leaves it out: what a hostile or broken AppView does.
  void hide_from_get_posts(const std::string& uri);
  int64_t count(const std::string& did, std::optional<PostKind> kind = std::nullopt);
  // The ids of the account's feed entries as muniscope stores them (the
  // post URI, or the repost record's URI for reposts).
  std::vector<std::string> ids(const std::string& did);

  HttpResponse handle(const HttpRequest& request);

 private:
  struct Entry {
    std::string uri;         // the post's URI (the original's for reposts)
    std::string repost_uri;  // for reposts
    std::string author;      // author of the post
    TimeMs created_at = 0;
    TimeMs sort_at = 0;  // repost time for reposts
    PostKind kind = PostKind::kOriginal;
    std::string parent_uri;
    std::string parent_author;
    TimeMs parent_created_at = 0;
    int64_t likes = 0;
  };
  struct Account {
    std::string did;
    std::string handle;
    int64_t followers = 0;
    std::vector<Entry> feed;
  };
  std::string post_view(const Entry& e) const;

  std::mutex mu_;
  std::map<std::string, Account> by_did_;
  std::vector<std::string> hidden_;  // left out of getPosts
  uint64_t seq_ = 0;
};

// Both fakes served on loopback, each on its own port: what the end-to-end
// tests point a configuration at (Mastodon handles as URLs on
// `mastodon_server`, `platforms.bluesky.base_url` = `appview.base_url()`).
struct LoopbackPlatforms {
  FakeMastodon mastodon{""};
  FakeBluesky bluesky;
  LoopbackServer mastodon_server{[this](const HttpRequest& r) { return mastodon.handle(r); }};
  LoopbackServer appview{[this](const HttpRequest& r) { return bluesky.handle(r); }};
  LoopbackPlatforms() { mastodon.set_base_url(mastodon_server.base_url()); }
};

}  // namespace muni::test
