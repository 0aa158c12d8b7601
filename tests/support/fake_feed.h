// A news site that serves whatever feed a test hands it, byte for byte, for
// the hostile-feed tests (tests/integration/hostile_feed_test.cpp): the
// faults live in the feed's bytes (one guid on every item, dates of 9999,
// UTF-8 under an ISO-8859-1 declaration, counts that overflow), so the
// server only has to say them faithfully, with the Content-Type given.
// Paths without a feed answer 404. Thread-safe: the loopback server calls
// handle() from its pool while the test changes feeds between polls.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <string>

#include "engine/http.h"

namespace muni::test {

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
