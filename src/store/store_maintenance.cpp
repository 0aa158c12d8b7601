// Online backups.
#include "store/store.h"

#include <SQLiteCpp/Backup.h>
#include <sqlite3.h>

#include <filesystem>

#include "store/store_internal.h"

namespace muni {

using namespace store_detail;

Status Store::backup_to(const std::string& destination) {
  if (std::filesystem::exists(destination)) {
    return make_error(ErrorCode::kIo, destination + " exists; choose a new file name");
  }
  // Copy into a side file and rename it at the end, so a file under the
  // destination name is always a complete backup.
  const std::string partial = destination + ".partial";
  std::error_code ec;
  std::filesystem::remove(partial, ec);
  try {
    {
      SQLite::Database dest(partial, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
      SQLite::Backup backup(dest, *db_);
      // One step copies every page inside one read transaction: in WAL mode
      // the daemon keeps writing meanwhile, and the copy is the snapshot at
      // the step's start. (Copying in small steps would restart whenever
      // the daemon commits, and might never finish on a busy store.)
      int rc;
      while ((rc = backup.executeStep(-1)) == SQLITE_BUSY || rc == SQLITE_LOCKED) sqlite3_sleep(20);
      if (rc != SQLITE_DONE) {
        std::filesystem::remove(partial, ec);
        return make_error(ErrorCode::kStorage, std::string("backup failed: ") + sqlite3_errstr(rc));
      }
    }
    std::filesystem::rename(partial, destination);
  } catch (const std::exception& e) {
    std::filesystem::remove(partial, ec);
    return storage_error("backing up to " + destination, e);
  }
  return ok_status();
}

}  // namespace muni
