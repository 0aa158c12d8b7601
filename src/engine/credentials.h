// The secrets of the running configuration, and the only code that holds
// them. Read once per (re)load from the configured slots ({env:}, {file:},
// $CREDENTIALS_DIRECTORY, inline); attached to requests by the engine as the
// platform's AuthStyle says (bearer header, query parameter, or a signed
// query with the Graph API's appsecret_proof = HMAC-SHA256 of the token
// keyed with the app secret). Connectors, logs, the store, `status` and error
// texts never see a secret: scrub() removes every secret value from any text
// before it leaves the engine.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <utility>

#include "config/config.h"
#include "core/platform.h"
#include "engine/http.h"

namespace muni {

// The default slot of a platform ("credential:") is called "".
using CredentialSlot = std::pair<std::string, std::string>;  // (platform, slot)

class CredentialVault {
 public:
  // Reads every slot of every configured platform. A slot that cannot be
  // read is remembered with its reason (never its value).
  void load(const Config& config);

  bool has(const std::string& platform, const std::string& slot) const;
  // Why the slot cannot be used (missing, unreadable, rejected), if so.
  std::optional<std::string> failure(const std::string& platform, const std::string& slot) const;
  // The platform rejected the slot's secret (HTTP 401/403 with a credential).
  void mark_rejected(const std::string& platform, const std::string& slot, std::string reason);
  void clear_rejected(const std::string& platform, const std::string& slot);

  // Adds the slot's secret to `request` as `style` says (request.credential
  // kPlatform), or as the request itself says. False when the slot has no
  // usable secret (the request then goes out without, or not at all).
  bool attach(HttpRequest& request, const std::string& platform, const std::string& slot,
              const AuthStyle& style) const;

  // `text` with every secret value, plain or URL-encoded, replaced by "[secret]".
  std::string scrub(std::string text) const;

 private:
  std::map<CredentialSlot, std::string> secrets_;
  std::map<CredentialSlot, std::string> failures_;
  std::map<std::string, std::string> app_secrets_;  // platform -> app secret
};

// Lower-case hex HMAC-SHA256 of `message` keyed with `key` (OpenSSL).
std::string hmac_sha256_hex(const std::string& key, const std::string& message);

}  // namespace muni
