// Telegram public channels, read through the web preview t.me/s/<channel>:
// no login, no key.
#pragma once

#include <memory>

#include "engine/connector.h"

namespace muni {

// The platform's descriptor: category, handles, limits, work (core/platform.h).
PlatformDescriptor telegram_platform();
std::unique_ptr<Connector> make_telegram_connector();

}  // namespace muni
