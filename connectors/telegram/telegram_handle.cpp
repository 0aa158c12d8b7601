#include "connectors/telegram/telegram_handle.h"

#include <cctype>

#include "connectors/toolkit.h"
#include "core/strings.h"

namespace muni {

namespace {

bool valid_username(std::string_view name) {
  if (name.size() < 5 || name.size() > 32) return false;
  for (const char c : name) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_')) return false;
  }
  return true;
}

}  // namespace

Result<std::string> canonical_telegram_handle(std::string_view raw) {
  std::string_view text = trim(raw);
  for (const std::string_view prefix : {"https://", "http://"}) {
    if (starts_with(text, prefix)) text.remove_prefix(prefix.size());
  }
  if (starts_with(text, "www.")) text.remove_prefix(4);
  bool url = false;
  for (const std::string_view host : {"t.me/", "telegram.me/", "telegram.dog/"}) {
    if (starts_with(to_lower_ascii(text.substr(0, host.size())), host)) {
      text.remove_prefix(host.size());
      url = true;
      break;
    }
  }
  if (url) {
    if (starts_with(text, "+") || starts_with(text, "joinchat/")) {
      return toolkit::handle_error("telegram", raw,
                                   "an invite link names a private channel, which has no public "
                                   "preview; give the public channel's t.me address or @name");
    }
    if (starts_with(text, "s/")) text.remove_prefix(2);
    text = text.substr(0, text.find_first_of("/?#"));
  } else if (starts_with(text, "@")) {
    text.remove_prefix(1);
  }
  if (!valid_username(text)) {
    return toolkit::handle_error("telegram", raw,
                                 "a public channel is @name or https://t.me/name, the name 5-32 "
                                 "letters, digits and _");
  }
  return "@" + to_lower_ascii(text);
}

std::string telegram_channel_name(std::string_view handle) {
  if (starts_with(handle, "@")) handle.remove_prefix(1);
  return std::string(handle);
}

}  // namespace muni
