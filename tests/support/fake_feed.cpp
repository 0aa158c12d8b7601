#include "fake_feed.h"

namespace muni::test {

void FakeFeed::serve(const std::string& path, std::string body, std::string content_type) {
  std::lock_guard<std::mutex> lock(mu_);
  Served& s = feeds_[path];
  s.body = std::move(body);
  s.content_type = std::move(content_type);
}

int64_t FakeFeed::requests(const std::string& path) const {
  std::lock_guard<std::mutex> lock(mu_);
  const auto it = feeds_.find(path);
  return it == feeds_.end() ? 0 : it->second.requests;
}

HttpResponse FakeFeed::handle(const HttpRequest& request) {
  const std::string& url = request.url;
  const size_t scheme = url.find("://");
  const size_t slash = url.find('/', scheme == std::string::npos ? 0 : scheme + 3);
  const std::string path = slash == std::string::npos ? "/" : url.substr(slash);
  HttpResponse r;
  std::lock_guard<std::mutex> lock(mu_);
  const auto it = feeds_.find(path);
  if (it == feeds_.end()) {
    r.status = 404;
    r.body = "<html><body>Not Found</body></html>";
    r.headers.push_back({"Content-Type", "text/html"});
    return r;
  }
  ++it->second.requests;
  // No validators: every poll reads the whole feed, as the faults need.
  r.status = 200;
  r.body = it->second.body;
  r.headers.push_back({"Content-Type", it->second.content_type});
  return r;
}

}  // namespace muni::test
