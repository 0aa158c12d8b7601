// Discourse (participation forums): a forum's topics as items, their posts
// as comments, the municipality's staff answers under the answered rule.
#pragma once

#include <memory>

#include "engine/connector.h"

namespace muni {

PlatformDescriptor discourse_platform();
std::unique_ptr<Connector> make_discourse_connector();

}  // namespace muni
