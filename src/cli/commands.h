// The query and maintenance commands of the `muniscope` executable. Each
// returns the process exit code: 0 ok, 1 runtime error, 2 usage or config
// error. They read the store read-only, except the `store` maintenance
// commands.
#pragma once

#include <string>
#include <vector>

namespace muni {

struct CommonOptions {
  std::string config_path;
  std::string db_override;
  std::string format = "table";
};

int cmd_check_config(const std::string& path);
int cmd_municipalities(const CommonOptions& o);
int cmd_accounts(const CommonOptions& o, const std::string& municipality,
                 const std::string& platform);
int cmd_status(const CommonOptions& o);
int cmd_store_compact(const CommonOptions& o);
int cmd_store_backup(const CommonOptions& o, const std::string& destination);
int cmd_store_info(const CommonOptions& o);

}  // namespace muni
