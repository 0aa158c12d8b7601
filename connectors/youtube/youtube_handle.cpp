#include "connectors/youtube/youtube_handle.h"

#include <cctype>

#include "connectors/toolkit.h"
#include "core/strings.h"

namespace muni {

namespace {

bool valid_handle_name(std::string_view h) {
  // YouTube handles: 3-30 characters, letters, digits, '_', '-', '.'.
  if (h.size() < 3 || h.size() > 30) return false;
  for (const char c : h) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.'))
      return false;
  }
  return true;
}

}  // namespace

bool is_youtube_channel_id(std::string_view id) {
  if (id.size() != 24 || !starts_with(id, "UC")) return false;
  for (const char c : id) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-')) return false;
  }
  return true;
}

Result<std::string> canonical_youtube_handle(std::string_view raw) {
  std::string_view text = trim(raw);
  for (const std::string_view prefix : {"https://", "http://"}) {
    if (starts_with(text, prefix)) text.remove_prefix(prefix.size());
  }
  for (const std::string_view prefix : {"www.", "m."}) {
    if (starts_with(text, prefix)) text.remove_prefix(prefix.size());
  }
  const bool url = starts_with(text, "youtube.com/");
  if (url) text.remove_prefix(12);
  const std::string_view path = text.substr(0, text.find_first_of("/?#"));
  auto with_rest = [&](std::string_view prefix) {
    std::string_view r = text.substr(prefix.size());
    return r.substr(0, r.find_first_of("/?#"));
  };
  if (url && starts_with(text, "channel/")) text = with_rest("channel/");
  else if (url && starts_with(text, "user/")) return "user:" + std::string(with_rest("user/"));
  else if (url && starts_with(text, "c/"))
    return toolkit::handle_error("youtube", raw,
                                 "youtube.com/c/ custom addresses cannot be resolved through the "
                                 "API; give the channel id (UC...) or the @handle");
  else if (url) text = path;
  if (starts_with(text, "user:")) {
    const std::string_view name = text.substr(5);
    if (name.empty()) return toolkit::handle_error("youtube", raw, "user: needs a name");
    return "user:" + std::string(name);
  }
  if (starts_with(text, "@")) {
    const std::string_view name = text.substr(1);
    if (!valid_handle_name(name))
      return toolkit::handle_error("youtube", raw, "a handle is @ and 3-30 letters, digits, _ - .");
    return "@" + to_lower_ascii(name);
  }
  if (is_youtube_channel_id(text)) return std::string(text);
  return toolkit::handle_error(
      "youtube", raw,
      "give a channel id (UC and 22 characters), an @handle, user:Name or a youtube.com address");
}

}  // namespace muni
