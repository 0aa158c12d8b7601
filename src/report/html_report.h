// `muniscope report`: one self-contained HTML file (inline CSS and SVG, no
// JavaScript, no network) that a city's communication team reads on screen
// or on paper, and a researcher uses to compare municipalities.
//
// Contents: an overview comparing the municipalities; then one page per
// municipality with its key figures (unknown shown as unknown), posts per
// month per platform, followers over time, the distribution of response
// times, posting by weekday and hour, and its accounts; with a survey, the
// verdict matrix and the agreement per item; a glossary of every term.
// German by default, English on request. Everything that came from a
// platform or a file is escaped (html_escape, core/text_safety.h).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "config/config.h"
#include "core/result.h"
#include "core/tz.h"
#include "store/store.h"
#include "survey/check.h"

namespace muni::report {

struct ReportOptions {
  std::vector<std::string> municipalities;  // empty: every configured one with accounts
  TimeMs from = 0, to = 0;                  // [from, to)
  std::string lang = "de";                  // de | en
  TimeZone tz = TimeZone::utc();
  TimeMs now = 0;
  const survey::Report* survey = nullptr;   // with --survey and --codebook
};

Result<std::string> render_report(Store& store, const Config& config, const ReportOptions& o);

}  // namespace muni::report
