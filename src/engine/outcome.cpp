#include "engine/outcome.h"

namespace muni {

std::string_view outcome_id(Outcome o) {
  switch (o) {
    case Outcome::kOk:
      return "ok";
    case Outcome::kNotModified:
      return "not_modified";
    case Outcome::kInterrupted:
      return "interrupted";
    case Outcome::kRateLimited:
      return "rate_limited";
    case Outcome::kTransportError:
      return "transport_error";
    case Outcome::kServerError:
      return "server_error";
    case Outcome::kStorageError:
      return "storage_error";
    case Outcome::kInternalError:
      return "internal_error";
    case Outcome::kNotFound:
      return "not_found";
    case Outcome::kGone:
      return "gone";
    case Outcome::kSuspended:
      return "suspended";
    case Outcome::kAuthRequired:
      return "auth_required";
    case Outcome::kAuthFailed:
      return "auth_failed";
    case Outcome::kBlocked:
      return "blocked";
    case Outcome::kMalformed:
      return "malformed";
    case Outcome::kInvalidHandle:
      return "invalid_handle";
    case Outcome::kRefused:
      return "refused";
    case Outcome::kDuplicate:
      return "duplicate";
    case Outcome::kNoProgress:
      return "no_progress";
  }
  return "unknown";
}

Outcome outcome_of(FailureKind f) {
  switch (f) {
    case FailureKind::kNone:
      return Outcome::kOk;
    case FailureKind::kNotFound:
      return Outcome::kNotFound;
    case FailureKind::kGone:
      return Outcome::kGone;
    case FailureKind::kSuspended:
      return Outcome::kSuspended;
    case FailureKind::kAuthRequired:
      return Outcome::kAuthRequired;
    case FailureKind::kAuthFailed:
      return Outcome::kAuthFailed;
    case FailureKind::kBlocked:
      return Outcome::kBlocked;
    case FailureKind::kMalformed:
      return Outcome::kMalformed;
    case FailureKind::kServerError:
      return Outcome::kServerError;
    case FailureKind::kInvalidHandle:
      return Outcome::kInvalidHandle;
    case FailureKind::kRefused:
      return Outcome::kRefused;
    case FailureKind::kDuplicate:
      return Outcome::kDuplicate;
    case FailureKind::kNoProgress:
      return Outcome::kNoProgress;
  }
  return Outcome::kMalformed;
}

}  // namespace muni
