#include "engine/credentials.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <cstdio>

#include "core/strings.h"

namespace muni {

std::string hmac_sha256_hex(const std::string& key, const std::string& message) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(message.data()), message.size(), digest, &length);
  std::string hex;
  hex.reserve(length * 2);
  char buf[3];
  for (unsigned int i = 0; i < length; ++i) {
    std::snprintf(buf, sizeof buf, "%02x", digest[i]);
    hex += buf;
  }
  return hex;
}

void CredentialVault::load(const Config& config) {
  secrets_.clear();
  failures_.clear();
  app_secrets_.clear();
  auto read = [&](const std::string& platform, const std::string& slot, const CredentialRef& ref) {
    if (!ref.present()) return;
    auto secret = read_credential(ref);
    if (secret.ok()) {
      secrets_[{platform, slot}] = *secret;
    } else {
      failures_[{platform, slot}] = "credential not available: " + secret.error().message;
    }
  };
  for (const auto& [platform, settings] : config.platforms) {
    read(platform, "", settings.credential);
    for (const auto& [slot, ref] : settings.credential_slots) read(platform, slot, ref);
    if (settings.app_secret.present()) {
      auto secret = read_credential(settings.app_secret);
      if (secret.ok()) {
        app_secrets_[platform] = *secret;
      } else {
        failures_[{platform, ""}] = "app secret not available: " + secret.error().message;
      }
    }
  }
}

bool CredentialVault::has(const std::string& platform, const std::string& slot) const {
  return secrets_.count({platform, slot}) > 0 && !failures_.count({platform, slot});
}

std::optional<std::string> CredentialVault::failure(const std::string& platform,
                                                    const std::string& slot) const {
  const auto it = failures_.find({platform, slot});
  if (it == failures_.end()) return std::nullopt;
  return it->second;
}

void CredentialVault::mark_rejected(const std::string& platform, const std::string& slot,
                                    std::string reason) {
  failures_[{platform, slot}] = scrub(std::move(reason));
}

void CredentialVault::clear_rejected(const std::string& platform, const std::string& slot) {
  // Only rejections are cleared; a secret that could not be read stays failed.
  if (secrets_.count({platform, slot})) failures_.erase({platform, slot});
}

bool CredentialVault::attach(HttpRequest& request, const std::string& platform,
                             const std::string& slot, const AuthStyle& style) const {
  const auto it = secrets_.find({platform, slot});
  if (it == secrets_.end()) return false;
  const std::string& secret = it->second;
  AuthStyle how = style;
  if (request.credential.kind == CredentialUse::Kind::kBearerHeader) {
    how = AuthStyle{AuthStyle::Kind::kBearerHeader, ""};
  } else if (request.credential.kind == CredentialUse::Kind::kQueryParameter) {
    how = AuthStyle{AuthStyle::Kind::kQueryParameter, request.credential.parameter};
  }
  auto add_param = [&](const std::string& name, const std::string& value) {
    request.url += (request.url.find('?') == std::string::npos ? "?" : "&") + name + "=" +
                   url_encode(value);
  };
  switch (how.kind) {
    case AuthStyle::Kind::kNone:
      return false;
    case AuthStyle::Kind::kBearerHeader:
      request.headers.push_back({"Authorization", "Bearer " + secret});
      return true;
    case AuthStyle::Kind::kQueryParameter:
      add_param(how.parameter.empty() ? "key" : how.parameter, secret);
      return true;
    case AuthStyle::Kind::kSignedQuery: {
      add_param(how.parameter.empty() ? "access_token" : how.parameter, secret);
      const auto app = app_secrets_.find(platform);
      if (app != app_secrets_.end())
        add_param("appsecret_proof", hmac_sha256_hex(app->second, secret));
      return true;
    }
  }
  return false;
}

std::string CredentialVault::scrub(std::string text) const {
  auto replace = [&](const std::string& secret) {
    if (secret.size() < 4) return;
    for (const std::string& form : {secret, url_encode(secret)}) {
      for (size_t at = text.find(form); at != std::string::npos; at = text.find(form, at))
        text.replace(at, form.size(), "[secret]");
    }
  };
  for (const auto& [slot, secret] : secrets_) replace(secret);
  for (const auto& [platform, secret] : app_secrets_) replace(secret);
  return text;
}

}  // namespace muni
