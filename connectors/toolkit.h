// The connector toolkit: what every connector would otherwise write again.
// Sans-IO like the connectors themselves: no clock, no IO.
//
//   get()            a GET request with an Accept header
//   CursorJson       the saved cursor as a flat JSON object of strings and
//                    integers; unreadable text reads as empty, keys with
//                    empty values are left out when written
//   fail_for_status  the usual meaning of an HTTP status for an account
//                    (404 not found, 410 gone, 401/403 authentication, the
//                    rest malformed) with the server's text quoted
//   handle_error     the error of a handle that cannot be used
//   host_key         the host (and port) of a URL, the engine's per-host key
//   IdleSession      a unit of work with nothing to do (finishes at once)
//   empty_first_page the verdict on a first timeline page that came back
//                    empty, from the profile's count (no history, or ask
//                    again, or incomplete after kEmptyPollsBeforeIncomplete)
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "core/result.h"
#include "engine/connector.h"

namespace muni::toolkit {

HttpRequest get(std::string url, std::string_view accept = "application/json");

class CursorJson {
 public:
  static CursorJson parse(std::string_view text);

  std::string str(const std::string& key) const;
  int64_t num(const std::string& key, int64_t fallback = 0) const;
  std::optional<int64_t> opt_num(const std::string& key) const;
  bool has(const std::string& key) const;

  CursorJson& set(const std::string& key, std::string value);
  CursorJson& set(const std::string& key, int64_t value);
  CursorJson& set(const std::string& key, std::optional<int64_t> value);
  CursorJson& erase(const std::string& key);

  std::string dump() const;  // keys sorted, empty strings and absent numbers left out

 private:
  std::map<std::string, std::string> strings_;
  std::map<std::string, int64_t> numbers_;
};

// `what` names the request ("profile", "statuses"); `detail` is the server's
// error text, if the connector could read one.
StepResult fail_for_status(const HttpResponse& r, const std::string& what,
                           const std::string& detail = "");

Error handle_error(std::string_view platform, std::string_view raw, std::string_view why);

// "host" or "host:port" of an http(s) URL, for Connector::host_for; nullopt
// when `url` is not one.
std::optional<std::string> host_key(std::string_view url);

// A unit of work with nothing to do on this platform or path (no refresh
// without an API key, no comments in a feed): it finishes at once.
class IdleSession : public ConnectorSession {
 public:
  StepResult start() override { return StepResult::finish(); }
  StepResult on_response(const HttpResponse&) override { return StepResult::finish(); }
};

// Empty first timeline pages in a row before the history is recorded as
// incomplete (asked again on every poll all the same): one empty answer is
// no evidence of an empty account.
constexpr int kEmptyPollsBeforeIncomplete = 3;

// What an empty first timeline page means, and the note that says so.
// `posts_count` is what the profile reports (nullopt: unknown),
// `empty_polls` the empty answers so far including this one, `what` the
// timeline ("public timeline", "author feed"), `items` what it lists
// ("statuses", "posts").
struct EmptyFirstPage {
  BackfillState state = BackfillState::kPending;
  std::string note;
};
EmptyFirstPage empty_first_page(std::optional<int64_t> posts_count, int empty_polls,
                                std::string_view what, std::string_view items,
                                std::string_view why_hidden = "");

// Press releases print profile addresses without the scheme
// ("nrw.social/deck/@stadtaachen"): text with a slash before any '@'.
bool is_schemeless_url(std::string_view text);

}  // namespace muni::toolkit
