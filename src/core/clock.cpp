#include "core/clock.h"

#include <chrono>

namespace muni {

TimeMs SystemClock::now() const {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

TimeMs SystemClock::monotonic() const {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

SystemRandom::SystemRandom() : gen_(std::random_device{}()) {}

}  // namespace muni
