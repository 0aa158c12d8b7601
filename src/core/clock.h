// Time and randomness as injected dependencies, so the engine, scheduler and
// backoff run in tests without sleeping and with reproducible jitter.
//
// Only SystemClock and SystemRandom (clock.cpp) read the real clock or an
// entropy source; everything else receives a Clock& / Random&.
#pragma once

#include <cstdint>
#include <random>

#include "core/time_util.h"

namespace muni {

class Clock {
 public:
  virtual ~Clock() = default;
  // Wall-clock time, UTC: what is stored and shown. It can jump (NTP
  // steps, a manual `date -s`), so nothing waits on it.
  virtual TimeMs now() const = 0;
  // Monotonic time in ms from an arbitrary origin: intervals, backoff and
  // deadlines. It never jumps and only means something as a difference.
  virtual TimeMs monotonic() const = 0;
};

class SystemClock final : public Clock {
 public:
  TimeMs now() const override;
  TimeMs monotonic() const override;  // CLOCK_MONOTONIC (std::chrono::steady_clock)
};

class Random {
 public:
  virtual ~Random() = default;
  // Uniform in [0, 1).
  virtual double uniform01() = 0;
};

// A Mersenne Twister; seeded from std::random_device unless a seed is given.
class SystemRandom final : public Random {
 public:
  SystemRandom();
  explicit SystemRandom(uint64_t seed) : gen_(seed) {}
  double uniform01() override { return std::uniform_real_distribution<double>(0.0, 1.0)(gen_); }

 private:
  std::mt19937_64 gen_;
};

}  // namespace muni
