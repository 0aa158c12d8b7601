#include "store/store_export.h"

#include <SQLiteCpp/SQLiteCpp.h>

#include "store/store.h"

namespace muni {

std::optional<ExportKind> parse_export_kind(std::string_view name) {
  if (name == "posts") return ExportKind::kPosts;
  if (name == "account-samples") return ExportKind::kAccountSamples;
  if (name == "post-samples") return ExportKind::kPostSamples;
  return std::nullopt;
}

namespace {

// Column name -> SQL expression. Timestamps are selected as integers and
// formatted here; names listed in kTimeColumns.
struct Spec {
  const char* name;
  const char* sql;
  bool time = false;
};

const std::vector<Spec>& specs(ExportKind kind) {
  static const std::vector<Spec> kIdentity = {
      {"municipality_id", "m.id"}, {"municipality_name", "m.name"}, {"ags", "m.ags"},
      {"land", "m.state"},         {"platform", "a.platform"},      {"account", "a.account_key"},
  };
  static const std::vector<Spec> kPosts = [] {
    std::vector<Spec> s = kIdentity;
    for (const Spec& x : std::initializer_list<Spec>{
             {"post_id", "p.platform_post_id"},
             {"item_type", "p.item_type"},
             {"kind", "p.kind"},
             {"created_at", "p.created_at", true},
             {"title", "p.title"},
             {"text", "p.text"},
             {"url", "p.url"},
             {"language", "p.language"},
             {"parent_post_id", "p.parent_post_id"},
             {"parent_created_at", "p.parent_created_at", true},
             {"quoted_post_id", "p.quoted_post_id"},
             {"mentions", "p.mentions"},
             {"has_link", "p.has_link"},
             {"has_media", "p.has_media"},
             {"likes", "p.likes"},
             {"replies", "p.replies"},
             {"reposts", "p.reposts"},
             {"quotes", "p.quotes"},
             {"views", "p.views"},
             {"counts_observed_at", "p.last_seen", true},
             {"first_seen", "p.first_seen", true},
             {"edited_at", "p.edited_at", true},
             {"deleted_at", "p.deleted_at", true},
         }) {
      s.push_back(x);
    }
    return s;
  }();
  static const std::vector<Spec> kAccountSamples = [] {
    std::vector<Spec> s = kIdentity;
    for (const Spec& x : std::initializer_list<Spec>{
             {"observed_at", "x.observed_at", true},
             {"followers", "x.followers"},
             {"followers_precision", "COALESCE(x.followers_precision, 'exact')"},
             {"following", "x.following"},
             {"posts", "x.posts"},
         }) {
      s.push_back(x);
    }
    return s;
  }();
  static const std::vector<Spec> kPostSamples = [] {
    std::vector<Spec> s = kIdentity;
    for (const Spec& x : std::initializer_list<Spec>{
             {"post_id", "p.platform_post_id"},
             {"post_created_at", "p.created_at", true},
             {"observed_at", "x.observed_at", true},
             {"likes", "x.likes"},
             {"replies", "x.replies"},
             {"reposts", "x.reposts"},
             {"quotes", "x.quotes"},
             {"views", "x.views"},
         }) {
      s.push_back(x);
    }
    return s;
  }();
  switch (kind) {
    case ExportKind::kPosts:
      return kPosts;
    case ExportKind::kAccountSamples:
      return kAccountSamples;
    case ExportKind::kPostSamples:
      return kPostSamples;
  }
  return kPosts;
}

}  // namespace

const std::vector<std::string>& export_columns(ExportKind kind) {
  static const auto make = [](ExportKind k) {
    std::vector<std::string> names;
    for (const Spec& s : specs(k)) names.emplace_back(s.name);
    return names;
  };
  static const std::vector<std::string> kPosts = make(ExportKind::kPosts);
  static const std::vector<std::string> kAccount = make(ExportKind::kAccountSamples);
  static const std::vector<std::string> kPost = make(ExportKind::kPostSamples);
  switch (kind) {
    case ExportKind::kPosts:
      return kPosts;
    case ExportKind::kAccountSamples:
      return kAccount;
    case ExportKind::kPostSamples:
      return kPost;
  }
  return kPosts;
}

namespace {

// What an export reads, and the time column its --from/--to filter.
struct ExportSource {
  std::string from;  // FROM ... JOINs of the rows (accounts a, municipalities m included)
  std::string account_col;
  std::string time_col;
};

ExportSource export_source(ExportKind kind) {
  const std::string accounts =
      " JOIN accounts a ON a.id = {acc} JOIN municipalities m ON m.id = a.municipality_id";
  auto with = [&](std::string from, std::string acc, std::string time) {
    std::string joins = accounts;
    joins.replace(joins.find("{acc}"), 5, acc);
    return ExportSource{std::move(from) + joins, std::move(acc), std::move(time)};
  };
  switch (kind) {
    case ExportKind::kPosts:
      return with(" FROM posts p", "p.account_id", "p.created_at");
    case ExportKind::kAccountSamples:
      return with(" FROM account_samples x", "x.account_id", "x.observed_at");
    case ExportKind::kPostSamples:
      return with(" FROM posts p JOIN post_samples x ON x.post_id = p.id", "p.account_id",
                  "x.observed_at");
  }
  return with(" FROM posts p", "p.account_id", "p.created_at");
}

// The accounts' part of the filter (municipalities, platform).
std::string account_filter(const ExportFilter& f) {
  std::string sql = " WHERE a.duplicate_of IS NULL";
  if (!f.municipalities.empty()) {
    sql += " AND m.id IN (";
    for (size_t i = 0; i < f.municipalities.size(); ++i) sql += i ? ",?" : "?";
    sql += ")";
  }
  if (!f.platform.empty()) sql += " AND a.platform = ?";
  return sql;
}

int bind_account_filter(SQLite::Statement& st, const ExportFilter& f, int i = 1) {
  for (const std::string& m : f.municipalities) st.bind(i++, m);
  if (!f.platform.empty()) st.bind(i++, f.platform);
  return i;
}

std::string time_filter(const ExportSource& src, const ExportFilter& f) {
  std::string sql;
  if (f.from) sql += " AND " + src.time_col + " >= ?";
  if (f.to) sql += " AND " + src.time_col + " < ?";
  return sql;
}

int bind_time_filter(SQLite::Statement& st, const ExportFilter& f, int i) {
  if (f.from) st.bind(i++, static_cast<int64_t>(*f.from));
  if (f.to) st.bind(i++, static_cast<int64_t>(*f.to));
  return i;
}

}  // namespace

Result<int64_t> count_export_rows(Store& store, ExportKind kind, const ExportFilter& f) {
  const ExportSource src = export_source(kind);
  try {
    SQLite::Statement st(store.db(),
                         "SELECT COUNT(*)" + src.from + account_filter(f) + time_filter(src, f));
    bind_time_filter(st, f, bind_account_filter(st, f));
    st.executeStep();
    return st.getColumn(0).getInt64();
  } catch (const std::exception& e) {
    return make_error(ErrorCode::kStorage, std::string("counting export rows: ") + e.what());
  }
}

Status export_rows(Store& store, ExportKind kind, const ExportFilter& f,
                   const std::function<bool(const std::vector<Value>&)>& row) {
  const auto& cols = specs(kind);
  const ExportSource src = export_source(kind);
  // One account after the other, each read in the order of an index
  // (posts_account_created, the samples' primary keys): rows stream from the
  // first one on, with no sort of the whole export in temporary files
  // (one ORDER BY over all accounts made SQLite sort 50 million rows first).
  std::string sql = "SELECT ";
  for (size_t i = 0; i < cols.size(); ++i) sql += (i ? ", " : "") + std::string(cols[i].sql);
  sql += src.from + " WHERE " + src.account_col + " = ?" + time_filter(src, f);
  switch (kind) {
    case ExportKind::kPosts:
      sql += " ORDER BY p.created_at, p.id";
      break;
    case ExportKind::kAccountSamples:
      sql += " ORDER BY x.observed_at";
      break;
    case ExportKind::kPostSamples:
      sql += " ORDER BY p.created_at, p.id, x.observed_at";  // each post's series in one piece
      break;
  }
  try {
    std::vector<int64_t> accounts;
    {
      SQLite::Statement list(store.db(),
                             "SELECT a.id FROM accounts a JOIN municipalities m ON m.id = "
                             "a.municipality_id" +
                                 account_filter(f) + " ORDER BY m.id, a.account_key");
      bind_account_filter(list, f);
      while (list.executeStep()) accounts.push_back(list.getColumn(0).getInt64());
    }
    SQLite::Statement st(store.db(), sql);
    std::vector<Value> values(cols.size());
    for (const int64_t account : accounts) {
      st.reset();
      st.bind(1, account);
      bind_time_filter(st, f, 2);
      while (st.executeStep()) {
        for (size_t c = 0; c < cols.size(); ++c) {
          const SQLite::Column col = st.getColumn(static_cast<int>(c));
          if (col.isNull()) {
            values[c] = Value();
          } else if (cols[c].time) {
            values[c] = format_iso8601(col.getInt64());
          } else if (col.isInteger()) {
            values[c] = col.getInt64();
          } else {
            values[c] = col.getString();
          }
        }
        if (!row(values)) return Status();
      }
    }
  } catch (const std::exception& e) {
    return make_error(ErrorCode::kStorage, std::string("exporting: ") + e.what());
  }
  return Status();
}

}  // namespace muni
