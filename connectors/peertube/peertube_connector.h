// PeerTube (content community): an account's or a video channel's videos,
// counts and comment threads, read from the actor's home instance without a
// credential.
#pragma once

#include <memory>

#include "engine/connector.h"

namespace muni {

// The platform's descriptor: category, handles, limits, work (core/platform.h).
PlatformDescriptor peertube_platform();
std::unique_ptr<Connector> make_peertube_connector();

}  // namespace muni
