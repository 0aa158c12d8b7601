// WordPress sites (blogs, municipal news and press pages): the REST API's
// posts and comments, or the site's feed where the REST API is switched off.
#pragma once

#include <memory>

#include "engine/connector.h"

namespace muni {

PlatformDescriptor wordpress_platform();
std::unique_ptr<Connector> make_wordpress_connector();

}  // namespace muni
