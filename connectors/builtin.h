// The connectors compiled into muniscope: one explicit list, in builtin.cpp,
// so what a build supports is visible in one place (no static
// self-registration).
#pragma once

#include "engine/connector.h"

namespace muni {

ConnectorRegistry builtin_connectors();

}  // namespace muni
