// Progress of long work for people: on a terminal one line rewritten in
// place ("discover: 120/11045 sites, 2.1/s, ETA 1h27m, waiting: robots.txt of
// x.de"), otherwise nothing here (the caller logs one plain line per unit of
// work, which the journal keeps). Time comes from the injected clock.
#pragma once

#include <cstdio>
#include <string>

#include "core/clock.h"

namespace muni {

class ProgressLine {
 public:
  // `what` names the work ("discover"), `unit` the things counted ("sites").
  ProgressLine(const Clock& clock, std::FILE* out, std::string what, std::string unit,
               int64_t total);
  // True when `out` is a terminal (progress is drawn at all).
  bool active() const { return active_; }
  // The total, when it is known only after construction. A total of 0 means
  // unknown: the line shows the count and rate, without "/total" and ETA.
  void set_total(int64_t total) { total_ = total; }
  // Redraws at most every 200 ms (always when `force`). `note` says what the
  // work waits for, if anything.
  void update(int64_t done, const std::string& note = "", bool force = false);
  // Clears the line (before printing results or at the end).
  void clear();

  // "1h27m", "3m10s", "12s" (for ETAs).
  static std::string short_duration(int64_t seconds);

 private:
  const Clock& clock_;
  std::FILE* out_;
  std::string what_, unit_;
  int64_t total_;
  bool active_;
  TimeMs started_;
  TimeMs last_draw_ = 0;
  size_t last_width_ = 0;
};

}  // namespace muni
