// Helpers shared by muniscope's tests: a fake clock, temporary directories,
// fixture files and the shared real API samples.
#pragma once

#include <filesystem>
#include <optional>
#include <string>

#include "core/clock.h"
#include "core/time_util.h"

namespace muni::test {

// A clock that only moves when told to. Time passing (set, advance) moves
// wall and monotonic time alike; jump_wall moves the wall clock alone, as an
// NTP step or `date -s` does.
class FakeClock final : public Clock {
 public:
  explicit FakeClock(TimeMs start = 1767225600000 /* 2026-01-01T00:00:00Z */)
      : now_(start), monotonic_(start) {}
  TimeMs now() const override { return now_; }
  TimeMs monotonic() const override { return monotonic_; }
  void set(TimeMs t) { advance(t - now_); }
  void advance(DurationMs d) {
    now_ += d;
    monotonic_ += d;
  }
  void jump_wall(DurationMs d) { now_ += d; }

 private:
  TimeMs now_;
  TimeMs monotonic_;
};

// Deterministic "randomness": returns the given value, or cycles a sequence.
class FixedRandom final : public Random {
 public:
  explicit FixedRandom(double value = 0.5) : value_(value) {}
  double uniform01() override { return value_; }

 private:
  double value_;
};

// A fresh directory under the system temp dir, removed on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }
  std::string file(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

// tests/fixtures/<relative>; aborts the test if missing.
std::string read_fixture(const std::string& relative);
std::string fixture_path(const std::string& relative);
std::string read_file(const std::string& path);
void write_file(const std::string& path, const std::string& content);
// The project's source root.
std::string source_dir();
// ../shared/api-samples/<platform> when present (real recorded responses),
// else nullopt: conformance tests skip then.
std::optional<std::filesystem::path> shared_samples(const std::string& platform);
// Path of the built muniscope executable.
std::string muniscope_binary();

struct RunResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};
// Runs the muniscope binary with `args` (shell-quoted by the caller).
RunResult run_muniscope(const std::string& args);

TimeMs at(const char* iso8601);  // parse_iso8601 or abort

}  // namespace muni::test

#include "engine/http.h"

namespace muni::test {

// An HttpResponse from fixture files: tests/fixtures/<body_file> and, when
// given, a headers file whose first line may be the status line
// ("HTTP/1.1 429 Too Many Requests") followed by "Name: value" lines.
HttpResponse fixture_response(int status, const std::string& body_file,
                              const std::string& headers_file = "");

}  // namespace muni::test
