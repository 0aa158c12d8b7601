#include "fake_mediawiki.h"

#include <algorithm>

#include "core/clock.h"
#include "core/json.h"
#include "core/strings.h"

namespace muni::test {

namespace {

HttpResponse json_reply(std::string body, std::vector<HttpHeader> extra = {}) {
  HttpResponse r;
  r.status = 200;
  r.body = std::move(body);
  r.headers.push_back({"Content-Type", "application/json; charset=utf-8"});
  for (auto& h : extra) r.headers.push_back(std::move(h));
  return r;
}

HttpResponse api_error(const std::string& code, const std::string& info) {
  JsonWriter w;
  w.begin_object().key("error").begin_object().key("code").value(code).key("info").value(info);
  w.end_object().end_object();
  return json_reply(w.str());
}

std::string path_of(const std::string& url) {
  const size_t scheme = url.find("://");
  const size_t slash = url.find('/', scheme == std::string::npos ? 0 : scheme + 3);
  if (slash == std::string::npos) return "/";
  const std::string rest = url.substr(slash);
  return rest.substr(0, rest.find('?'));
}

std::string param(const HttpRequest& r, const char* key) {
  return url_query_param(r.url, key).value_or("");
}

bool lists(const std::string& list_param, const std::string& name) {
  for (const auto& l : split(list_param, '|')) {
    if (l == name) return true;
  }
  return false;
}

// MediaWiki's TS_MW form, "YYYYMMDDHHMMSS", as continue values carry it.
std::string ts_mw(TimeMs t) {
  std::string out;
  for (const char c : format_iso8601(t)) {
    if (c >= '0' && c <= '9') out += c;
    if (out.size() == 14) break;
  }
  return out;
}

std::optional<TimeMs> parse_ts_mw(const std::string& s) {
  if (s.size() != 14) return std::nullopt;
  return parse_iso8601(s.substr(0, 4) + "-" + s.substr(4, 2) + "-" + s.substr(6, 2) + "T" +
                       s.substr(8, 2) + ":" + s.substr(10, 2) + ":" + s.substr(12, 2) + "Z");
}

std::string iso(TimeMs t) { return format_iso8601(t); }

}  // namespace

void FakeMediaWiki::add_wiki(const std::string& name, const std::string& sitename,
                             DurationMs rc_max_age) {
  std::lock_guard<std::mutex> lock(mu_);
  Wiki w;
  w.name = name;
  w.sitename = sitename;
  w.rc_max_age = rc_max_age;
  wikis_[name] = std::move(w);
}

void FakeMediaWiki::add_user(const std::string& wiki, const std::string& user, TimeMs registration,
                             bool bot) {
  std::lock_guard<std::mutex> lock(mu_);
  User u;
  u.id = static_cast<int64_t>(wikis_.at(wiki).users.size()) + 1;
  u.name = user;
  u.registration = registration - registration % 1000;
  u.bot = bot;
  wikis_.at(wiki).users[user] = u;
}

int64_t FakeMediaWiki::edit(const std::string& wiki, const std::string& title,
                            const std::string& user, TimeMs at, int64_t new_size,
                            const std::string& comment) {
  std::lock_guard<std::mutex> lock(mu_);
  Wiki& w = wikis_.at(wiki);
  Revision r;
  r.revid = ++next_id_;
  r.rcid = r.revid + 100000;
  r.title = title;
  r.user = user;
  r.at = at - at % 1000;
  const auto size = w.page_sizes.find(title);
  r.created = size == w.page_sizes.end();
  r.old_size = r.created ? 0 : size->second;
  r.new_size = new_size;
  w.page_sizes[title] = new_size;
  const auto u = w.users.find(user);
  r.bot = u != w.users.end() && u->second.bot;
  r.comment = comment;
  w.revisions.push_back(r);
  std::sort(w.revisions.begin(), w.revisions.end(), [](const Revision& a, const Revision& b) {
    return a.at != b.at ? a.at < b.at : a.revid < b.revid;
  });
  return r.revid;
}

void FakeMediaWiki::set_page_size(int n) {
  std::lock_guard<std::mutex> lock(mu_);
  page_size_ = n;
}

void FakeMediaWiki::set_lag(int requests, int retry_after_s) {
  std::lock_guard<std::mutex> lock(mu_);
  lag_requests_ = requests;
  retry_after_s_ = retry_after_s;
}

std::vector<std::string> FakeMediaWiki::revisions(const std::string& wiki, bool bots) const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<std::string> out;
  for (const auto& r : wikis_.at(wiki).revisions) {
    if (bots || !r.bot) out.push_back(std::to_string(r.revid));
  }
  return out;
}

std::vector<std::string> FakeMediaWiki::recent_revisions(const std::string& wiki) const {
  std::lock_guard<std::mutex> lock(mu_);
  const Wiki& w = wikis_.at(wiki);
  const TimeMs now = SystemClock().now();
  std::vector<std::string> out;
  for (const auto& r : w.revisions) {
    if (!r.bot && r.at >= now - w.rc_max_age) out.push_back(std::to_string(r.revid));
  }
  return out;
}

std::vector<std::string> FakeMediaWiki::contributions(const std::string& wiki,
                                                      const std::string& user) const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<std::string> out;
  for (const auto& r : wikis_.at(wiki).revisions) {
    if (r.user == user) out.push_back(std::to_string(r.revid));
  }
  return out;
}

int64_t FakeMediaWiki::bot_edits(const std::string& wiki) const {
  std::lock_guard<std::mutex> lock(mu_);
  int64_t n = 0;
  for (const auto& r : wikis_.at(wiki).revisions) n += r.bot ? 1 : 0;
  return n;
}

int64_t FakeMediaWiki::requests() const {
  std::lock_guard<std::mutex> lock(mu_);
  return requests_;
}

int64_t FakeMediaWiki::calls(const std::string& list) const {
  std::lock_guard<std::mutex> lock(mu_);
  const auto it = calls_.find(list);
  return it == calls_.end() ? 0 : it->second;
}

int64_t FakeMediaWiki::lag_refusals() const {
  std::lock_guard<std::mutex> lock(mu_);
  return lag_refusals_;
}

int64_t FakeMediaWiki::without_maxlag() const {
  std::lock_guard<std::mutex> lock(mu_);
  return without_maxlag_;
}

HttpResponse FakeMediaWiki::handle(const HttpRequest& request) {
  std::lock_guard<std::mutex> lock(mu_);
  ++requests_;
  const std::string path = path_of(request.url);
  const auto parts = split(path, '/');  // "", name, "api.php"
  if (parts.size() != 3 || parts[2] != "api.php" || !wikis_.count(parts[1])) {
    HttpResponse r;
    r.status = 404;
    r.body = "<html><body>Not Found</body></html>";
    r.headers.push_back({"Content-Type", "text/html"});
    return r;
  }
  if (param(request, "maxlag").empty()) ++without_maxlag_;
  if (lag_requests_ > 0) {
    --lag_requests_;
    ++lag_refusals_;
    JsonWriter w;
    w.begin_object().key("error").begin_object().key("code").value("maxlag");
    w.key("info")
        .value("Waiting for 10.0.0.12: 7.5 seconds lagged.")
        .key("host")
        .value("10.0.0.12");
    w.key("lag").value(7.5).key("type").value("db").end_object();
    w.key("servedby").value("fake").end_object();
    return json_reply(w.str(),
                      {{"Retry-After", std::to_string(retry_after_s_)}, {"X-Database-Lag", "7"}});
  }
  if (param(request, "action") != "query" || param(request, "format") != "json" ||
      param(request, "formatversion") != "2")
    return api_error("badvalue", "this fake answers action=query&format=json&formatversion=2");
  return query(wikis_.at(parts[1]), request);
}

HttpResponse FakeMediaWiki::query(const Wiki& w, const HttpRequest& request) {
  const std::string list = param(request, "list");
  const std::string meta = param(request, "meta");
  const TimeMs now = SystemClock().now();
  JsonWriter out;
  out.begin_object().key("batchcomplete").value(true);
  std::string cont_key, cont_value;
  out.key("query").begin_object();
  if (meta == "siteinfo") {
    ++calls_["siteinfo"];
    out.key("general").begin_object();
    out.key("mainpage").value("Hauptseite").key("sitename").value(w.sitename);
    out.key("base").value("http://wiki.invalid/" + w.name + "/index.php/Hauptseite");
    out.key("generator").value("MediaWiki 1.39.10").key("wikiid").value(w.name);
    out.key("scriptpath").value("/" + w.name).key("lang").value("de");
    out.end_object();
    if (param(request, "siprop").find("statistics") != std::string::npos) {
      out.key("statistics").begin_object();
      out.key("pages").value(static_cast<int64_t>(w.page_sizes.size()));
      out.key("articles").value(static_cast<int64_t>(w.page_sizes.size()));
      out.key("edits").value(static_cast<int64_t>(w.revisions.size()));
      out.key("images").value(int64_t{0});
      out.key("users").value(static_cast<int64_t>(w.users.size()));
      out.key("activeusers").value(int64_t{1}).key("admins").value(int64_t{1});
      out.key("jobs").value(int64_t{0}).end_object();
    }
  }
  if (lists(list, "allrevisions")) {
    out.key("allrevisions").begin_array();
    if (!w.revisions.empty()) {
      const Revision& first = w.revisions.front();
      out.begin_object().key("pageid").value(int64_t{1}).key("revisions").begin_array();
      out.begin_object().key("revid").value(first.revid).key("parentid").value(int64_t{0});
      out.key("timestamp").value(iso(first.at)).end_object().end_array();
      out.key("ns").value(int64_t{0}).key("title").value(first.title).end_object();
    }
    out.end_array();
  }
  if (lists(list, "logevents")) {
    out.key("logevents").begin_array();
    TimeMs first = 0;
    for (const auto& [name, u] : w.users) {
      if (first == 0 || u.registration < first) first = u.registration;
    }
    if (first != 0) out.begin_object().key("timestamp").value(iso(first)).end_object();
    out.end_array();
  }
  if (lists(list, "users")) {
    ++calls_["users"];
    out.key("users").begin_array();
    const std::string name = param(request, "ususers");
    const auto u = w.users.find(name);
    if (u == w.users.end()) {
      out.begin_object().key("name").value(name).key("missing").value(true).end_object();
    } else {
      int64_t edits = 0;
      for (const auto& r : w.revisions) edits += r.user == name ? 1 : 0;
      out.begin_object().key("userid").value(u->second.id).key("name").value(name);
      out.key("editcount").value(edits).key("registration").value(iso(u->second.registration));
      out.key("groups").begin_array().value("*").value("user");
      if (u->second.bot) out.value("bot");
      out.end_array().end_object();
    }
    out.end_array();
  }
  const bool rc = lists(list, "recentchanges");
  const bool uc = lists(list, "usercontribs");
  if (rc || uc) {
    ++calls_[rc ? "recentchanges" : "usercontribs"];
    const char* p = rc ? "rc" : "uc";
    const bool newer = param(request, rc ? "rcdir" : "ucdir") == "newer";
    const std::string start_text = param(request, rc ? "rcstart" : "ucstart");
    const std::optional<TimeMs> start =
        start_text.empty() ? std::nullopt : parse_iso8601(start_text);
    const std::string cont = param(request, rc ? "rccontinue" : "uccontinue");
    std::optional<std::pair<TimeMs, int64_t>> from;
    if (!cont.empty()) {
      const auto bar = cont.find('|');
      const auto t = parse_ts_mw(cont.substr(0, bar));
      const auto id = bar == std::string::npos ? std::nullopt : parse_int64(cont.substr(bar + 1));
      if (!t || !id) return api_error("badcontinue", "Invalid continue param.");
      from = std::make_pair(*t, *id);
    }
    int limit =
        static_cast<int>(parse_int64(param(request, rc ? "rclimit" : "uclimit")).value_or(10));
    limit = std::clamp(limit, 1, std::min(500, page_size_));
    const std::string user = param(request, "ucuser");
    std::vector<const Revision*> rows;
    for (const auto& r : w.revisions) {
      if (rc && r.at < now - w.rc_max_age) continue;  // gone from recent changes
      if (uc && r.user != user) continue;
      const int64_t id = rc ? r.rcid : r.revid;
      if (start && (newer ? r.at < *start : r.at > *start)) continue;
      if (from && (newer ? std::make_pair(r.at, id) < *from : std::make_pair(r.at, id) > *from))
        continue;
      rows.push_back(&r);
    }
    if (!newer) std::reverse(rows.begin(), rows.end());
    out.key(rc ? "recentchanges" : "usercontribs").begin_array();
    for (size_t i = 0; i < rows.size() && i < static_cast<size_t>(limit); ++i) {
      const Revision& r = *rows[i];
      out.begin_object();
      if (rc) out.key("type").value(r.created ? "new" : "edit");
      if (uc) out.key("userid").value(w.users.count(r.user) ? w.users.at(r.user).id : int64_t{0});
      out.key("ns").value(int64_t{0}).key("title").value(r.title);
      out.key("pageid").value(int64_t{1}).key("revid").value(r.revid);
      if (rc) {
        out.key("old_revid").value(r.created ? int64_t{0} : r.revid - 1).key("rcid").value(r.rcid);
        out.key("user").value(r.user).key("bot").value(r.bot).key("new").value(r.created);
        out.key("minor")
            .value(false)
            .key("oldlen")
            .value(r.old_size)
            .key("newlen")
            .value(r.new_size);
      } else {
        out.key("user").value(r.user).key("new").value(r.created).key("minor").value(false);
        out.key("sizediff").value(r.new_size - r.old_size);
      }
      out.key("timestamp").value(iso(r.at)).key("comment").value(r.comment);
      out.end_object();
    }
    out.end_array();
    if (rows.size() > static_cast<size_t>(limit)) {
      const Revision& next = *rows[static_cast<size_t>(limit)];
      cont_key = std::string(p) + "continue";
      cont_value = ts_mw(next.at) + "|" + std::to_string(rc ? next.rcid : next.revid);
    }
  }
  out.end_object();
  if (!cont_key.empty()) {
    out.key("continue").begin_object().key(cont_key).value(cont_value);
    out.key("continue").value("-||").end_object();
  }
  out.end_object();
  return json_reply(out.str());
}

}  // namespace muni::test
