// Opening a store: the file, its migrations, meta values.
#include "store/store.h"

#include <SQLiteCpp/Statement.h>
#include <SQLiteCpp/Transaction.h>
#include <sqlite3.h>

#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <filesystem>
#include <optional>
#include <vector>

#include "store/schema.h"

#include "store/store_internal.h"

namespace muni {

using namespace store_detail;

namespace {

// PRAGMA application_id of a muniscope store: "MUNI" in ASCII. Stores made
// before it was set (schema version 1) are recognised by their tables.
constexpr int kApplicationId = 0x4D554E49;

// What a database file holds, read before anything is changed in it.
struct Identity {
  int application_id = 0;
  int user_version = 0;
  std::vector<std::string> tables;  // user tables, sorted
  bool has(const char* t) const {
    return std::find(tables.begin(), tables.end(), t) != tables.end();
  }
  bool empty() const { return tables.empty() && user_version == 0; }
  bool muniscope() const {
    if (application_id == kApplicationId) return true;
    // Schema version 1 predates the application id.
    return application_id == 0 && user_version >= 1 && has("accounts") && has("posts") &&
           has("meta") && has("poll_log");
  }
  std::string describe_tables() const {
    std::string out;
    for (size_t i = 0; i < tables.size() && i < 5; ++i) out += (i ? ", " : "") + tables[i];
    if (tables.size() > 5) out += ", ... (" + std::to_string(tables.size()) + " tables)";
    return out;
  }
};

Identity identify(SQLite::Database& d) {
  Identity id;
  id.application_id = d.execAndGet("PRAGMA application_id").getInt();
  id.user_version = d.execAndGet("PRAGMA user_version").getInt();
  SQLite::Statement st(d,
                       "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE "
                       "'sqlite_%' ORDER BY name");
  while (st.executeStep()) id.tables.push_back(st.getColumn(0).getString());
  return id;
}

std::string owner_and_mode(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return "";
  const struct passwd* pw = ::getpwuid(st.st_uid);
  char mode[8];
  std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
  return std::string("owner ") + (pw != nullptr ? pw->pw_name : std::to_string(st.st_uid)) +
         ", mode " + mode;
}

std::string who_am_i() {
  const struct passwd* pw = ::getpwuid(::geteuid());
  return pw != nullptr ? pw->pw_name : "uid " + std::to_string(::geteuid());
}

// The packaged unit runs with DynamicUser= and a 0700 state directory, so
// only root (or the store's owner, for a store kept elsewhere) reads it.
constexpr const char* kAccessAdvice =
    "run the command as root (sudo muniscope ...) or as the store's owner, or read a copy made "
    "with `muniscope store backup` (docs/operations.md, \"Reading the store\")";

// The SQLite header's read and write format versions (bytes 18 and 19) are
// 2 for a database in WAL mode (sqlite.org/fileformat2.html, 1.3.4).
bool is_wal_file(const std::string& path) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) return false;
  unsigned char header[20] = {};
  const size_t n = std::fread(header, 1, sizeof header, f);
  std::fclose(f);
  return n == sizeof header && header[18] == 2 && header[19] == 2;
}

// Why a store cannot be opened (for writing, when `write`), when the reason
// is access rather than the file's content; nullopt when access is not the
// problem. SQLite would only say "unable to open database file" or "attempt
// to write a readonly database", which reads like damage.
std::optional<std::string> access_problem(const std::string& path, bool write) {
  namespace fs = std::filesystem;
  const fs::path file(path);
  const std::string dir = file.has_parent_path() ? file.parent_path().string() : ".";
  if (::access(dir.c_str(), X_OK) != 0 && errno == EACCES) {
    return "cannot look into " + dir + " (" + owner_and_mode(dir) + ") as " + who_am_i() +
           ": permission denied; " + kAccessAdvice;
  }
  const bool exists = ::access(path.c_str(), F_OK) == 0;
  if (write) {
    // Writers (the daemon, poll --once, store compact) also create the -wal
    // and -shm files beside the store.
    if (exists && ::access(path.c_str(), R_OK | W_OK) != 0) {
      return "cannot write " + path + " (" + owner_and_mode(path) + ") as " + who_am_i() +
             ": permission denied; " + kAccessAdvice;
    }
    if (::access(dir.c_str(), F_OK) == 0 && ::access(dir.c_str(), W_OK) != 0) {
      return "cannot write in " + dir + " (" + owner_and_mode(dir) + ") as " + who_am_i() +
             ": the store and its -wal and -shm files live there; " + kAccessAdvice;
    }
    return std::nullopt;
  }
  if (!exists) return std::nullopt;  // no file: not an access problem
  if (::access(path.c_str(), R_OK) != 0) {
    return "cannot read " + path + " (" + owner_and_mode(path) + ") as " + who_am_i() +
           ": permission denied; " + kAccessAdvice;
  }
  // A store in WAL mode is read through its -shm file. While the daemon runs
  // it exists; when it is stopped, a reader must create it, in the directory.
  const std::string shm = path + "-shm";
  const bool shm_usable = ::access(shm.c_str(), R_OK) == 0;
  if (!shm_usable && is_wal_file(path) && ::access(dir.c_str(), W_OK) != 0) {
    return "cannot read " + path + " as " + who_am_i() + ": SQLite must create " + shm +
           " to read a store in WAL mode, and " + dir + " (" + owner_and_mode(dir) +
           ") is not writable for you. Read it while the daemon runs "
           "(its -shm file exists then), or " +
           kAccessAdvice;
  }
  return std::nullopt;
}

}  // namespace

Result<std::unique_ptr<Store>> Store::open(const std::string& path, OpenMode mode) {
  const bool read_only = mode == OpenMode::kReadOnly;
  try {
    std::error_code ec;
    if (auto problem = access_problem(path, !read_only))
      return make_error(ErrorCode::kIo, *problem);
    if (read_only && !std::filesystem::exists(path, ec)) {
      return make_error(
          ErrorCode::kNotFound,
          "no store at " + path + " (run `muniscope poll --once` or the daemon first)");
    }
    if (std::filesystem::exists(path, ec) && !std::filesystem::is_regular_file(path, ec)) {
      return make_error(ErrorCode::kStorage, path + " is not a regular file; a store is a file");
    }
    if (!read_only) {
      const auto parent = std::filesystem::path(path).parent_path();
      if (!parent.empty()) std::filesystem::create_directories(parent);
    }
    const int flags =
        read_only ? SQLite::OPEN_READONLY : (SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
    auto db = std::make_unique<SQLite::Database>(path, flags, 5000);
    std::unique_ptr<Store> store(new Store(path, std::move(db)));
    SQLite::Database& d = *store->db_;
    Identity id;
    try {
      id = identify(d);
    } catch (const std::exception& e) {
      // "file is not a database", a damaged header, or no permission to read.
      return make_error(ErrorCode::kStorage,
                        path + " cannot be read as an SQLite database (" + e.what() +
                            "); it is not a muniscope store, or it is damaged");
    }
    if (!id.empty() && !id.muniscope()) {
      return make_error(ErrorCode::kStorage,
                        path +
                            " is not a muniscope store: it is an SQLite database of another "
                            "application (tables: " +
                            id.describe_tables() +
                            "). muniscope leaves it untouched; point --db or store.path at a new "
                            "file");
    }
    d.exec("PRAGMA foreign_keys = ON");
    if (!read_only) {
      // auto_vacuum must be chosen before the first table exists; on an
      // existing file this is a no-op unless it is empty.
      d.exec("PRAGMA auto_vacuum = INCREMENTAL");
      d.exec("PRAGMA journal_mode = WAL");
      d.exec("PRAGMA synchronous = NORMAL");
      d.exec("PRAGMA temp_store = MEMORY");
      MUNI_TRY_STATUS(store->migrate());
      if (id.application_id != kApplicationId)
        d.exec("PRAGMA application_id = " + std::to_string(kApplicationId));
    } else {
      const int version = id.user_version;
      if (id.empty()) {
        return make_error(ErrorCode::kStorage,
                          path +
                              " is an empty database, not yet a muniscope store (run "
                              "`muniscope poll --once` or the daemon first)");
      }
      if (version > kSchemaVersion) {
        return make_error(ErrorCode::kStorage,
                          path + " has schema version " + std::to_string(version) +
                              ", newer than this muniscope understands (" +
                              std::to_string(kSchemaVersion) + "); upgrade muniscope");
      }
      if (version < kSchemaVersion) {
        return make_error(ErrorCode::kStorage, path + " is a muniscope store of schema version " +
                                                   std::to_string(version) +
                                                   "; start the daemon (or `poll --once`) once to "
                                                   "migrate it to " +
                                                   std::to_string(kSchemaVersion));
      }
    }
    // Every table the schema has must be there: a store that lost one (a
    // hand-made DROP, a bad restore) is damaged, and every command says so
    // instead of failing somewhere inside.
    const Identity now_id = read_only ? id : identify(d);
    for (const char* table :
         {"municipalities", "accounts", "account_samples", "posts", "post_samples", "comments",
          "account_events", "poll_log", "coverage_spans", "hosts", "http_cache", "meta",
          "account_counter_samples", "budgets"}) {
      if (!now_id.has(table)) {
        return make_error(ErrorCode::kStorage,
                          path + " is a damaged muniscope store: table '" + table +
                              "' is missing. Restore it from a backup (docs/operations.md, "
                              "Backups); muniscope does not repair it in place");
      }
    }
    return store;
  } catch (const std::exception& e) {
    return storage_error(
        std::string(read_only ? "opening store (read-only) " : "opening store ") + path, e);
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
