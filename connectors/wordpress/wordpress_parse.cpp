#include "connectors/wordpress/wordpress_parse.h"

#include <algorithm>

#include "core/html_text.h"
#include "core/json.h"
#include "core/strings.h"
#include "core/time_util.h"

namespace muni::wordpress {

namespace {

Error bad(const std::string& what) { return make_error(ErrorCode::kParse, "wordpress: " + what); }

// Ids are JSON integers; a server that writes them as strings is read too.
std::optional<std::string> id_of(const JsonValue& obj, std::string_view name) {
  if (const auto n = json_int(obj, name)) return std::to_string(*n);
  if (auto s = json_string(obj, name); s && parse_int64(*s)) return s;
  return std::nullopt;
}

// {"rendered": "..."} as WordPress writes title, content and excerpt.
std::string rendered(const JsonValue& obj, std::string_view name) {
  const JsonValue* o = json_object(obj, name);
  if (o == nullptr) return json_string(obj, name).value_or("");
  return json_string(*o, "rendered").value_or("");
}

bool has_media_markup(std::string_view html) {
  for (const std::string_view tag : {"<img", "<video", "<audio", "<iframe", "<figure"}) {
    if (html.find(tag) != std::string_view::npos) return true;
  }
  return false;
}

bool starts_like_json(std::string_view body) {
  const std::string_view t = trim(body);
  return !t.empty() && (t.front() == '{' || t.front() == '[');
}

}  // namespace

Result<Posts> parse_posts(std::string_view body) {
  MUNI_TRY(auto doc, parse_json(body));
  if (!doc->IsArray()) return bad("expected a JSON array of posts");
  Posts out;
  for (const auto& it : doc->GetArray()) {
    if (!it.IsObject()) {
      out.skipped.push_back({"", "an entry of the posts array is not an object"});
      continue;
    }
    const auto id = id_of(it, "id");
    if (!id) {
      out.skipped.push_back({"", "a post without an id"});
      continue;
    }
    // date_gmt is UTC written without a zone; `date` is the site's local
    // time and never used (it would shift every post by the site's offset).
    const auto gmt = json_string(it, "date_gmt");
    const auto created = gmt ? parse_iso8601_utc(*gmt) : std::nullopt;
    if (!created) {
      out.skipped.push_back({*id, "no readable date_gmt"});
      continue;
    }
    PostRecord p;
    p.platform_post_id = *id;
    p.item_type = kItemArticle;
    p.created_at = *created;
    // The local `date` is no time of its own (no zone), but it is
    // independent evidence within the site's offset (at most 14 h): the page
    // guard falls back to it, flagged as corrected, when date_gmt is
    // implausible (9999-12-31, 0001-01-01), and never otherwise.
    if (const auto local = json_string(it, "date"))
      p.created_at_evidence = parse_iso8601_utc(*local);
    const auto modified_gmt = json_string(it, "modified_gmt");
    const auto modified = modified_gmt ? parse_iso8601_utc(*modified_gmt) : std::nullopt;
    if (modified && *modified > *created) p.edited_at = modified;
    p.title = html_to_text(rendered(it, "title"));
    const std::string content = rendered(it, "content");
    p.text = html_to_text(content);
    p.url = json_string(it, "link").value_or("");
    p.has_link = count_external_links(content) > 0;
    p.has_media = json_int(it, "featured_media").value_or(0) > 0 || has_media_markup(content);
    if (const auto author = id_of(it, "author"); author && *author != "0")
      out.authors.insert(*author);
    if (const auto status = json_string(it, "comment_status")) out.comment_status[*id] = *status;
    out.posts.push_back(std::move(p));
  }
  return out;
}

Result<std::map<std::string, std::string>> parse_comment_status(std::string_view body) {
  MUNI_TRY(auto doc, parse_json(body));
  if (!doc->IsArray()) return bad("expected a JSON array of posts");
  std::map<std::string, std::string> out;
  for (const auto& it : doc->GetArray()) {
    if (!it.IsObject()) continue;
    const auto id = id_of(it, "id");
    const auto status = json_string(it, "comment_status");
    if (id && status) out[*id] = *status;
  }
  return out;
}

int count_entries(std::string_view body) {
  auto doc = parse_json(body);
  if (!doc.ok() || !(*doc)->IsArray()) return 0;
  return static_cast<int>((*doc)->Size());
}

bool Staff::is_staff(int64_t author, std::string_view author_name) const {
  if (author > 0 && user_ids.count(std::to_string(author)) > 0) return true;
  const std::string_view name = trim(author_name);
  if (name.empty()) return false;
  return std::any_of(names.begin(), names.end(),
                     [&](const std::string& n) { return iequals(n, name); });
}

Result<Comments> parse_comments(std::string_view body, const Staff& staff) {
  MUNI_TRY(auto doc, parse_json(body));
  if (!doc->IsArray()) return bad("expected a JSON array of comments");
  Comments out;
  for (const auto& it : doc->GetArray()) {
    if (!it.IsObject()) {
      out.skipped.push_back({"", "an entry of the comments array is not an object"});
      continue;
    }
    const auto id = id_of(it, "id");
    if (!id) {
      out.skipped.push_back({"", "a comment without an id"});
      continue;
    }
    const int64_t n = parse_int64(*id).value_or(0);
    out.last_id = std::max(out.last_id, n);
    if (out.first_id == 0 || (n > 0 && n < out.first_id)) out.first_id = n;
    // Unauthenticated answers hold approved comments only; anything else
    // (a hostile or misconfigured server) is not public dialogue.
    if (const auto status = json_string(it, "status"); status && *status != "approved") continue;
    const auto gmt = json_string(it, "date_gmt");
    const auto created = gmt ? parse_iso8601_utc(*gmt) : std::nullopt;
    if (!created) {
      out.skipped.push_back({*id, "no readable date_gmt"});
      continue;
    }
    CommentRecord c;
    c.platform_comment_id = *id;
    c.on_post_id = id_of(it, "post").value_or("");
    const std::string parent = id_of(it, "parent").value_or("0");
    if (parent != "0") c.reply_to_comment_id = parent;
    const int64_t author = json_int(it, "author").value_or(0);
    const std::string name = json_string(it, "author_name").value_or("");
    c.author_id = author > 0 ? std::to_string(author) : "guest:" + std::string(trim(name));
    c.by_account = staff.is_staff(author, name);
    c.created_at = *created;
    c.text = html_to_text(rendered(it, "content"));
    out.comments.push_back(std::move(c));
  }
  return out;
}

Result<std::vector<std::string>> parse_comment_post_ids(std::string_view body) {
  MUNI_TRY(auto doc, parse_json(body));
  if (!doc->IsArray()) return bad("expected a JSON array of comments");
  std::vector<std::string> out;
  for (const auto& it : doc->GetArray()) {
    if (!it.IsObject()) continue;
    if (const auto status = json_string(it, "status"); status && *status != "approved") continue;
    if (auto post = id_of(it, "post")) out.push_back(std::move(*post));
  }
  return out;
}

Paging parse_paging(const std::optional<std::string>& total,
                    const std::optional<std::string>& total_pages) {
  Paging p;
  // Beyond 10^12 no site has posts or pages (the page guard's bound for
  // counts): such a header says nothing.
  constexpr int64_t kMaxPlausible = 1'000'000'000'000LL;
  if (total) p.total = parse_int64(trim(*total));
  if (total_pages) p.total_pages = parse_int64(trim(*total_pages));
  if (p.total && (*p.total < 0 || *p.total > kMaxPlausible)) p.total.reset();
  if (p.total_pages && (*p.total_pages < 0 || *p.total_pages > kMaxPlausible))
    p.total_pages.reset();
  return p;
}

std::optional<ApiError> parse_error(std::string_view body) {
  if (!starts_like_json(body)) return std::nullopt;
  auto doc = parse_json(body);
  if (!doc.ok() || !(*doc)->IsObject()) return std::nullopt;
  const auto code = json_string(**doc, "code");
  if (!code) return std::nullopt;
  return ApiError{*code, json_string(**doc, "message").value_or("")};
}

bool is_past_last_page(int status, std::string_view body) {
  if (status != 400) return false;
  const auto e = parse_error(body);
  return e && ends_with(e->code, "_invalid_page_number");
}

std::optional<RestOff> rest_off(int status, std::string_view body) {
  const auto e = parse_error(body);
  const std::string detail =
      e ? " " + e->code + (e->message.empty() ? "" : " (" + e->message.substr(0, 200) + ")") : "";
  const std::string http = "HTTP " + std::to_string(status);
  if (status == 401 || status == 403) return RestOff{http + detail, false};
  if (status == 404) {
    if (e && e->code == "rest_no_route") return RestOff{http + detail, false};
    if (!starts_like_json(body)) return RestOff{http + " with a web page, not JSON", true};
    return std::nullopt;  // a JSON 404 of the API itself
  }
  if (status == 200 && !starts_like_json(body))
    return RestOff{http + " with a web page instead of JSON", false};
  return std::nullopt;
}

std::string post_id_from_guid(std::string_view guid) {
  const size_t q = guid.rfind("p=");
  if (q == std::string_view::npos || q == 0 || (guid[q - 1] != '?' && guid[q - 1] != '&'))
    return "";
  const std::string_view digits = guid.substr(q + 2);
  if (digits.empty() || digits.size() > 18) return "";
  for (const char c : digits) {
    if (c < '0' || c > '9') return "";
  }
  return std::string(digits);
}

std::vector<std::string> staff_names_for(std::string_view setting, std::string_view site_host) {
  std::vector<std::string> out;
  for (const std::string& part : split(setting, ',')) {
    std::string_view entry = trim(part);
    const size_t eq = entry.find('=');
    if (eq != std::string_view::npos) {
      if (!iequals(trim(entry.substr(0, eq)), site_host)) continue;
      entry = trim(entry.substr(eq + 1));
    }
    if (!entry.empty()) out.emplace_back(entry);
  }
  return out;
}

}  // namespace muni::wordpress
