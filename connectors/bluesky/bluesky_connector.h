// Bluesky (AT Protocol AppView).
#pragma once

#include <memory>

#include "engine/connector.h"

namespace muni {

std::unique_ptr<Connector> make_bluesky_connector();

}  // namespace muni
