// Lemmy (forum): a municipal community's posts and comment threads, or a
// municipality's person account's posts and comments, read from the home
// instance without a credential.
#pragma once

#include <memory>

#include "engine/connector.h"

namespace muni {

// The platform's descriptor: category, handles, limits, work (core/platform.h).
PlatformDescriptor lemmy_platform();
std::unique_ptr<Connector> make_lemmy_connector();

}  // namespace muni
