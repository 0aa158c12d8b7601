// Tabular output for every query command: an aligned table for terminals,
// CSV (RFC 4180) and JSON (an array of objects) for programs. Numbers get
// thousands separators only in the table form; missing values print as "-"
// in tables, empty in CSV and null in JSON.
#pragma once

#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "core/result.h"
#include "core/text_safety.h"  // html_escape
#include "core/value.h"

namespace CLI {
class App;
}

namespace muni {

enum class OutputFormat { kTable, kCsv, kJson, kHtml };

Result<OutputFormat> parse_output_format(const std::string& text, bool allow_html = false);
// The --format option of a query command: table, csv, json (and html).
void add_format_option(CLI::App& app, std::string& format, bool allow_html = false);

using Cell = Value;

// Writes command output to `out`. On a terminal, text a platform supplied
// (ESC, C1 controls, bidirectional overrides) is shown escaped even in CSV
// and JSON (core/text_safety.h terminal_safe); to a file or a pipe the
// bytes are written exactly as rendered, so data stays data.
void write_output(std::FILE* out, const std::string& text);
inline void write_stdout(const std::string& text) { write_output(stdout, text); }

struct Column {
  std::string name;      // header; also the JSON key and CSV header
  int decimals = 2;      // for double cells
  bool percent = false;  // double cell holds a share 0..1; tables show "42.0 %"
};

class Table {
 public:
  explicit Table(std::vector<Column> columns) : columns_(std::move(columns)) {}
  void add_row(std::vector<Cell> row) { rows_.push_back(std::move(row)); }
  size_t size() const { return rows_.size(); }
  const std::vector<Column>& columns() const { return columns_; }
  const std::vector<std::vector<Cell>>& rows() const { return rows_; }

  std::string render(OutputFormat format) const;
  std::string render_table() const;
  std::string render_csv() const;
  std::string render_json() const;

 private:
  std::vector<Column> columns_;
  std::vector<std::vector<Cell>> rows_;
};

// Helpers to build cells from optionals.
inline Cell cell(const std::optional<int64_t>& v) { return v ? Cell(*v) : Cell(); }
inline Cell cell(const std::optional<double>& v) { return v ? Cell(*v) : Cell(); }
inline Cell cell(const std::string& s) { return s.empty() ? Cell() : Cell(s); }

std::string with_thousands(int64_t v);
std::string csv_escape(const std::string& s);

}  // namespace muni
