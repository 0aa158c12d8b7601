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

// FROM ... WHERE of an export (no ORDER BY), and the time column it filters.
struct ExportSource {
  std::string from_where;
  std::string time_col;
};

ExportSource export_source(ExportKind kind, const ExportFilter& f) {
  ExportSource src;
  switch (kind) {
    case ExportKind::kPosts:
      src.from_where = " FROM posts p";
      src.time_col = "p.created_at";
      break;
    case ExportKind::kAccountSamples:
      src.from_where = " FROM account_samples x";
      src.time_col = "x.observed_at";
      break;
    case ExportKind::kPostSamples:
      src.from_where = " FROM post_samples x JOIN posts p ON p.id = x.post_id";
      src.time_col = "x.observed_at";
      break;
  }
  const std::string account_ref =
      kind == ExportKind::kAccountSamples ? "x.account_id" : "p.account_id";
  src.from_where += " JOIN accounts a ON a.id = " + account_ref +
                    " JOIN municipalities m ON m.id = a.municipality_id WHERE a.duplicate_of IS "
                    "NULL";
  if (!f.municipalities.empty()) {
    src.from_where += " AND m.id IN (";
    for (size_t i = 0; i < f.municipalities.size(); ++i) src.from_where += i ? ",?" : "?";
    src.from_where += ")";
  }
  if (!f.platform.empty()) src.from_where += " AND a.platform = ?";
  if (f.from) src.from_where += " AND " + src.time_col + " >= ?";
  if (f.to) src.from_where += " AND " + src.time_col + " < ?";
  return src;
}

void bind_filter(SQLite::Statement& st, const ExportFilter& f) {
  int i = 1;
  for (const std::string& m : f.municipalities) st.bind(i++, m);
  if (!f.platform.empty()) st.bind(i++, f.platform);
  if (f.from) st.bind(i++, static_cast<int64_t>(*f.from));
  if (f.to) st.bind(i++, static_cast<int64_t>(*f.to));
}

}  // namespace

Result<int64_t> count_export_rows(Store& store, ExportKind kind, const ExportFilter& f) {
  try {
    SQLite::Statement st(store.db(), "SELECT COUNT(*)" + export_source(kind, f).from_where);
    bind_filter(st, f);
    st.executeStep();
    return st.getColumn(0).getInt64();
  } catch (const std::exception& e) {
    return make_error(ErrorCode::kStorage, std::string("counting export rows: ") + e.what());
  }
}

Status export_rows(Store& store, ExportKind kind, const ExportFilter& f,
                   const std::function<bool(const std::vector<Value>&)>& row) {
  const auto& cols = specs(kind);
  const ExportSource src = export_source(kind, f);
  std::string sql = "SELECT ";
  for (size_t i = 0; i < cols.size(); ++i) sql += (i ? ", " : "") + std::string(cols[i].sql);
  sql += src.from_where + " ORDER BY m.id, a.account_key, " + src.time_col;
  if (kind == ExportKind::kPostSamples) sql += ", p.platform_post_id";
  try {
    SQLite::Statement st(store.db(), sql);
    bind_filter(st, f);
    std::vector<Value> values(cols.size());
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
      if (!row(values)) break;
    }
  } catch (const std::exception& e) {
    return make_error(ErrorCode::kStorage, std::string("exporting: ") + e.what());
  }
  return Status();
}

}  // namespace muni
