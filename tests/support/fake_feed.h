// News sites with RSS/Atom feeds for end-to-end tests, served over loopback
// HTTP. Two kinds, as the tests need them:
// - FakeFeedSite: an honest site whose RSS 2.0 feed is built from the items a
//   test adds (the newest 10, as many sites serve), with an ETag that changes
//   with the items and 304 to a matching conditional GET (If-None-Match).
// - FakeFeed: serves whatever feed a test hands it, byte for byte, for the
//   hostile-feed tests (tests/integration/hostile_feed_test.cpp): the faults
//   live in the feed's bytes (one guid on every item, dates of 9999, UTF-8
//   under an ISO-8859-1 declaration, counts that overflow), so the server
//   only has to say them faithfully, with the Content-Type given. Paths
//   without a feed answer 404.
// Both are thread-safe: the loopback server calls handle() from its pool
// while the test changes feeds between polls.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "core/model.h"
#include "engine/http.h"

namespace muni::test {

class FakeFeedSite {
 public:
  // One RSS 2.0 feed, answered at whatever path is asked
  // (e.g. "/aktuelles/rss.xml").
  void add_item(const std::string& guid, TimeMs published, const std::string& title);
  void remove_item(const std::string& guid);
  int64_t requests() const;
  int64_t not_modified() const;  // 304 answers given

  HttpResponse handle(const HttpRequest& request);

 private:
  struct Item {
    std::string guid;
    TimeMs published = 0;
    std::string title;
  };
  mutable std::mutex mu_;
  std::vector<Item> items_;  // newest first
  uint64_t version_ = 1;
  int64_t requests_ = 0;
  int64_t not_modified_ = 0;
};

class FakeFeed {
 public:
  // Serves `body` at `path` ("/aktuelles/rss.xml") from the next request on.
  void serve(const std::string& path, std::string body,
             std::string content_type = "application/rss+xml; charset=UTF-8");
  int64_t requests(const std::string& path) const;

  HttpResponse handle(const HttpRequest& request);

 private:
  struct Served {
    std::string body;
    std::string content_type;
    int64_t requests = 0;
  };
  mutable std::mutex mu_;
  std::map<std::string, Served> feeds_;
};

}  // namespace muni::test
