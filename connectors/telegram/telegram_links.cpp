#include "connectors/telegram/telegram_links.h"

namespace muni {

PlatformLinks telegram_links() {
  PlatformLinks links;
  return links;
}

}  // namespace muni
