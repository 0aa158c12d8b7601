#include "connectors/mediawiki/mediawiki_parse.h"

#include <algorithm>

#include "core/json.h"
#include "core/strings.h"
#include "core/time_util.h"

namespace muni::mediawiki {

namespace {

Error malformed(const std::string& what) { return make_error(ErrorCode::kParse, what); }

std::optional<TimeMs> json_time(const JsonValue& obj, std::string_view name) {
  auto s = json_string(obj, name);
  if (!s) return std::nullopt;
  return parse_iso8601(*s);
}

// The first element of query.<list>, if the list has one.
const JsonValue* first_of(const JsonValue& query, std::string_view list) {
  const JsonValue* a = json_array(query, list);
  if (a == nullptr || a->Empty() || !(*a)[0].IsObject()) return nullptr;
  return &(*a)[0];
}

bool flag(const JsonValue& obj, std::string_view name) {
  // formatversion=2 writes flags as booleans; formatversion=1 as "" when set.
  const JsonValue* v = json_member(obj, name);
  if (v == nullptr) return false;
  if (v->IsBool()) return v->GetBool();
  return v->IsString();
}

bool continue_key(const std::string& key) {
  if (key.empty() || key.size() > 40 || !ends_with(key, "continue")) return false;
  return std::all_of(key.begin(), key.end(), [](char c) { return c >= 'a' && c <= 'z'; });
}

}  // namespace

std::optional<ApiError> parse_error(std::string_view body) {
  auto doc = parse_json(body);
  if (!doc.ok() || !(*doc)->IsObject()) return std::nullopt;
  const JsonValue* e = json_object(**doc, "error");
  if (e == nullptr) return std::nullopt;
  ApiError err;
  err.code = json_string(*e, "code").value_or("");
  err.info = json_string(*e, "info").value_or("");
  err.lag = json_number(*e, "lag");
  if (err.code.empty()) err.code = "unknown";
  return err;
}

std::string continue_query(const std::map<std::string, std::string>& values) {
  std::string q;
  for (const auto& [k, v] : values) {
    if (!continue_key(k) || v.size() > 1000) continue;
    q += "&" + k + "=" + url_encode(v);
  }
  // Only the generic "continue" and nothing to continue: the list is done.
  if (q.find("continue=") == std::string::npos) return "";
  bool specific = false;
  for (const auto& [k, v] : values) {
    if (continue_key(k) && k != "continue") specific = true;
  }
  return specific ? q : "";
}

std::string size_change_text(std::optional<int64_t> delta) {
  if (!delta) return "?";
  if (*delta > 0) return "+" + std::to_string(*delta);
  return std::to_string(*delta);
}

Result<SiteInfo> parse_siteinfo(std::string_view body) {
  auto doc = parse_json(body);
  if (!doc.ok()) return doc.error();
  const JsonValue& root = **doc;
  const JsonValue* query = root.IsObject() ? json_object(root, "query") : nullptr;
  const JsonValue* general = query != nullptr ? json_object(*query, "general") : nullptr;
  if (general == nullptr) return malformed("siteinfo: no query.general in the answer");
  SiteInfo info;
  AccountSnapshot& s = info.snapshot;
  s.platform_id = json_string(*general, "wikiid").value_or("");
  s.display_name = json_string(*general, "sitename").value_or("");
  s.profile_url = json_string(*general, "base").value_or("");
  info.generator = json_string(*general, "generator").value_or("");
  if (const JsonValue* st = json_object(*query, "statistics")) {
    s.posts = json_count(*st, "edits");
    for (const char* name : {"pages", "articles", "images", "users", "activeusers"}) {
      s.counters.push_back({name, json_count(*st, name), CountPrecision::kExact});
    }
  }
  if (const JsonValue* page = first_of(*query, "allrevisions")) {
    if (const JsonValue* revs = json_array(*page, "revisions");
        revs && !revs->Empty() && (*revs)[0].IsObject())
      info.first_edit = json_time((*revs)[0], "timestamp");
  }
  if (const JsonValue* log = first_of(*query, "logevents"))
    info.first_user = json_time(*log, "timestamp");
  if (info.first_edit || info.first_user) {
    s.created_at =
        std::min(info.first_edit.value_or(INT64_MAX), info.first_user.value_or(INT64_MAX));
  }
  return info;
}

Result<UserInfo> parse_user(std::string_view body) {
  auto doc = parse_json(body);
  if (!doc.ok()) return doc.error();
  const JsonValue& root = **doc;
  const JsonValue* query = root.IsObject() ? json_object(root, "query") : nullptr;
  const JsonValue* u = query != nullptr ? first_of(*query, "users") : nullptr;
  if (u == nullptr) return malformed("users: no query.users[0] in the answer");
  UserInfo info;
  info.missing = flag(*u, "missing");
  info.invalid = flag(*u, "invalid");
  AccountSnapshot& s = info.snapshot;
  if (auto id = json_int(*u, "userid")) s.platform_id = std::to_string(*id);
  s.handle = json_string(*u, "name").value_or("");
  s.posts = json_count(*u, "editcount");
  s.created_at = json_time(*u, "registration");
  if (const JsonValue* g = json_array(*u, "groups")) {
    for (const auto& v : g->GetArray()) {
      if (v.IsString()) info.groups.emplace_back(v.GetString(), v.GetStringLength());
    }
  }
  info.bot = std::find(info.groups.begin(), info.groups.end(), "bot") != info.groups.end();
  if (const JsonValue* general = json_object(*query, "general"))
    s.display_name = json_string(*general, "sitename").value_or("");
  if (!info.missing && !info.invalid && s.platform_id.empty())
    return malformed("users: the user has neither an id nor \"missing\"");
  return info;
}

Result<Changes> parse_changes(std::string_view body, ListKind kind, const std::string& script_url) {
  auto doc = parse_json(body);
  if (!doc.ok()) return doc.error();
  const JsonValue& root = **doc;
  if (!root.IsObject()) return malformed("the answer is not a JSON object");
  const char* list = kind == ListKind::kRecentChanges ? "recentchanges" : "usercontribs";
  const JsonValue* query = json_object(root, "query");
  const JsonValue* items = query != nullptr ? json_array(*query, list) : nullptr;
  if (items == nullptr) {
    // formatversion=2 sends an empty list as []; an answer without the list
    // at all is no answer to the question.
    return malformed(std::string("no query.") + list + " in the answer");
  }
  Changes out;
  if (const JsonValue* c = json_object(root, "continue")) {
    std::map<std::string, std::string> values;
    for (const auto& m : c->GetObject()) {
      if (m.value.IsString())
        values[std::string(m.name.GetString(), m.name.GetStringLength())] =
            std::string(m.value.GetString(), m.value.GetStringLength());
    }
    out.continue_query = continue_query(values);
  }
  for (const auto& e : items->GetArray()) {
    if (!e.IsObject()) {
      out.skipped.push_back({"", "an entry that is not an object"});
      continue;
    }
    const auto revid = json_int(e, "revid");
    const std::string key = revid ? std::to_string(*revid) : "";
    bool created = false;
    std::optional<int64_t> delta;
    int64_t order = 0;
    if (kind == ListKind::kRecentChanges) {
      const std::string type = json_string(e, "type").value_or("");
      if (type != "edit" && type != "new") continue;  // log, categorize, external: no edit
      created = type == "new";
      order = json_int(e, "rcid").value_or(0);
      const auto newlen = json_int(e, "newlen");
      const auto oldlen = json_int(e, "oldlen");
      if (newlen && oldlen) delta = *newlen - *oldlen;
    } else {
      created = flag(e, "new");
      order = revid.value_or(0);
      delta = json_int(e, "sizediff");
    }
    const auto at = json_time(e, "timestamp");
    if (!revid || *revid <= 0 || !at) {
      out.skipped.push_back(
          {key, !revid || *revid <= 0 ? "no revision id" : "no readable timestamp"});
      continue;
    }
    const bool bot = kind == ListKind::kRecentChanges && flag(e, "bot");
    out.seen.push_back({key, *at, order, bot});
    if (bot) {
      ++out.bot_edits;
      continue;
    }
    PostRecord p;
    p.platform_post_id = key;
    p.item_type = created ? kItemWikiPageCreated : kItemWikiEdit;
    p.title = json_string(e, "title").value_or("");
    p.created_at = *at;
    p.url = script_url + "index.php?" + (created ? "oldid=" : "diff=") + key;
    std::string user = json_string(e, "user").value_or("");
    if (flag(e, "userhidden") || user.empty()) user = "(hidden user)";
    std::string text = size_change_text(delta) + " bytes by " + user;
    const std::string comment =
        flag(e, "commenthidden") ? "" : json_string(e, "comment").value_or("");
    if (!comment.empty()) text += ": " + comment;
    p.text = std::move(text);
    p.kind = PostKind::kOriginal;
    out.posts.push_back(std::move(p));
  }
  return out;
}

}  // namespace muni::mediawiki
