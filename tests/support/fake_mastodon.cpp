#include "fake_mastodon.h"

#include <algorithm>

#include "core/json.h"
#include "core/strings.h"

namespace muni::test {

namespace {

HttpResponse json_reply(int status, std::string body) {
  HttpResponse r;
  r.status = status;
  r.body = std::move(body);
  r.headers.push_back({"Content-Type", "application/json; charset=utf-8"});
  return r;
}

std::string path_of(const std::string& url) {
  const size_t scheme = url.find("://");
  const size_t slash = url.find('/', scheme == std::string::npos ? 0 : scheme + 3);
  if (slash == std::string::npos) return "/";
  const std::string rest = url.substr(slash);
  return rest.substr(0, rest.find('?'));
}

}  // namespace

void FakeMastodon::add_account(const std::string& username, const std::string& id,
                               int64_t followers) {
  std::lock_guard<std::mutex> lock(mu_);
  Account& a = by_name_[username];
  a.id = id;
  a.username = username;
  a.followers = followers;
}

std::string FakeMastodon::add_status(const std::string& username, TimeMs created_at, PostKind kind,
                                     const std::string& parent_id,
                                     const std::string& parent_account, int64_t likes) {
  std::lock_guard<std::mutex> lock(mu_);
  Account& a = by_name_.at(username);
  Status s;
  s.id_num = (static_cast<uint64_t>(created_at) << 16) + (++seq_ % 65536);
  s.id = std::to_string(s.id_num);
  s.created_at = created_at;
  s.kind = kind;
  s.parent_id = parent_id;
  s.parent_account = parent_account;
  s.likes = likes;
  a.statuses.push_back(s);
  std::sort(a.statuses.begin(), a.statuses.end(),
            [](const Status& x, const Status& y) { return x.id_num < y.id_num; });
  return s.id;
}

void FakeMastodon::set_likes(const std::string& username, const std::string& id, int64_t likes) {
  std::lock_guard<std::mutex> lock(mu_);
  for (Status& s : by_name_.at(username).statuses) {
    if (s.id == id) s.likes = likes;
  }
}

void FakeMastodon::remove_status(const std::string& username, const std::string& id) {
  std::lock_guard<std::mutex> lock(mu_);
  auto& v = by_name_.at(username).statuses;
  v.erase(std::remove_if(v.begin(), v.end(), [&](const Status& s) { return s.id == id; }), v.end());
}

void FakeMastodon::hide_from_timeline(const std::string& username, const std::string& id) {
  std::lock_guard<std::mutex> lock(mu_);
  by_name_.at(username).hidden.push_back(id);
}

void FakeMastodon::set_moved(const std::string& username, Move move) {
  std::lock_guard<std::mutex> lock(mu_);
  by_name_.at(username).moved = std::move(move);
}

void FakeMastodon::set_also_known_as(const std::string& username,
                                     std::vector<std::string> aliases) {
  std::lock_guard<std::mutex> lock(mu_);
  by_name_.at(username).also_known_as = std::move(aliases);
}

int64_t FakeMastodon::count(const std::string& username, std::optional<PostKind> kind) {
  std::lock_guard<std::mutex> lock(mu_);
  const auto& v = by_name_.at(username).statuses;
  return std::count_if(v.begin(), v.end(),
                       [&](const Status& s) { return !kind || s.kind == *kind; });
}

std::vector<std::string> FakeMastodon::ids(const std::string& username) {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<std::string> out;
  for (const Status& s : by_name_.at(username).statuses) out.push_back(s.id);
  return out;
}

std::string FakeMastodon::account_json(const Account& a) const {
  JsonWriter w;
  w.begin_object()
      .key("id")
      .value(a.id)
      .key("username")
      .value(a.username)
      .key("acct")
      .value(a.username)
      .key("display_name")
      .value("Stadt " + a.username)
      .key("locked")
      .value(false)
      .key("bot")
      .value(false)
      .key("group")
      .value(false)
      .key("created_at")
      .value("2022-11-08T00:00:00.000Z")
      .key("note")
      .value("<p>Offizieller Account</p>")
      .key("url")
      .value(base_ + "/@" + a.username)
      .key("uri")
      .value(base_ + "/users/" + a.username)
      .key("followers_count")
      .value(a.followers)
      .key("following_count")
      .value(int64_t{12})
      .key("statuses_count")
      .value(static_cast<int64_t>(a.statuses.size()));
  if (a.statuses.empty()) {
    w.key("last_status_at").null();
  } else {
    w.key("last_status_at").value(format_iso8601(a.statuses.back().created_at).substr(0, 10));
  }
  w.key("emojis").begin_array().end_array().key("fields").begin_array().end_array();
  if (a.moved) {
    // The target as the old instance describes it (Account.md "moved"): an
    // Account entity of its own.
    const std::string& acct = a.moved->acct;
    w.key("moved")
        .begin_object()
        .key("id")
        .value("113000000000000042")
        .key("username")
        .value(acct.substr(0, acct.find('@')))
        .key("acct")
        .value(acct)
        .key("url")
        .value(a.moved->url)
        .key("uri")
        .value(a.moved->uri)
        .key("followers_count")
        .value(int64_t{0})
        .end_object();
  }
  w.end_object();
  return w.str();
}

// The ActivityPub actor (spec/activitypub.md), with alsoKnownAs.
std::string FakeMastodon::actor_json(const Account& a) const {
  JsonWriter w;
  w.begin_object()
      .key("@context")
      .begin_array()
      .value("https://www.w3.org/ns/activitystreams")
      .end_array()
      .key("id")
      .value(base_ + "/users/" + a.username)
      .key("type")
      .value("Person")
      .key("preferredUsername")
      .value(a.username)
      .key("url")
      .value(base_ + "/@" + a.username)
      .key("alsoKnownAs")
      .begin_array();
  for (const std::string& alias : a.also_known_as) w.value(alias);
  w.end_array().end_object();
  return w.str();
}

std::string FakeMastodon::status_json(const Account& a, const Status& s) const {
  auto fields = [&](JsonWriter& w, const std::string& id, TimeMs created,
                    const std::string& account_id, const std::string& username,
                    const std::string& content, int64_t likes) {
    w.key("id")
        .value(id)
        .key("created_at")
        .value(format_iso8601(created))
        .key("sensitive")
        .value(false)
        .key("spoiler_text")
        .value("")
        .key("visibility")
        .value("public")
        .key("language")
        .value("de")
        .key("uri")
        .value(base_ + "/users/" + username + "/statuses/" + id)
        .key("url")
        .value(base_ + "/@" + username + "/" + id)
        .key("replies_count")
        .value(int64_t{0})
        .key("reblogs_count")
        .value(int64_t{0})
        .key("favourites_count")
        .value(likes)
        .key("quotes_count")
        .value(int64_t{0})
        .key("edited_at")
        .null()
        .key("content")
        .value(content)
        .key("account")
        .begin_object()
        .key("id")
        .value(account_id)
        .key("username")
        .value(username)
        .key("acct")
        .value(username)
        .key("url")
        .value(base_ + "/@" + username)
        .end_object()
        .key("media_attachments")
        .begin_array()
        .end_array()
        .key("mentions")
        .begin_array()
        .end_array()
        .key("tags")
        .begin_array()
        .end_array()
        .key("emojis")
        .begin_array()
        .end_array()
        .key("card")
        .null()
        .key("poll")
        .null()
        .key("quote")
        .null();
  };
  JsonWriter w;
  w.begin_object();
  if (s.kind == PostKind::kRepost) {
    fields(w, s.id, s.created_at, a.id, a.username, "", 0);
    w.key("in_reply_to_id")
        .null()
        .key("in_reply_to_account_id")
        .null()
        .key("reblog")
        .begin_object();
    const std::string original =
        std::to_string((static_cast<uint64_t>(s.created_at - kHourMs) << 16) + 1);
    fields(w, original, s.created_at - kHourMs, s.parent_account, "kreis", "<p>Geteilt</p>", 99);
    w.key("in_reply_to_id")
        .null()
        .key("in_reply_to_account_id")
        .null()
        .key("reblog")
        .null()
        .end_object();
  } else {
    fields(w, s.id, s.created_at, a.id, a.username, "<p>Meldung " + s.id + "</p>", s.likes);
    if (s.parent_id.empty()) {
      w.key("in_reply_to_id").null().key("in_reply_to_account_id").null();
    } else {
      w.key("in_reply_to_id")
          .value(s.parent_id)
          .key("in_reply_to_account_id")
          .value(s.parent_account);
    }
    w.key("reblog").null();
  }
  w.end_object();
  return w.str();
}

HttpResponse FakeMastodon::handle(const HttpRequest& request) {
  std::lock_guard<std::mutex> lock(mu_);
  const std::string path = path_of(request.url);
  const std::string not_found = "{\"error\":\"Record not found\"}";
  if (path == "/api/v1/accounts/lookup") {
    const auto acct = url_query_param(request.url, "acct");
    const auto it = acct ? by_name_.find(*acct) : by_name_.end();
    if (it == by_name_.end()) return json_reply(404, not_found);
    return json_reply(200, account_json(it->second));
  }
  constexpr std::string_view kUsers = "/users/";
  if (starts_with(path, kUsers)) {
    const auto it = by_name_.find(path.substr(kUsers.size()));
    if (it == by_name_.end()) return json_reply(404, not_found);
    HttpResponse r = json_reply(200, actor_json(it->second));
    r.headers[0].value = "application/activity+json; charset=utf-8";
    return r;
  }
  constexpr std::string_view kStatuses = "/api/v1/statuses/";
  if (starts_with(path, kStatuses)) {
    // One status by id; an unknown one answers as Mastodon 4.5 did when
    // Mastodon.py recorded GET /api/v1/statuses/0 (api-samples/mastodon).
    const std::string id = path.substr(kStatuses.size());
    for (const auto& [name, a] : by_name_) {
      for (const Status& st : a.statuses) {
        if (st.id == id) return json_reply(200, status_json(a, st));
      }
    }
    return json_reply(404, "{\"error\":\"Not Found\"}");
  }
  constexpr std::string_view kAccounts = "/api/v1/accounts/";
  if (!starts_with(path, kAccounts)) return json_reply(404, "{\"error\":\"Not Found\"}");
  std::string rest = path.substr(kAccounts.size());
  const bool statuses = ends_with(rest, "/statuses");
  if (statuses) rest = rest.substr(0, rest.size() - 9);
  const Account* account = nullptr;
  for (const auto& [name, a] : by_name_) {
    if (a.id == rest) account = &a;
  }
  if (account == nullptr) return json_reply(404, not_found);
  if (!statuses) return json_reply(200, account_json(*account));
  const int limit = static_cast<int>(std::clamp<int64_t>(
      parse_int64(url_query_param(request.url, "limit").value_or("20")).value_or(20), 1, 40));
  const auto max_id = url_query_param(request.url, "max_id");
  const auto min_id = url_query_param(request.url, "min_id");
  const uint64_t max_num = max_id ? std::stoull(*max_id) : UINT64_MAX;
  const uint64_t min_num = min_id ? std::stoull(*min_id) : 0;
  std::vector<const Status*> candidates;
  for (const Status& s : account->statuses) {
    const bool hidden =
        std::find(account->hidden.begin(), account->hidden.end(), s.id) != account->hidden.end();
    if (s.id_num < max_num && s.id_num > min_num && !hidden) candidates.push_back(&s);  // ascending
  }
  std::vector<const Status*> page;
  if (min_id) {
    // The statuses immediately newer than min_id...
    for (size_t i = 0; i < candidates.size() && static_cast<int>(page.size()) < limit; ++i)
      page.push_back(candidates[i]);
  } else {
    for (size_t i = candidates.size(); i > 0 && static_cast<int>(page.size()) < limit; --i)
      page.push_back(candidates[i - 1]);
  }
  // ...and every page is newest first.
  std::sort(page.begin(), page.end(),
            [](const Status* x, const Status* y) { return x->id_num > y->id_num; });
  std::string body = "[";
  for (size_t i = 0; i < page.size(); ++i) body += (i ? "," : "") + status_json(*account, *page[i]);
  body += "]";
  HttpResponse r = json_reply(200, body);
  if (!page.empty()) {
    const std::string url =
        base_ + "/api/v1/accounts/" + account->id + "/statuses?limit=" + std::to_string(limit);
    std::string link;
    if (static_cast<int>(page.size()) == limit)
      link = "<" + url + "&max_id=" + page.back()->id + ">; rel=\"next\", ";
    link += "<" + url + "&min_id=" + page.front()->id + ">; rel=\"prev\"";
    r.headers.push_back({"Link", link});
  }
  r.headers.push_back({"X-RateLimit-Limit", "300"});
  r.headers.push_back({"X-RateLimit-Remaining", "299"});
  return r;
}

}  // namespace muni::test
