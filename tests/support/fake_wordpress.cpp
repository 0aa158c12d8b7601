#include "fake_wordpress.h"

#include <algorithm>

#include "core/json.h"
#include "core/strings.h"

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

HttpResponse wp_error(int status, const std::string& code, const std::string& message) {
  JsonWriter w;
  w.begin_object().key("code").value(code).key("message").value(message);
  w.key("data").begin_object().key("status").value(status).end_object().end_object();
  return json(status, w.str());
}

std::string path_of(const std::string& url) {
  const size_t scheme = url.find("://");
  const size_t slash = url.find('/', scheme == std::string::npos ? 0 : scheme + 3);
  if (slash == std::string::npos) return "/";
  const std::string rest = url.substr(slash);
  return rest.substr(0, rest.find('?'));
}

// "2024-12-03T10:00:00" as WordPress writes date and date_gmt.
std::string wp_time(TimeMs t) { return format_iso8601(t).substr(0, 19); }

std::string home_page() {
  return "<!DOCTYPE html><html lang=\"de-DE\"><head><meta charset=\"UTF-8\">"
         "<title>Musterstadt</title></head><body><h1>Willkommen</h1></body></html>";
}

}  // namespace

void FakeWordPress::set_site(std::string url) {
  std::lock_guard<std::mutex> lock(mu_);
  site_ = std::move(url);
}

int FakeWordPress::add_post(TimeMs published, int author, bool comments_open) {
  std::lock_guard<std::mutex> lock(mu_);
  const int id = ++next_id_;
  posts_.push_back(Post{id, published, author, comments_open});
  ++version_;
  return id;
}

void FakeWordPress::remove_post(int id) {
  std::lock_guard<std::mutex> lock(mu_);
  posts_.erase(
      std::remove_if(posts_.begin(), posts_.end(), [&](const Post& p) { return p.id == id; }),
      posts_.end());
  ++version_;
}

int FakeWordPress::add_comment(int post, TimeMs at, int author, const std::string& name,
                               int parent) {
  std::lock_guard<std::mutex> lock(mu_);
  const int id = ++next_id_;
  comments_.push_back(Comment{id, post, parent, author, name, at});
  ++version_;
  return id;
}

void FakeWordPress::set_rest(Rest rest) {
  std::lock_guard<std::mutex> lock(mu_);
  rest_ = rest;
}

void FakeWordPress::set_pretty_permalinks(bool pretty) {
  std::lock_guard<std::mutex> lock(mu_);
  pretty_ = pretty;
}

int64_t FakeWordPress::requests(const std::string& kind) const {
  std::lock_guard<std::mutex> lock(mu_);
  const auto it = requests_.find(kind);
  return it == requests_.end() ? 0 : it->second;
}

std::vector<std::string> FakeWordPress::post_ids() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<std::string> out;
  for (const Post& p : posts_) out.push_back(std::to_string(p.id));
  return out;
}

std::string FakeWordPress::param(const HttpRequest& request, const std::string& name) const {
  return url_query_param(request.url, name).value_or("");
}

HttpResponse FakeWordPress::handle(const HttpRequest& request) {
  std::lock_guard<std::mutex> lock(mu_);
  const std::string path = path_of(request.url);
  std::string route;
  if (starts_with(path, "/wp-json/")) {
    if (!pretty_) {
      ++requests_["other"];
      return reply(404, home_page(), "text/html; charset=UTF-8");
    }
    route = path.substr(8);  // "/wp/v2/posts"
  } else if (path == "/" && !param(request, "rest_route").empty()) {
    route = param(request, "rest_route");
  }
  while (!route.empty() && route.back() == '/') route.pop_back();
  if (!route.empty()) {
    const std::string kind = route == "/wp/v2/posts"      ? "posts"
                             : route == "/wp/v2/comments" ? "comments"
                                                          : "other";
    // A posts request for given ids (include=) is counted apart: "status".
    ++requests_[kind == "posts" && !param(request, "include").empty() ? "status" : kind];
    switch (rest_) {
      case Rest::kLoginRequired:
        return wp_error(401, "rest_not_logged_in", "You are not currently logged in.");
      case Rest::kNoRoute:
        return wp_error(404, "rest_no_route",
                        "No route was found matching the URL and request method.");
      case Rest::kHtml:
        return reply(200, home_page(), "text/html; charset=UTF-8");
      case Rest::kOn:
        break;
    }
    if (kind == "posts") return posts(request);
    if (kind == "comments") return comments(request);
    if (starts_with(route, "/wp/v2/posts/")) return single_post(route.substr(13));
    return wp_error(404, "rest_no_route",
                    "No route was found matching the URL and request method.");
  }
  if (path == "/feed" || path == "/feed/" || param(request, "feed") == "rss2") {
    ++requests_["feed"];
    if (!pretty_ && path != "/") return reply(404, home_page(), "text/html; charset=UTF-8");
    return feed(request);
  }
  ++requests_["other"];
  return reply(404, home_page(), "text/html; charset=UTF-8");
}

HttpResponse FakeWordPress::posts(const HttpRequest& request) {
  const std::string per_page_text = param(request, "per_page");
  const int64_t per_page = per_page_text.empty() ? 10 : parse_int64(per_page_text).value_or(-1);
  if (per_page < 1 || per_page > 100)
    return wp_error(400, "rest_invalid_param", "Invalid parameter(s): per_page");
  const std::string page_text = param(request, "page");
  const int64_t page = page_text.empty() ? 1 : parse_int64(page_text).value_or(-1);
  if (page < 1) return wp_error(400, "rest_invalid_param", "Invalid parameter(s): page");
  // after/before: core's date_query compares them with post_date, the
  // site's local time, not with post_date_gmt.
  const auto after = parse_iso8601(param(request, "after"));
  const auto before = parse_iso8601(param(request, "before"));
  std::vector<std::string> include = split(param(request, "include"), ',');
  include.erase(std::remove(include.begin(), include.end(), ""), include.end());
  std::vector<const Post*> list;
  for (const Post& p : posts_) {
    const TimeMs local = p.published + offset_;
    if (after && !(local > *after)) continue;
    if (before && !(local < *before)) continue;
    if (!include.empty() &&
        std::find(include.begin(), include.end(), std::to_string(p.id)) == include.end())
      continue;
    list.push_back(&p);
  }
  const bool asc = param(request, "order") == "asc";
  std::stable_sort(list.begin(), list.end(), [&](const Post* a, const Post* b) {
    if (a->published != b->published)
      return asc ? a->published < b->published : a->published > b->published;
    return asc ? a->id < b->id : a->id > b->id;
  });
  const int64_t total = static_cast<int64_t>(list.size());
  const int64_t pages = (total + per_page - 1) / per_page;
  if (page > pages && total > 0) {
    return wp_error(400, "rest_post_invalid_page_number",
                    "The page number requested is larger than the number of pages available.");
  }
  JsonWriter w;
  w.begin_array();
  for (int64_t i = (page - 1) * per_page; i < total && i < page * per_page; ++i) {
    const Post& p = *list[static_cast<size_t>(i)];
    const std::string link = site_ + "/?p=" + std::to_string(p.id);
    w.begin_object().key("id").value(p.id);
    w.key("date").value(wp_time(p.published + offset_)).key("date_gmt").value(wp_time(p.published));
    w.key("modified").value(wp_time(p.published + offset_));
    w.key("modified_gmt").value(wp_time(p.published));
    w.key("link").value(link);
    w.key("title")
        .begin_object()
        .key("rendered")
        .value("Meldung " + std::to_string(p.id) + " &#8211; Rathaus")
        .end_object();
    w.key("content")
        .begin_object()
        .key("rendered")
        .value("<p>Text der Meldung " + std::to_string(p.id) + ".</p>\n");
    w.key("protected").value(false).end_object();
    w.key("author").value(p.author).key("featured_media").value(0);
    w.key("comment_status").value(p.comments_open ? "open" : "closed").key("type").value("post");
    w.end_object();
  }
  w.end_array();
  HttpResponse r = json(200, w.str());
  r.headers.push_back({"X-WP-Total", std::to_string(total)});
  r.headers.push_back({"X-WP-TotalPages", std::to_string(pages)});
  return r;
}

// GET /wp/v2/posts/<id>: the post, or core's 404 rest_post_invalid_id.
HttpResponse FakeWordPress::single_post(const std::string& id) {
  for (const Post& p : posts_) {
    if (std::to_string(p.id) == id) {
      JsonWriter w;
      w.begin_object().key("id").value(p.id).end_object();
      return json(200, w.str());
    }
  }
  return wp_error(404, "rest_post_invalid_id", "Invalid post ID.");
}

HttpResponse FakeWordPress::comments(const HttpRequest& request) {
  const std::string per_page_text = param(request, "per_page");
  const int64_t per_page = per_page_text.empty() ? 10 : parse_int64(per_page_text).value_or(-1);
  if (per_page < 1 || per_page > 100)
    return wp_error(400, "rest_invalid_param", "Invalid parameter(s): per_page");
  const std::string page_text = param(request, "page");
  const int64_t page = page_text.empty() ? 1 : parse_int64(page_text).value_or(-1);
  if (page < 1) return wp_error(400, "rest_invalid_param", "Invalid parameter(s): page");
  std::vector<std::string> wanted = split(param(request, "post"), ',');
  wanted.erase(std::remove(wanted.begin(), wanted.end(), ""), wanted.end());
  std::vector<const Comment*> list;
  for (const Comment& c : comments_) {
    if (!wanted.empty() &&
        std::find(wanted.begin(), wanted.end(), std::to_string(c.post)) == wanted.end())
      continue;
    list.push_back(&c);
  }
  const bool asc = param(request, "order") == "asc";
  std::stable_sort(list.begin(), list.end(), [&](const Comment* a, const Comment* b) {
    return asc ? a->id < b->id : a->id > b->id;
  });
  const int64_t total = static_cast<int64_t>(list.size());
  const int64_t pages = (total + per_page - 1) / per_page;
  JsonWriter w;
  w.begin_array();
  for (int64_t i = (page - 1) * per_page; i < total && i < page * per_page; ++i) {
    const Comment& c = *list[static_cast<size_t>(i)];
    w.begin_object().key("id").value(c.id).key("post").value(c.post).key("parent").value(c.parent);
    w.key("author").value(c.author).key("author_name").value(c.name);
    w.key("date").value(wp_time(c.at + offset_)).key("date_gmt").value(wp_time(c.at));
    w.key("content")
        .begin_object()
        .key("rendered")
        .value("<p>Kommentar " + std::to_string(c.id) + "</p>\n")
        .end_object();
    w.key("status").value("approved").key("type").value("comment").end_object();
  }
  w.end_array();
  HttpResponse r = json(200, w.str());
  r.headers.push_back({"X-WP-Total", std::to_string(total)});
  r.headers.push_back({"X-WP-TotalPages", std::to_string(pages)});
  return r;
}

HttpResponse FakeWordPress::feed(const HttpRequest& request) {
  const std::string etag = "\"w" + std::to_string(version_) + "\"";
  for (const HttpHeader& h : request.headers) {
    if (iequals(h.name, "If-None-Match") && h.value == etag) {
      ++requests_["not_modified"];
      HttpResponse r;
      r.status = 304;
      r.headers.push_back({"ETag", etag});
      return r;
    }
  }
  std::vector<const Post*> list;
  for (const Post& p : posts_) list.push_back(&p);
  std::stable_sort(list.begin(), list.end(),
                   [](const Post* a, const Post* b) { return a->published > b->published; });
  std::string xml =
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?><rss version=\"2.0\"\n"
      "\txmlns:dc=\"http://purl.org/dc/elements/1.1/\"\n"
      "\txmlns:slash=\"http://purl.org/rss/1.0/modules/slash/\"\n\t>\n<channel>\n"
      "\t<title>Musterstadt</title>\n\t<link>" +
      site_ + "</link>\n\t<description>Offizielle Website</description>\n";
  for (size_t i = 0; i < list.size() && i < 10; ++i) {  // posts_per_rss: 10 by default
    const Post& p = *list[i];
    int64_t count = 0;
    for (const Comment& c : comments_) count += c.post == p.id ? 1 : 0;
    xml += "\t<item>\n\t\t<title>Meldung " + std::to_string(p.id) + "</title>\n\t\t<link>" + site_ +
           "/?p=" + std::to_string(p.id) + "</link>\n\t\t<pubDate>" +
           format_http_date(p.published) + "</pubDate>\n\t\t<guid isPermaLink=\"false\">" + site_ +
           "/?p=" + std::to_string(p.id) +
           "</guid>\n\t\t<description><![CDATA[Text der Meldung]]></description>\n"
           "\t\t<slash:comments>" +
           std::to_string(count) + "</slash:comments>\n\t</item>\n";
  }
  xml += "</channel>\n</rss>\n";
  HttpResponse r = reply(200, std::move(xml), "application/rss+xml; charset=UTF-8");
  r.headers.push_back({"ETag", etag});
  return r;
}

}  // namespace muni::test
