// Schema migrations of the store. Migration i (0-based) brings a database from
// user_version i to i + 1. Never edit a migration that has shipped; add one.
#pragma once

#include <vector>

namespace muni {

const std::vector<const char*>& schema_migrations();

}  // namespace muni
