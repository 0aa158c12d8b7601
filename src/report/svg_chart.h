// muniscope's own small SVG writer for the report's charts: stacked bars,
// lines, a histogram and a heatmap, as inline SVG strings.
//
// Why not a library: Debian packages no C++ charting library that writes
// self-contained SVG without a runtime (gnuplot is a program, not a
// library, and would make every report depend on it). The four chart kinds
// here are a few hundred lines, fully under test, and need nothing at run
// time (docs/report.md).
//
// Readable in greyscale and for colour-blind readers: series colours are the
// Okabe-Ito palette (Okabe & Ito 2008, "Color Universal Design"), each
// series also has its own hatch pattern (bars) or dash pattern (lines), and
// the heatmap is a single-hue ramp from light to dark with the count
// written in every non-empty cell. Every chart has a title, labelled axes
// with units, and a legend. All text is escaped (html_escape, core/text_safety.h).
#pragma once

#include <string>
#include <vector>

namespace muni::report {

struct Series {
  std::string name;
  std::vector<double> values;  // one per category (bars) or per x (lines); NaN: no value
};

struct ChartText {
  std::string title;
  std::string x_label;  // with unit
  std::string y_label;  // with unit
  // Shown, in the report's language, instead of axes when the chart has no
  // value at all (every value NaN, or no x): axes without data would invent
  // a scale, and a time axis over nothing would read 1970-01-01.
  std::string no_data;
};

// Every chart kind draws only its title and `no_data` when none of its
// values is a number; a value of 0 is an observation and is drawn as such.

// Bars stacked per category (x axis labels `categories`).
std::string stacked_bars(const ChartText& text, const std::vector<std::string>& categories,
                         const std::vector<Series>& series);

// Lines over time: x are days since the epoch, labelled as dates.
std::string time_lines(const ChartText& text, const std::vector<double>& x_days,
                       const std::vector<Series>& series);

// Rows x columns of counts, e.g. weekday x hour (NaN: not observed).
std::string heatmap(const ChartText& text, const std::vector<std::string>& row_labels,
                    const std::vector<std::string>& column_labels,
                    const std::vector<std::vector<double>>& counts);

// The patterns and styles the charts refer to; included once per document.
std::string svg_defs();

}  // namespace muni::report
