// In-memory Bluesky AppView for end-to-end tests, served over loopback HTTP
// (see loopback_platforms.h). It speaks the JSON shapes of the fixtures
// (tests/fixtures/bluesky, and the real recorded samples they follow) and
// Bluesky's paging rules: opaque timestamp cursors, absent on the last page.
// Single items answer as the AppView does: getPostThread, 400
// {"error":"NotFound"} once removed.
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

}  // namespace muni::test
