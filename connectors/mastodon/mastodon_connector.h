// Mastodon and servers with the Mastodon client API (GoToSocial, Akkoma,
// Pleroma, Pixelfed where public reads are allowed).
#pragma once

#include <memory>

#include "engine/connector.h"

namespace muni {

// The platform's descriptor: category, handles, limits, work (core/platform.h).
PlatformDescriptor mastodon_platform();
std::unique_ptr<Connector> make_mastodon_connector();

}  // namespace muni
