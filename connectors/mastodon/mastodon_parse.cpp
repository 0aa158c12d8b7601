#include "connectors/mastodon/mastodon_parse.h"

#include <charconv>

#include "core/html_text.h"
#include "core/strings.h"

namespace muni::mastodon {

namespace {

constexpr TimeMs kMastodonEpoch = 1451606400000;  // 2016-01-01: no Mastodon status is older

Error bad(const std::string& what) { return make_error(ErrorCode::kParse, "mastodon: " + what); }

// Ids are strings in the API; some servers have sent numbers. Accept both.
std::optional<std::string> id_of(const JsonValue& obj, std::string_view name) {
  if (auto s = json_string(obj, name)) return s;
  if (auto n = json_int(obj, name)) return std::to_string(*n);
  return std::nullopt;
}

}  // namespace

std::optional<TimeMs> snowflake_time(std::string_view id, std::optional<TimeMs> not_after) {
  uint64_t v = 0;
  const auto [ptr, ec] = std::from_chars(id.data(), id.data() + id.size(), v);
  if (ec != std::errc() || ptr != id.data() + id.size() || id.empty()) return std::nullopt;
  const auto t = static_cast<TimeMs>(v >> 16);
  if (t < kMastodonEpoch) return std::nullopt;  // pre-Snowflake sequential ids (Mastodon < 2.0)
  if (not_after && t > *not_after + kMinuteMs) return std::nullopt;
  return t;
}

std::string error_text(std::string_view body) {
  if (auto doc = parse_json(body); doc.ok() && (*doc)->IsObject()) {
    if (auto e = json_string(**doc, "error")) {
      if (auto d = json_string(**doc, "error_description")) return *e + ": " + *d;
      return *e;
    }
  }
  std::string excerpt(trim(body.substr(0, 160)));
  for (char& c : excerpt) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  return excerpt;
}

std::optional<Home> home_of(std::string_view handle) {
  if (starts_with(handle, "http://") || starts_with(handle, "https://")) {
    auto url = parse_url(handle);
    if (!url || !starts_with(url->path, "/@")) return std::nullopt;
    return Home{url->origin(), url->path.substr(2)};
  }
  const size_t at = handle.find('@');
  if (at == std::string_view::npos || at == 0) return std::nullopt;
  return Home{"https://" + std::string(handle.substr(at + 1)), std::string(handle.substr(0, at))};
}

Result<AccountInfo> parse_account(std::string_view body) {
  MUNI_TRY(auto doc, parse_json(body));
  const JsonValue& a = *doc;
  if (!a.IsObject()) return bad("expected an Account object");
  AccountInfo info;
  auto id = id_of(a, "id");
  auto username = json_string(a, "username");
  if (!id || !username) return bad("Account without id or username");
  info.snapshot.platform_id = *id;
  info.username = *username;
  info.snapshot.handle = json_string(a, "acct").value_or(*username);
  info.snapshot.display_name = json_string(a, "display_name").value_or("");
  info.snapshot.profile_url = json_string(a, "url").value_or("");
  info.snapshot.followers = json_int(a, "followers_count");
  info.snapshot.following = json_int(a, "following_count");
  info.snapshot.posts = json_int(a, "statuses_count");
  if (auto created = json_string(a, "created_at")) {
    info.snapshot.created_at = parse_iso8601(*created);
    // Mastodon >= 3.4 rounds created_at to midnight (entities/Account.md):
    // the day is known, not the time.
    if (info.snapshot.created_at && *info.snapshot.created_at % kDayMs == 0) {
      info.snapshot.created_at_day_precision = true;
    }
  }
  if (auto last = json_string(a, "last_status_at"))
    info.snapshot.last_status_at = parse_iso8601(*last);
  info.suspended = json_bool(a, "suspended").value_or(false);
  info.limited = json_bool(a, "limited").value_or(false);
  info.uri = json_string(a, "uri").value_or("");
  if (const JsonValue* moved = json_object(a, "moved")) {
    info.moved_acct = json_string(*moved, "acct").value_or("");
    info.moved_url = json_string(*moved, "url").value_or("");
    info.moved_username = json_string(*moved, "username").value_or("");
    info.moved_uri = json_string(*moved, "uri").value_or("");
  }
  return info;
}

Result<std::vector<std::string>> parse_actor_aliases(std::string_view body) {
  MUNI_TRY(auto doc, parse_json(body));
  if (!doc->IsObject() || !json_string(*doc, "id")) return bad("expected an ActivityPub actor");
  std::vector<std::string> out;
  const JsonValue* aka = json_member(*doc, "alsoKnownAs");
  if (aka != nullptr && aka->IsString()) {
    out.emplace_back(aka->GetString(), aka->GetStringLength());
  } else if (aka != nullptr && aka->IsArray()) {
    for (const auto& v : aka->GetArray()) {
      if (v.IsString()) out.emplace_back(v.GetString(), v.GetStringLength());
    }
  }
  return out;
}

Result<PostRecord> parse_status(const JsonValue& st, std::string_view own_account_id) {
  if (!st.IsObject()) return bad("expected a Status object");
  PostRecord p;
  auto id = id_of(st, "id");
  if (!id || id->empty()) return bad("Status without id");
  p.platform_post_id = *id;
  // The Snowflake id encodes when the status was made: independent evidence
  // the page guard uses when created_at is implausible.
  p.created_at_evidence = snowflake_time(*id);
  const auto created = json_string(st, "created_at");
  const auto created_at = created ? parse_iso8601(*created) : std::nullopt;
  if (created_at) {
    p.created_at = *created_at;
  } else if (p.created_at_evidence) {
    p.created_at = *p.created_at_evidence;
    p.quality |= kQualityDateCorrected;
  } else {
    return bad("Status " + *id + " has no readable created_at" +
               (created ? " ('" + created->substr(0, 40) + "')" : std::string()) +
               " and its id encodes no time");
  }

  // The status whose content and counts describe the post: the boosted
  // original for a boost, the status itself otherwise.
  const JsonValue* content_status = &st;
  if (const JsonValue* reblog = json_object(st, "reblog")) {
    p.kind = PostKind::kRepost;
    content_status = reblog;
    p.parent_post_id = id_of(*reblog, "id").value_or("");
    if (const JsonValue* author = json_object(*reblog, "account")) {
      p.parent_author_id = id_of(*author, "id").value_or("");
    }
    if (auto t = json_string(*reblog, "created_at")) p.parent_created_at = parse_iso8601(*t);
    p.parent_state = ParentState::kVisible;
  } else if (auto parent = id_of(st, "in_reply_to_id")) {
    p.parent_post_id = *parent;
    p.parent_state = ParentState::kUnknown;
    if (auto parent_account = id_of(st, "in_reply_to_account_id")) {
      p.parent_author_id = *parent_account;
      p.kind = *parent_account == own_account_id ? PostKind::kReplySelf : PostKind::kReplyOther;
    } else {
      p.kind = PostKind::kReplyUnknown;
    }
    // The parent's creation time is encoded in its id: response times need
    // no extra request.
    p.parent_created_at = snowflake_time(*parent, p.created_at);
  }

  // Quotes (Mastodon 4.4+): "quote" is a Quote {state, quoted_status} or a
  // ShallowQuote {state, quoted_status_id} (entities/Quote.md).
  if (p.kind != PostKind::kRepost) {
    if (const JsonValue* quote = json_object(st, "quote")) {
      std::string quoted_id;
      std::string quoted_author;
      std::optional<TimeMs> quoted_created;
      if (const JsonValue* qs = json_object(*quote, "quoted_status")) {
        quoted_id = id_of(*qs, "id").value_or("");
        if (const JsonValue* qa = json_object(*qs, "account"))
          quoted_author = id_of(*qa, "id").value_or("");
        if (auto t = json_string(*qs, "created_at")) quoted_created = parse_iso8601(*t);
      } else if (auto qid = id_of(*quote, "quoted_status_id")) {
        quoted_id = *qid;
      }
      if (!quoted_id.empty()) {
        p.quoted_post_id = quoted_id;
        if (!is_reply(p.kind)) {
          p.kind = PostKind::kQuote;
          p.parent_post_id = quoted_id;
          p.parent_author_id = quoted_author;
          p.parent_created_at =
              quoted_created ? quoted_created : snowflake_time(quoted_id, p.created_at);
          p.parent_state = quoted_author.empty() ? ParentState::kUnknown : ParentState::kVisible;
        }
      }
    }
  }

  const JsonValue& c = *content_status;
  const std::string html = json_string(c, "content").value_or("");
  p.text = html_to_text(html);
  p.url = json_string(c, "url").value_or(json_string(c, "uri").value_or(""));
  p.language = json_string(c, "language").value_or("");
  if (auto edited = json_string(c, "edited_at")) p.edited_at = parse_iso8601(*edited);
  const JsonValue* media = json_array(c, "media_attachments");
  p.has_media = media != nullptr && !media->Empty();
  p.has_link = json_object(c, "card") != nullptr || count_external_links(html) > 0;
  if (const JsonValue* mentions = json_array(c, "mentions")) {
    for (const auto& m : mentions->GetArray()) {
      if (id_of(m, "id").value_or("") != own_account_id) ++p.mentions;
    }
  }
  if (p.kind != PostKind::kRepost) {
    p.engagement.likes = json_int(st, "favourites_count");
    p.engagement.replies = json_int(st, "replies_count");
    p.engagement.reposts = json_int(st, "reblogs_count");
    p.engagement.quotes = json_int(st, "quotes_count");  // 4.5.0+
  }
  return p;
}

StatusCheck read_status_check(int http_status, std::string_view body, std::string_view id,
                              std::string_view own_account_id) {
  StatusCheck out;
  if (http_status == 404 || http_status == 410) {
    // The API's own "not found" is a JSON error object; an HTML page with
    // status 404 comes from a proxy or a misrouted request and proves nothing.
    auto doc = parse_json(body);
    if (doc.ok() && (*doc)->IsObject() && json_string(**doc, "error")) {
      out.verdict = StatusCheck::Verdict::kNotFound;
    } else {
      out.detail = "HTTP " + std::to_string(http_status) + " without the API's error body";
    }
    return out;
  }
  if (http_status != 200) {
    out.detail = "HTTP " + std::to_string(http_status) + " " + error_text(body);
    return out;
  }
  auto doc = parse_json(body);
  if (!doc.ok()) {
    out.detail = doc.error().message;
    return out;
  }
  const JsonValue& st = **doc;
  const JsonValue* account = st.IsObject() ? json_object(st, "account") : nullptr;
  const std::string author = account != nullptr ? id_of(*account, "id").value_or("") : "";
  auto post = parse_status(st, own_account_id);
  if (!post.ok()) {
    out.detail = post.error().message;
  } else if (post->platform_post_id != id) {
    out.detail = "the answer is another status (" + post->platform_post_id.substr(0, 40) + ")";
  } else if (author != own_account_id) {
    out.detail = "the answer is a status of another account";
  } else {
    out.verdict = StatusCheck::Verdict::kShown;
    out.post = std::move(*post);
  }
  return out;
}

Result<ParsedStatuses> parse_statuses(std::string_view body, std::string_view own_account_id) {
  MUNI_TRY(auto doc, parse_json(body));
  if (!doc->IsArray()) return bad("expected an array of statuses");
  ParsedStatuses out;
  out.posts.reserve(doc->Size());
  for (const auto& st : doc->GetArray()) {
    const std::string id = st.IsObject() ? id_of(st, "id").value_or("") : "";
    if (!id.empty()) {
      if (out.first_id.empty()) out.first_id = id;
      out.last_id = id;
    }
    auto p = parse_status(st, own_account_id);
    if (!p.ok()) {
      // One bad status must not stall the other 39 of its page.
      out.skipped.push_back({id, p.error().message});
      continue;
    }
    out.posts.push_back(std::move(*p));
  }
  return out;
}

}  // namespace muni::mastodon
