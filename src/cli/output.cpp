#include "cli/output.h"

#include <unistd.h>

#include <CLI/CLI.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "core/json.h"
#include "core/text_safety.h"

namespace muni {

Result<OutputFormat> parse_output_format(const std::string& text, bool allow_html) {
  if (text == "table") return OutputFormat::kTable;
  if (text == "csv") return OutputFormat::kCsv;
  if (text == "json") return OutputFormat::kJson;
  if (text == "html" && allow_html) return OutputFormat::kHtml;
  return make_error(
      ErrorCode::kInvalidArgument,
      "unknown format '" + text + "' (use table, csv, json" + (allow_html ? ", html)" : ")"));
}

void add_format_option(CLI::App& app, std::string& format, bool allow_html) {
  if (allow_html) {
    app.add_option("--format", format, "table, csv, json or html")
        ->check(CLI::IsMember({"table", "csv", "json", "html"}));
  } else {
    app.add_option("--format", format, "table, csv or json")
        ->check(CLI::IsMember({"table", "csv", "json"}));
  }
}

std::string with_thousands(int64_t v) {
  std::string digits = std::to_string(v < 0 ? -v : v);
  std::string out;
  int n = 0;
  for (auto it = digits.rbegin(); it != digits.rend(); ++it) {
    if (n > 0 && n % 3 == 0) out += ',';
    out += *it;
    ++n;
  }
  if (v < 0) out += '-';
  std::reverse(out.begin(), out.end());
  return out;
}

std::string csv_escape(const std::string& raw) {
  // Valid UTF-8, no NUL or terminal control characters (tab and line
  // breaks are data, and quoted).
  std::string s = raw;
  repair_utf8(s);
  s.erase(std::remove_if(s.begin(), s.end(),
                         [](char c) {
                           const auto u = static_cast<unsigned char>(c);
                           return (u < 0x20 && c != '\t' && c != '\n' && c != '\r') || u == 0x7F;
                         }),
          s.end());
  if (s.find_first_of(",;\"\n\r") == std::string::npos) return s;
  std::string out = "\"";
  for (const char c : s) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
  return out;
}

namespace {

std::string format_double(double v, int decimals) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  return buf;
}

// Display width of UTF-8 text: counts code points, not bytes, so umlauts in
// municipality names do not break the alignment.
size_t display_width(const std::string& s) {
  size_t w = 0;
  for (const char c : s) {
    if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) ++w;
  }
  return w;
}

std::string table_text(const Cell& c, const Column& col) {
  if (std::holds_alternative<std::monostate>(c)) return "-";
  if (const auto* s = std::get_if<std::string>(&c)) return *s;
  if (const auto* i = std::get_if<int64_t>(&c)) return with_thousands(*i);
  const double d = std::get<double>(c);
  if (!std::isfinite(d)) return "-";
  if (col.percent) return format_double(d * 100.0, 1) + " %";
  // Thousands separators for the integer part of large values.
  if (std::fabs(d) >= 10000) {
    const std::string frac = format_double(d, col.decimals);
    const size_t dot = frac.find('.');
    return with_thousands(static_cast<int64_t>(std::trunc(d))) +
           (dot == std::string::npos ? "" : frac.substr(dot));
  }
  return format_double(d, col.decimals);
}

std::string plain_text(const Cell& c, const Column& col) {
  if (std::holds_alternative<std::monostate>(c)) return "";
  if (const auto* s = std::get_if<std::string>(&c)) return *s;
  if (const auto* i = std::get_if<int64_t>(&c)) return std::to_string(*i);
  const double d = std::get<double>(c);
  if (!std::isfinite(d)) return "";
  // Machine formats keep full precision (shares stay 0..1).
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*g", std::max(col.decimals + 4, 10), d);
  return buf;
}

bool is_numeric(const Cell& c) {
  return std::holds_alternative<int64_t>(c) || std::holds_alternative<double>(c);
}

}  // namespace

void write_output(std::FILE* out, const std::string& text) {
  if (isatty(fileno(out)) == 1) {
    std::fputs(terminal_safe(text).c_str(), out);
  } else {
    std::fwrite(text.data(), 1, text.size(), out);
  }
}

std::string Table::render(OutputFormat format) const {
  switch (format) {
    case OutputFormat::kTable:
      return render_table();
    case OutputFormat::kCsv:
      return render_csv();
    case OutputFormat::kJson:
      return render_json();
    case OutputFormat::kHtml: {
      std::string out = "<table>\n<thead><tr>";
      for (const Column& c : columns_) out += "<th>" + html_escape(c.name) + "</th>";
      out += "</tr></thead>\n<tbody>\n";
      for (const auto& row : rows_) {
        out += "<tr>";
        for (size_t i = 0; i < columns_.size(); ++i) {
          const Cell& c = i < row.size() ? row[i] : Cell();
          out += is_numeric(c) ? "<td class=\"num\">" : "<td>";
          out += html_escape(table_text(c, columns_[i])) + "</td>";
        }
        out += "</tr>\n";
      }
      return out + "</tbody>\n</table>\n";
    }
  }
  return render_table();
}

std::string Table::render_table() const {
  std::vector<std::vector<std::string>> text(rows_.size());
  std::vector<size_t> width(columns_.size());
  std::vector<bool> right(columns_.size(), false);
  for (size_t i = 0; i < columns_.size(); ++i) width[i] = display_width(columns_[i].name);
  for (size_t r = 0; r < rows_.size(); ++r) {
    for (size_t i = 0; i < columns_.size(); ++i) {
      const Cell& c = i < rows_[r].size() ? rows_[r][i] : Cell();
      // Cells may quote servers: no control character reaches the terminal.
      text[r].push_back(printable_cell(table_text(c, columns_[i])));
      width[i] = std::max(width[i], display_width(text[r].back()));
      if (is_numeric(c)) right[i] = true;
    }
  }
  auto pad = [](const std::string& s, size_t w, bool right_align) {
    const size_t n = display_width(s);
    const std::string fill(w > n ? w - n : 0, ' ');
    return right_align ? fill + s : s + fill;
  };
  std::string out;
  for (size_t i = 0; i < columns_.size(); ++i) {
    if (i) out += "  ";
    out += pad(columns_[i].name, width[i], right[i]);
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  out += '\n';
  for (size_t i = 0; i < columns_.size(); ++i) {
    if (i) out += "  ";
    out += std::string(width[i], '-');
  }
  out += '\n';
  for (const auto& row : text) {
    std::string line;
    for (size_t i = 0; i < row.size(); ++i) {
      if (i) line += "  ";
      line += pad(row[i], width[i], right[i]);
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out += line + '\n';
  }
  return out;
}

std::string Table::render_csv() const {
  std::string out;
  for (size_t i = 0; i < columns_.size(); ++i) {
    if (i) out += ',';
    out += csv_escape(columns_[i].name);
  }
  out += "\r\n";
  for (const auto& row : rows_) {
    for (size_t i = 0; i < columns_.size(); ++i) {
      if (i) out += ',';
      out += csv_escape(plain_text(i < row.size() ? row[i] : Cell(), columns_[i]));
    }
    out += "\r\n";
  }
  return out;
}

std::string Table::render_json() const {
  JsonWriter w;
  w.begin_array();
  for (const auto& row : rows_) {
    w.begin_object();
    for (size_t i = 0; i < columns_.size(); ++i) {
      w.key(columns_[i].name);
      const Cell& c = i < row.size() ? row[i] : Cell();
      if (std::holds_alternative<std::monostate>(c)) {
        w.null();
      } else if (const auto* s = std::get_if<std::string>(&c)) {
        w.value(*s);
      } else if (const auto* n = std::get_if<int64_t>(&c)) {
        w.value(*n);
      } else {
        w.value(std::get<double>(c));
      }
    }
    w.end_object();
  }
  w.end_array();
  return w.str() + "\n";
}

}  // namespace muni
