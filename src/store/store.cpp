// Opening a store: the file, its migrations, meta values.
#include "store/store.h"

#include <SQLiteCpp/Statement.h>
#include <SQLiteCpp/Transaction.h>
#include <sqlite3.h>

#include <filesystem>

#include "store/schema.h"

#include "store/store_internal.h"

namespace muni {

using namespace store_detail;


Result<std::unique_ptr<Store>> Store::open(const std::string& path, OpenMode mode) {
  try {
    if (mode == OpenMode::kReadOnly && !std::filesystem::exists(path)) {
      return make_error(
          ErrorCode::kNotFound,
          "no store at " + path + " (run `muniscope poll --once` or the daemon first)");
    }
    if (mode == OpenMode::kReadWrite) {
      const auto parent = std::filesystem::path(path).parent_path();
      if (!parent.empty()) std::filesystem::create_directories(parent);
    }
    const int flags = mode == OpenMode::kReadOnly ? SQLite::OPEN_READONLY
                                                  : (SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
    auto db = std::make_unique<SQLite::Database>(path, flags, 5000);
    std::unique_ptr<Store> store(new Store(path, std::move(db)));
    SQLite::Database& d = *store->db_;
    d.exec("PRAGMA foreign_keys = ON");
    if (mode == OpenMode::kReadWrite) {
      // auto_vacuum must be chosen before the first table exists; on an
      // existing file this is a no-op unless it is empty.
      d.exec("PRAGMA auto_vacuum = INCREMENTAL");
      d.exec("PRAGMA journal_mode = WAL");
      d.exec("PRAGMA synchronous = NORMAL");
      d.exec("PRAGMA temp_store = MEMORY");
      MUNI_TRY_STATUS(store->migrate());
    } else {
      const int version = store->schema_version();
      if (version == 0)
        return make_error(ErrorCode::kStorage,
                          path + " is not a muniscope store (schema version 0)");
      if (version > kSchemaVersion) {
        return make_error(ErrorCode::kStorage,
                          path + " has schema version " + std::to_string(version) +
                              ", newer than this muniscope understands (" +
                              std::to_string(kSchemaVersion) + "); upgrade muniscope");
      }
      if (version < kSchemaVersion) {
        return make_error(ErrorCode::kStorage, path + " has schema version " +
                                                   std::to_string(version) +
                                                   "; start the daemon once to migrate it to " +
                                                   std::to_string(kSchemaVersion));
      }
    }
    return store;
  } catch (const std::exception& e) {
    return storage_error("opening store " + path, e);
  }
}

int Store::schema_version() const {
  try {
    return db_->execAndGet("PRAGMA user_version").getInt();
  } catch (const std::exception&) {
    return -1;
  }
}

Status Store::migrate() {
  const auto& migrations = schema_migrations();
  const int version = schema_version();
  if (version > static_cast<int>(migrations.size())) {
    return make_error(ErrorCode::kStorage,
                      path_ + " has schema version " + std::to_string(version) +
                          ", newer than this muniscope understands; upgrade muniscope");
  }
  for (int v = version; v < static_cast<int>(migrations.size()); ++v) {
    try {
      SQLite::Transaction txn(*db_);
      db_->exec(migrations[static_cast<size_t>(v)]);
      db_->exec("PRAGMA user_version = " + std::to_string(v + 1));
      txn.commit();
    } catch (const std::exception& e) {
      return storage_error("migrating store to schema version " + std::to_string(v + 1), e);
    }
  }
  return ok_status();
}

Status Store::set_meta(const std::string& key, const std::string& value) {
  try {
    SQLite::Statement st(*db_,
                         "INSERT INTO meta (key, value) VALUES (?,?) ON CONFLICT (key) DO UPDATE "
                         "SET value = excluded.value");
    st.bind(1, key);
    st.bind(2, value);
    st.exec();
  } catch (const std::exception& e) {
    return storage_error("writing meta " + key, e);
  }
  return ok_status();
}

Result<std::optional<std::string>> Store::get_meta(const std::string& key) {
  try {
    SQLite::Statement st(*db_, "SELECT value FROM meta WHERE key = ?");
    st.bind(1, key);
    if (st.executeStep()) return std::optional<std::string>(st.getColumn(0).getString());
  } catch (const std::exception& e) {
    return storage_error("reading meta " + key, e);
  }
  return std::optional<std::string>();
}

int64_t Store::file_size_bytes() const {
  std::error_code ec;
  int64_t total = 0;
  for (const char* suffix : {"", "-wal"}) {
    const auto size = std::filesystem::file_size(path_ + suffix, ec);
    if (!ec) total += static_cast<int64_t>(size);
  }
  return total;
}

std::string store_path_for(const Config* config, const std::string& override_path) {
  if (!override_path.empty()) return override_path;
  if (config != nullptr) return config->resolved_store_path();
  return "var/muniscope.db";
}

}  // namespace muni
