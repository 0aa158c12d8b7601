// A fake t.me for loopback tests: public channels with their web preview
// (/s/<channel>, ?before=<id>) and channel pages (/<channel>), written in
// the markup of the recorded pages (tests/fixtures/telegram/SOURCES.md).
//
//   - a channel starts with message 1, the service message "Channel
//     created"; messages get the next ids; deleted ones leave gaps
//   - the preview shows `page_size` messages, oldest first, with the
//     a.tme_messages_more[data-before] link while older ones exist
//   - views above 999 are abbreviated as Telegram does ("1.2K")
//   - a name without a channel, or a restricted channel, redirects /s/<name>
//     to /<name> (302, as t.me does); the channel page of an unknown name
//     has no subscriber count
//   - throttle(n, retry_after): the next n requests get 429 with
//     Retry-After, as t.me answers floods
//
// Thread-safe: the loopback server calls handle() from its pool.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "core/model.h"
#include "engine/http.h"

namespace muni::test {

class FakeTelegram {
 public:
  void add_channel(const std::string& name, const std::string& title, int64_t subscribers,
                   TimeMs created);
  // Returns the new message's id.
  int64_t add_message(const std::string& name, TimeMs at, const std::string& text, int64_t views,
                      const std::string& forwarded_from = "", int64_t reply_to = 0,
                      bool edited = false);
  void delete_message(const std::string& name, int64_t id);
  void set_subscribers(const std::string& name, int64_t subscribers);
  // The channel exists but its preview redirects to the channel page.
  void set_restricted(const std::string& name, bool restricted);
  void set_page_size(int n);
  void throttle(int requests, int retry_after_seconds);

  // Message ids (own messages, service messages left out), as the store keys them.
  std::vector<std::string> ids(const std::string& name) const;
  int64_t requests() const;
  int64_t preview_requests() const;        // /s/... (with or without before)
  int64_t throttled() const;               // 429 answers given
  std::vector<std::string> paths() const;  // every path asked, in order

  // The pages as the server would send them (for faults and fuzz seeds).
  std::string preview_html(const std::string& name, int64_t before) const;
  std::string channel_html(const std::string& name) const;

  HttpResponse handle(const HttpRequest& request);

 private:
  struct Message {
    int64_t id = 0;
    TimeMs at = 0;
    std::string text;
    int64_t views = 0;
    std::string forwarded_from;  // "channel/id"
    int64_t reply_to = 0;
    bool edited = false;
    bool service = false;
  };
  struct Channel {
    std::string title;
    int64_t subscribers = 0;
    bool restricted = false;
    int64_t next_id = 1;
    std::map<int64_t, Message> messages;
  };
  std::string preview_locked(const std::string& name, int64_t before) const;
  std::string channel_locked(const std::string& name) const;

  mutable std::mutex mu_;
  std::map<std::string, Channel> channels_;
  int page_size_ = 20;
  int throttle_left_ = 0;
  int retry_after_ = 1;
  int64_t requests_ = 0;
  int64_t preview_requests_ = 0;
  int64_t throttled_ = 0;
  std::vector<std::string> paths_;
};

// "857", "1.2K", "33.4K", "1.5M": as the preview shows a count.
std::string telegram_shown_count(int64_t n);

}  // namespace muni::test
