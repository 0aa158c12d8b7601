#include "core/posix_tz.h"

#include <date/ptz.h>

#include <exception>

namespace muni {

namespace {

class HinnantPosixRule final : public PosixRule {
 public:
  explicit HinnantPosixRule(const std::string& rule) : zone_(rule) {}
  int offset_at_utc(int64_t utc_seconds) const override {
    const date::sys_seconds t{std::chrono::seconds(utc_seconds)};
    return static_cast<int>(zone_.get_info(t).offset.count());
  }
  int offset_for_local(int64_t local_seconds) const override {
    const date::local_seconds t{std::chrono::seconds(local_seconds)};
    return static_cast<int>(zone_.get_info(t).first.offset.count());
  }

 private:
  Posix::time_zone zone_;
};

}  // namespace

std::shared_ptr<const PosixRule> PosixRule::parse(const std::string& rule) {
  try {
    return std::make_shared<HinnantPosixRule>(rule);
  } catch (const std::exception&) {
    return nullptr;
  }
}

}  // namespace muni
