// YouTube: the Data API v3 with a key (history, counts, comments, quota),
// the channel feed without (the newest 15 videos).
#pragma once

#include <memory>

#include "engine/connector.h"

namespace muni {

// The platform's descriptor: category, handles, quota, work (core/platform.h).
PlatformDescriptor youtube_platform();
std::unique_ptr<Connector> make_youtube_connector();

}  // namespace muni
