// In-memory Mastodon instance for end-to-end tests, served over loopback HTTP
// (see loopback_platforms.h). It speaks the JSON shapes of the fixtures
// (tests/fixtures/mastodon, and the real recorded samples they follow) and
// Mastodon's paging rules: max_id/min_id with Link headers (newest first,
// "next" only on full pages). Single items answer as Mastodon does:
// GET /api/v1/statuses/:id, 404 {"error":"Not Found"} once removed.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "core/model.h"
#include "engine/http.h"

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
    std::vector<Status> statuses;     // ascending ids
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

}  // namespace muni::test
