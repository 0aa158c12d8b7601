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
// `accounts --history ID`: the account's events over time from the store
// (handle_changed, platform_id_changed, moved, move_verified,
// move_unverified, resolved, history_incomplete, post_restored).
int cmd_account_history(const CommonOptions& o, const std::string& ref);
int cmd_status(const CommonOptions& o);
int cmd_store_compact(const CommonOptions& o);
int cmd_store_backup(const CommonOptions& o, const std::string& destination);
int cmd_store_info(const CommonOptions& o);

}  // namespace muni
