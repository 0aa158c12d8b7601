#include "report/svg_chart.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "core/text_safety.h"
#include "core/time_util.h"

namespace muni::report {

namespace {

// Okabe-Ito: orange, sky blue, bluish green, blue, vermillion, reddish
// purple, yellow, black.
constexpr const char* kColours[] = {"#E69F00", "#56B4E9", "#009E73", "#0072B2",
                                    "#D55E00", "#CC79A7", "#F0E442", "#000000"};
constexpr int kPalette = 8;
constexpr const char* kDashes[] = {"", "6 3", "2 3", "8 3 2 3", "1 2", "10 4", "4 4", "12 2"};

constexpr int kWidth = 720;
constexpr int kHeight = 300;
constexpr int kLeft = 64, kRight = 16, kTop = 36, kBottom = 64;

std::string num(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f", v);
  return buf;
}

// A "nice" axis: a step of 1, 2 or 5 times a power of ten giving at most
// five intervals, and the maximum rounded up to a whole step. Values all 0
// (observed, none): 0 and 1, not quarter steps of a count.
std::pair<double, double> nice_axis(double max) {
  if (!(max > 0)) return {1, 1};
  const double rough = max / 5;
  const double magnitude = std::pow(10, std::floor(std::log10(rough)));
  double step = 10 * magnitude;
  for (const double f : {1.0, 2.0, 5.0}) {
    if (f * magnitude >= rough) {
      step = f * magnitude;
      break;
    }
  }
  return {std::ceil(max / step) * step, step};
}

std::string format_tick(double v) {
  char buf[32];
  if (std::fabs(v - std::round(v)) < 1e-9) {
    std::snprintf(buf, sizeof buf, "%.0f", v);
  } else {
    std::snprintf(buf, sizeof buf, "%.2g", v);
  }
  return buf;
}

std::string open_svg(const ChartText& t, int height = kHeight) {
  std::string s = "<svg class=\"chart\" role=\"img\" viewBox=\"0 0 " + std::to_string(kWidth) +
                  " " + std::to_string(height) + "\" xmlns=\"http://www.w3.org/2000/svg\">";
  s += "<title>" + html_escape(t.title) + "</title>";
  s += "<text class=\"ct\" x=\"" + std::to_string(kLeft) + "\" y=\"20\">" + html_escape(t.title) +
       "</text>";
  return s;
}

std::string y_axis(const ChartText& t, double max, double step, int height = kHeight) {
  std::string s;
  const int plot_h = height - kTop - kBottom;
  for (double v = 0; v <= max + step / 2; v += step) {
    const double y = kTop + plot_h - v / max * plot_h;
    s += "<line class=\"grid\" x1=\"" + std::to_string(kLeft) + "\" x2=\"" +
         std::to_string(kWidth - kRight) + "\" y1=\"" + num(y) + "\" y2=\"" + num(y) + "\"/>";
    s += "<text class=\"tick\" x=\"" + std::to_string(kLeft - 6) + "\" y=\"" + num(y + 4) +
         "\" text-anchor=\"end\">" + format_tick(v) + "</text>";
  }
  s += "<text class=\"al\" transform=\"rotate(-90)\" x=\"" + num(-(kTop + plot_h / 2.0)) +
       "\" y=\"14\" text-anchor=\"middle\">" + html_escape(t.y_label) + "</text>";
  s += "<text class=\"al\" x=\"" + num(kLeft + (kWidth - kLeft - kRight) / 2.0) + "\" y=\"" +
       std::to_string(height - 8) + "\" text-anchor=\"middle\">" + html_escape(t.x_label) + "</text>";
  return s;
}

bool any_value(const std::vector<double>& values) {
  return std::any_of(values.begin(), values.end(), [](double v) { return std::isfinite(v); });
}

bool any_value(const std::vector<Series>& series) {
  return std::any_of(series.begin(), series.end(),
                     [](const Series& s) { return any_value(s.values); });
}

// A chart with nothing observed: its title and the caller's words for that,
// no axes and no legend (a scale over nothing would be made up).
std::string no_data_chart(const ChartText& t) {
  constexpr int kNoDataHeight = 96;
  return open_svg(t, kNoDataHeight) + "<text class=\"nodata\" x=\"" +
         num(kLeft + (kWidth - kLeft - kRight) / 2.0) + "\" y=\"62\" text-anchor=\"middle\">" +
         html_escape(t.no_data.empty() ? std::string("–") : t.no_data) + "</text></svg>";
}

std::string legend(const std::vector<Series>& series, bool lines) {
  // Below the chart, as HTML: wraps instead of overflowing.
  std::string s = "<ul class=\"legend\">";
  for (size_t i = 0; i < series.size(); ++i) {
    const int k = static_cast<int>(i % kPalette);
    s += "<li><svg width=\"28\" height=\"12\" aria-hidden=\"true\">";
    if (lines) {
      s += "<line x1=\"0\" y1=\"6\" x2=\"28\" y2=\"6\" stroke=\"" + std::string(kColours[k]) +
           "\" stroke-width=\"3\" stroke-dasharray=\"" + kDashes[k] + "\"/>";
    } else {
      s += "<rect width=\"28\" height=\"12\" fill=\"url(#p" + std::to_string(k) + ")\"/>";
    }
    s += "</svg>" + html_escape(series[i].name) + "</li>";
  }
  return s + "</ul>";
}

}  // namespace

std::string svg_defs() {
  // One pattern per palette colour: the colour with its own hatch, so bars
  // stay apart in greyscale.
  std::string s = "<svg width=\"0\" height=\"0\" style=\"position:absolute\" aria-hidden=\"true\"><defs>";
  const char* hatches[] = {"",
                           "<path d=\"M0,8 L8,0\" stroke=\"#fff\" stroke-width=\"1.5\"/>",
                           "<circle cx=\"4\" cy=\"4\" r=\"1.5\" fill=\"#fff\"/>",
                           "<path d=\"M0,0 L8,8\" stroke=\"#fff\" stroke-width=\"1.5\"/>",
                           "<path d=\"M4,0 L4,8\" stroke=\"#fff\" stroke-width=\"1.5\"/>",
                           "<path d=\"M0,4 L8,4\" stroke=\"#fff\" stroke-width=\"1.5\"/>",
                           "<path d=\"M0,8 L8,0 M0,0 L8,8\" stroke=\"#000\" stroke-width=\"0.8\"/>",
                           "<circle cx=\"4\" cy=\"4\" r=\"1.5\" fill=\"#fff\"/>"};
  for (int k = 0; k < kPalette; ++k) {
    s += "<pattern id=\"p" + std::to_string(k) +
         "\" width=\"8\" height=\"8\" patternUnits=\"userSpaceOnUse\"><rect width=\"8\" "
         "height=\"8\" fill=\"" +
         kColours[k] + "\"/>" + hatches[k] + "</pattern>";
  }
  return s + "</defs></svg>";
}

std::string stacked_bars(const ChartText& t, const std::vector<std::string>& categories,
                         const std::vector<Series>& series) {
  if (categories.empty() || !any_value(series)) return no_data_chart(t);
  double max = 0;
  for (size_t c = 0; c < categories.size(); ++c) {
    double sum = 0;
    for (const Series& s : series) {
      if (c < s.values.size() && std::isfinite(s.values[c])) sum += s.values[c];
    }
    max = std::max(max, sum);
  }
  const auto [top, step] = nice_axis(max);
  std::string svg = open_svg(t) + y_axis(t, top, step);
  const int plot_w = kWidth - kLeft - kRight, plot_h = kHeight - kTop - kBottom;
  const double slot = categories.empty() ? plot_w : static_cast<double>(plot_w) / categories.size();
  const double bar = std::max(1.0, slot * 0.7);
  // Label every n-th category so labels never overlap.
  const size_t label_every = std::max<size_t>(1, static_cast<size_t>(std::ceil(categories.size() / 12.0)));
  for (size_t c = 0; c < categories.size(); ++c) {
    const double x = kLeft + c * slot + (slot - bar) / 2;
    double base = 0;
    for (size_t k = 0; k < series.size(); ++k) {
      const double v = c < series[k].values.size() ? series[k].values[c] : 0;
      if (!std::isfinite(v) || v <= 0) continue;
      const double y0 = kTop + plot_h - (base + v) / top * plot_h;
      const double h = v / top * plot_h;
      svg += "<rect x=\"" + num(x) + "\" y=\"" + num(y0) + "\" width=\"" + num(bar) +
             "\" height=\"" + num(h) + "\" fill=\"url(#p" + std::to_string(k % kPalette) +
             ")\" stroke=\"#333\" stroke-width=\"0.3\"><title>" + html_escape(series[k].name) + ", " +
             html_escape(categories[c]) + ": " + format_tick(v) + "</title></rect>";
      base += v;
    }
    if (c % label_every == 0) {
      svg += "<text class=\"tick\" x=\"" + num(x + bar / 2) + "\" y=\"" +
             std::to_string(kTop + plot_h + 16) + "\" text-anchor=\"middle\">" +
             html_escape(categories[c]) + "</text>";
    }
  }
  // All values 0: observed as none, so the empty axes are the answer (no
  // "–", which the report's glossary reserves for unknown).
  return svg + "</svg>" + legend(series, false);
}

std::string time_lines(const ChartText& t, const std::vector<double>& x_days,
                       const std::vector<Series>& series) {
  if (x_days.empty() || !any_value(series)) return no_data_chart(t);
  double max = 0;
  for (const Series& s : series) {
    for (const double v : s.values) {
      if (std::isfinite(v)) max = std::max(max, v);
    }
  }
  const auto [top, step] = nice_axis(max);
  std::string svg = open_svg(t) + y_axis(t, top, step);
  const int plot_w = kWidth - kLeft - kRight, plot_h = kHeight - kTop - kBottom;
  const double x0 = x_days.front();
  const double x1 = std::max(x_days.back(), x0 + 1);
  auto px = [&](double d) { return kLeft + (d - x0) / (x1 - x0) * plot_w; };
  for (int i = 0; i <= 4; ++i) {
    const double d = x0 + (x1 - x0) * i / 4;
    svg += "<text class=\"tick\" x=\"" + num(px(d)) + "\" y=\"" +
           std::to_string(kTop + plot_h + 16) + "\" text-anchor=\"middle\">" +
           format_civil_date(civil_from_days(static_cast<int64_t>(std::floor(d)))) + "</text>";
  }
  for (size_t k = 0; k < series.size(); ++k) {
    std::string points;
    for (size_t i = 0; i < x_days.size() && i < series[k].values.size(); ++i) {
      const double v = series[k].values[i];
      if (!std::isfinite(v)) continue;
      points += num(px(x_days[i])) + "," + num(kTop + plot_h - v / top * plot_h) + " ";
    }
    const int c = static_cast<int>(k % kPalette);
    svg += "<polyline fill=\"none\" stroke=\"" + std::string(kColours[c]) +
           "\" stroke-width=\"2.5\" stroke-dasharray=\"" + kDashes[c] + "\" points=\"" + points +
           "\"><title>" + html_escape(series[k].name) + "</title></polyline>";
  }
  return svg + "</svg>" + legend(series, true);
}

std::string heatmap(const ChartText& t, const std::vector<std::string>& rows,
                    const std::vector<std::string>& cols,
                    const std::vector<std::vector<double>>& counts) {
  const bool observed = std::any_of(counts.begin(), counts.end(),
                                    [](const std::vector<double>& r) { return any_value(r); });
  if (rows.empty() || cols.empty() || !observed) return no_data_chart(t);
  const int height = kTop + 22 * static_cast<int>(rows.size()) + 48;
  std::string svg = open_svg(t, height);
  double max = 0;
  for (const auto& r : counts) {
    for (const double v : r) max = std::max(max, v);
  }
  const int plot_w = kWidth - kLeft - kRight;
  const double cw = cols.empty() ? plot_w : static_cast<double>(plot_w) / cols.size();
  for (size_t r = 0; r < rows.size(); ++r) {
    const double y = kTop + 22.0 * r;
    svg += "<text class=\"tick\" x=\"" + std::to_string(kLeft - 6) + "\" y=\"" + num(y + 15) +
           "\" text-anchor=\"end\">" + html_escape(rows[r]) + "</text>";
    for (size_t c = 0; c < cols.size(); ++c) {
      const double v = r < counts.size() && c < counts[r].size() ? counts[r][c] : 0;
      if (!std::isfinite(v)) continue;  // not observed: no cell, not a light one
      // Light to dark blue; lightness alone carries the value.
      const double f = max > 0 ? v / max : 0;
      const int light = static_cast<int>(97 - 70 * f);
      svg += "<rect x=\"" + num(kLeft + c * cw) + "\" y=\"" + num(y) + "\" width=\"" +
             num(cw - 1) + "\" height=\"20\" fill=\"hsl(210,60%," + std::to_string(light) +
             "%)\"><title>" + html_escape(rows[r]) + " " + html_escape(cols[c]) + ": " + format_tick(v) +
             "</title></rect>";
      if (v > 0) {
        svg += "<text class=\"hv\" x=\"" + num(kLeft + c * cw + cw / 2) + "\" y=\"" +
               num(y + 14) + "\" text-anchor=\"middle\" fill=\"" +
               std::string(light < 55 ? "#fff" : "#000") + "\">" + format_tick(v) + "</text>";
      }
    }
  }
  for (size_t c = 0; c < cols.size(); c += 2) {
    svg += "<text class=\"tick\" x=\"" + num(kLeft + c * cw + cw / 2) + "\" y=\"" +
           num(kTop + 22.0 * rows.size() + 14) + "\" text-anchor=\"middle\">" +
           html_escape(cols[c]) + "</text>";
  }
  svg += "<text class=\"al\" x=\"" + num(kLeft + plot_w / 2.0) + "\" y=\"" +
         std::to_string(height - 6) + "\" text-anchor=\"middle\">" + html_escape(t.x_label) +
         "</text>";
  return svg + "</svg>";
}

}  // namespace muni::report
