#include "connectors/toolkit.h"

#include <algorithm>

#include "core/json.h"
#include "core/strings.h"

namespace muni::toolkit {

HttpRequest get(std::string url, std::string_view accept) {
  HttpRequest r;
  r.url = std::move(url);
  r.headers.push_back({"Accept", std::string(accept)});
  return r;
}

HttpRequest conditional_get(std::string url, std::string_view accept) {
  HttpRequest r = get(std::move(url), accept);
  r.conditional = true;
  return r;
}

CursorJson CursorJson::parse(std::string_view text) {
  CursorJson c;
  if (text.empty()) return c;
  auto doc = parse_json(text);
  if (!doc.ok() || !(*doc)->IsObject()) return c;
  for (const auto& m : (*doc)->GetObject()) {
    const std::string key(m.name.GetString(), m.name.GetStringLength());
    if (m.value.IsString()) {
      c.strings_[key] = std::string(m.value.GetString(), m.value.GetStringLength());
    } else if (m.value.IsInt64()) {
      c.numbers_[key] = m.value.GetInt64();
    }
  }
  return c;
}

std::string CursorJson::str(const std::string& key) const {
  const auto it = strings_.find(key);
  return it == strings_.end() ? std::string() : it->second;
}

int64_t CursorJson::num(const std::string& key, int64_t fallback) const {
  return opt_num(key).value_or(fallback);
}

std::optional<int64_t> CursorJson::opt_num(const std::string& key) const {
  const auto it = numbers_.find(key);
  if (it == numbers_.end()) return std::nullopt;
  return it->second;
}

bool CursorJson::has(const std::string& key) const {
  return strings_.count(key) > 0 || numbers_.count(key) > 0;
}

CursorJson& CursorJson::set(const std::string& key, std::string value) {
  numbers_.erase(key);
  strings_[key] = std::move(value);
  return *this;
}

CursorJson& CursorJson::set(const std::string& key, int64_t value) {
  strings_.erase(key);
  numbers_[key] = value;
  return *this;
}

CursorJson& CursorJson::set(const std::string& key, std::optional<int64_t> value) {
  if (value) return set(key, *value);
  return erase(key);
}

CursorJson& CursorJson::erase(const std::string& key) {
  strings_.erase(key);
  numbers_.erase(key);
  return *this;
}

std::string CursorJson::dump() const {
  std::map<std::string, const std::string*> strings;
  for (const auto& [k, v] : strings_) {
    if (!v.empty()) strings[k] = &v;
  }
  JsonWriter w;
  w.begin_object();
  auto s = strings.begin();
  auto n = numbers_.begin();
  while (s != strings.end() || n != numbers_.end()) {
    if (n == numbers_.end() || (s != strings.end() && s->first < n->first)) {
      w.key(s->first).value(*s->second);
      ++s;
    } else {
      w.key(n->first).value(n->second);
      ++n;
    }
  }
  w.end_object();
  return w.str();
}

StepResult fail_for_status(const HttpResponse& r, const std::string& what,
                           const std::string& detail) {
  std::string msg = what + ": HTTP " + std::to_string(r.status);
  if (!detail.empty()) msg += " " + detail;
  switch (r.status) {
    case 404:
      return StepResult::fail(FailureKind::kNotFound, msg, r.status);
    case 410:
      return StepResult::fail(FailureKind::kGone, msg, r.status);
    case 401:
    case 403:
      return StepResult::fail(FailureKind::kAuthRequired, msg, r.status);
    default:
      return StepResult::fail(FailureKind::kMalformed, msg, r.status);
  }
}

Error handle_error(std::string_view platform, std::string_view raw, std::string_view why) {
  return make_error(ErrorCode::kInvalidArgument, std::string(platform) + " handle '" +
                                                     std::string(raw) +
                                                     "' is not valid: " + std::string(why));
}

bool is_schemeless_url(std::string_view text) {
  const size_t slash = text.find('/');
  if (text.find("://") != std::string_view::npos) return false;
  return slash != std::string_view::npos && slash > 0 && slash < text.find('@');
}

std::optional<std::string> host_key(std::string_view url) {
  const auto parts = parse_url(url);
  if (!parts) return std::nullopt;
  return parts->host + (parts->port ? ":" + std::to_string(parts->port) : std::string());
}

EmptyFirstPage empty_first_page(std::optional<int64_t> posts_count, int empty_polls,
                                std::string_view what, std::string_view items,
                                std::string_view why_hidden) {
  EmptyFirstPage v;
  if (posts_count && *posts_count == 0) {
    v.state = BackfillState::kComplete;
    v.note = "the account has no " + std::string(items);
    return v;
  }
  const std::string count = posts_count ? std::to_string(*posts_count) + " " + std::string(items)
                                        : "an unknown number of " + std::string(items);
  const std::string hidden = why_hidden.empty() ? "" : " (" + std::string(why_hidden) + ")";
  if (empty_polls >= kEmptyPollsBeforeIncomplete) {
    v.state = BackfillState::kIncomplete;
    v.note = "the " + std::string(what) + " came back empty " + std::to_string(empty_polls) +
             " times although the profile reports " + count + hidden +
             "; asked again on every poll";
  } else {
    v.state = BackfillState::kPending;
    v.note = "the " + std::string(what) + " came back empty although the profile reports " + count +
             "; asking again next poll";
  }
  return v;
}

}  // namespace muni::toolkit
