#include "connectors/telegram/telegram_links.h"

namespace muni {

// Public Telegram channels are t.me/<name> (or telegram.me/<name>); the
// web preview is t.me/s/<name>. t.me/share/url?url=... is Telegram's share
// link; t.me/joinchat/... and t.me/+... are private invitations;
// t.me/<name>/<number> is one message. Public user names: 5 to 32 of a-z,
// 0-9 and '_' (Telegram FAQ, "What can I use as my username?").
PlatformLinks telegram_links() {
  PlatformLinks l;
  l.hosts = {"t.me", "telegram.me"};
  l.patterns = {
      {"", LinkKind::kHome, "", {}},
      {"share/**", LinkKind::kShare, "", {}},
      {"joinchat|+*/**", LinkKind::kPage, "a private invitation link, not a public channel", {}},
      {"s/{}/**", LinkKind::kAccount, "", {}},
      {"*/*/**", LinkKind::kPost, "a message, not the channel (link to the channel instead)", {}},
      {"{}", LinkKind::kAccount, "", {}},
  };
  l.shape = HandleShape{std::string("_"), 5, 32, true};
  // https://www.wikidata.org/wiki/Property:P3789 "Telegram username"
  // (public Wikidata clients map P3789 to Telegram, e.g. the Hebrew
  // Wikipedia's social-links gadget: claim P3789 -> "טלגרם").
  l.wikidata_property = "P3789";
  l.wikidata_label = "Telegram username";
  l.wikidata_source = "https://www.wikidata.org/wiki/Property:P3789";
  return l;
}

}  // namespace muni
