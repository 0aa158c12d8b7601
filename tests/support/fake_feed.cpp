#include "fake_feed.h"

#include <algorithm>

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

}  // namespace

void FakeFeedSite::add_item(const std::string& guid, TimeMs published, const std::string& title) {
  std::lock_guard<std::mutex> lock(mu_);
  items_.insert(items_.begin(), Item{guid, published, title});
  ++version_;
}

void FakeFeedSite::remove_item(const std::string& guid) {
  std::lock_guard<std::mutex> lock(mu_);
  items_.erase(
      std::remove_if(items_.begin(), items_.end(), [&](const Item& i) { return i.guid == guid; }),
      items_.end());
  ++version_;
}

int64_t FakeFeedSite::requests() const {
  std::lock_guard<std::mutex> lock(mu_);
  return requests_;
}

int64_t FakeFeedSite::not_modified() const {
  std::lock_guard<std::mutex> lock(mu_);
  return not_modified_;
}

HttpResponse FakeFeedSite::handle(const HttpRequest& request) {
  std::lock_guard<std::mutex> lock(mu_);
  ++requests_;
  const std::string etag = "\"v" + std::to_string(version_) + "\"";
  std::string if_none_match;
  for (const HttpHeader& h : request.headers) {
    if (to_lower_ascii(h.name) == "if-none-match") if_none_match = h.value;
  }
  if (if_none_match == etag) {
    ++not_modified_;
    HttpResponse r;
    r.status = 304;
    r.headers.push_back({"ETag", etag});
    return r;
  }
  std::string xml =
      "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<rss version=\"2.0\"><channel>"
      "<title>Pressemitteilungen</title><link>https://www.musterstadt.example/</link>\n";
  for (size_t i = 0; i < items_.size() && i < 10; ++i) {  // the newest 10, as many sites do
    const Item& it = items_[i];
    xml += "<item><title>" + it.title + "</title><guid isPermaLink=\"false\">" + it.guid +
           "</guid><link>/aktuelles/" + it.guid + "</link><pubDate>" +
           format_http_date(it.published) + "</pubDate><description>Meldung " + it.guid +
           "</description></item>\n";
  }
  xml += "</channel></rss>\n";
  HttpResponse r = reply(200, std::move(xml), "application/rss+xml; charset=utf-8");
  r.headers.push_back({"ETag", etag});
  return r;
}

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
