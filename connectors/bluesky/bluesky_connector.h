// Bluesky (AT Protocol AppView).
#pragma once

#include <memory>

#include "engine/connector.h"

namespace muni {

// The platform's descriptor: category, handles, limits, work (core/platform.h).
PlatformDescriptor bluesky_platform();
std::unique_ptr<Connector> make_bluesky_connector();

}  // namespace muni
