// The platforms and connectors of this build: one explicit list, in
// builtin.cpp, so what a build supports is visible in one place (no static
// self-registration).
#pragma once

#include "engine/connector.h"

namespace muni {

// Fills platform_registry() with every platform's descriptor. Call once at
// start-up, before any configuration is read (main, test and bench mains).
void register_builtin_platforms();

// The connectors compiled in.
ConnectorRegistry builtin_connectors();

}  // namespace muni
