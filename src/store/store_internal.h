// Helpers shared by the store's implementation files (store*.cpp); not part
// of the store's contract.
#pragma once

#include <SQLiteCpp/Statement.h>

#include <optional>
#include <string>

#include "core/result.h"

namespace muni::store_detail {

inline void bind_opt(SQLite::Statement& st, int index, const std::optional<int64_t>& v) {
  if (v) {
    st.bind(index, static_cast<int64_t>(*v));
  } else {
    st.bind(index);
  }
}

inline void bind_text_or_null(SQLite::Statement& st, int index, const std::string& v) {
  if (v.empty()) {
    st.bind(index);
  } else {
    st.bind(index, v);
  }
}

inline std::optional<int64_t> col_opt(const SQLite::Statement& st, int index) {
  const SQLite::Column c = st.getColumn(index);
  if (c.isNull()) return std::nullopt;
  return c.getInt64();
}

inline std::string col_text(const SQLite::Statement& st, int index) {
  const SQLite::Column c = st.getColumn(index);
  return c.isNull() ? std::string() : c.getString();
}

inline Error storage_error(const std::string& what, const std::exception& e) {
  return make_error(ErrorCode::kStorage, what + ": " + e.what());
}

}  // namespace muni::store_detail
