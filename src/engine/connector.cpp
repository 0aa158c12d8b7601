#include "engine/connector.h"

namespace muni {

std::string_view failure_kind_id(FailureKind f) {
  switch (f) {
    case FailureKind::kNone:
      return "ok";
    case FailureKind::kNotFound:
      return "not_found";
    case FailureKind::kGone:
      return "gone";
    case FailureKind::kSuspended:
      return "suspended";
    case FailureKind::kAuthRequired:
      return "auth_required";
    case FailureKind::kAuthFailed:
      return "auth_failed";
    case FailureKind::kBlocked:
      return "blocked";
    case FailureKind::kMalformed:
      return "malformed";
    case FailureKind::kServerError:
      return "server_error";
    case FailureKind::kInvalidHandle:
      return "invalid_handle";
    case FailureKind::kRefused:
      return "refused";
    case FailureKind::kDuplicate:
      return "duplicate";
    case FailureKind::kNoProgress:
      return "no_progress";
  }
  return "unknown";
}

void ConnectorRegistry::add(std::unique_ptr<Connector> connector) {
  connectors_.push_back(std::move(connector));
}

const Connector* ConnectorRegistry::find(std::string_view platform) const {
  for (const auto& c : connectors_) {
    if (c->platform() == platform) return c.get();
  }
  return nullptr;
}

std::vector<std::string> ConnectorRegistry::platforms() const {
  std::vector<std::string> out;
  for (const auto& c : connectors_) out.emplace_back(c->platform());
  return out;
}

}  // namespace muni
