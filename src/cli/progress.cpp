#include "cli/progress.h"

#include <unistd.h>

namespace muni {

ProgressLine::ProgressLine(const Clock& clock, std::FILE* out, std::string what, std::string unit,
                           int64_t total)
    : clock_(clock),
      out_(out),
      what_(std::move(what)),
      unit_(std::move(unit)),
      total_(total),
      active_(out != nullptr && isatty(fileno(out)) == 1),
      started_(clock.monotonic()) {}

std::string ProgressLine::short_duration(int64_t seconds) {
  if (seconds < 0) seconds = 0;
  const int64_t h = seconds / 3600, m = (seconds % 3600) / 60, s = seconds % 60;
  if (h > 0) return std::to_string(h) + "h" + (m < 10 ? "0" : "") + std::to_string(m) + "m";
  if (m > 0) return std::to_string(m) + "m" + (s < 10 ? "0" : "") + std::to_string(s) + "s";
  return std::to_string(s) + "s";
}

void ProgressLine::update(int64_t done, const std::string& note, bool force) {
  if (!active_) return;
  const TimeMs now = clock_.monotonic();  // rates and ETA: elapsed time
  if (!force && now - last_draw_ < 200) return;
  last_draw_ = now;
  const double elapsed_s = static_cast<double>(now - started_) / 1000.0;
  const double rate = elapsed_s > 0 ? static_cast<double>(done) / elapsed_s : 0;
  std::string line = what_ + ": " + std::to_string(done) +
                     (total_ > 0 ? "/" + std::to_string(total_) : std::string()) + " " + unit_;
  char buf[64];
  std::snprintf(buf, sizeof buf, ", %.1f/s", rate);
  line += buf;
  if (rate > 0 && done < total_) {
    line += ", ETA " + short_duration(static_cast<int64_t>((total_ - done) / rate));
  }
  if (!note.empty()) line += ", " + note;
  if (line.size() > 160) line = line.substr(0, 157) + "...";
  const size_t width = line.size();
  if (width < last_width_) line.append(last_width_ - width, ' ');
  last_width_ = width;
  std::fprintf(out_, "\r%s", line.c_str());
  std::fflush(out_);
}

void ProgressLine::clear() {
  if (!active_ || last_width_ == 0) return;
  std::fprintf(out_, "\r%s\r", std::string(last_width_, ' ').c_str());
  std::fflush(out_);
  last_width_ = 0;
}

}  // namespace muni
