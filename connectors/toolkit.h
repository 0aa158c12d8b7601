// The connector toolkit: what every connector would otherwise write again.
// Sans-IO like the connectors themselves: no clock, no IO.
//
//   get()            a GET request with an Accept header
//   conditional_get  the same for a feed, with the engine's saved validators
//   CursorJson       the saved cursor as a flat JSON object of strings and
//                    integers; unreadable text reads as empty, keys with
//                    empty values are left out when written
//   fail_for_status  the usual meaning of an HTTP status for an account
//                    (404 not found, 410 gone, 401/403 authentication, the
//                    rest malformed) with the server's text quoted
//   handle_error     the error of a handle that cannot be used
//   host_key         the host (and port) of a URL, the engine's per-host key
//   IdleSession      a unit of work with nothing to do (finishes at once)
//   ConditionalFeedSession
//                    one feed by conditional GET: 304 nothing new, 200 read
//   session_for      the usual map from work kinds to a connector's sessions
//   empty_first_page the verdict on a first timeline page that came back
//                    empty, from the profile's count (no history, or ask
//                    again, or incomplete after kEmptyPollsBeforeIncomplete)
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "core/result.h"
#include "engine/connector.h"

namespace muni::toolkit {

HttpRequest get(std::string url, std::string_view accept = "application/json");

// What a request for a syndication feed accepts: RSS, Atom and RDF first.
inline constexpr std::string_view kFeedAccept =
    "application/rss+xml, application/atom+xml, application/rdf+xml, application/xml;q=0.9, "
    "text/xml;q=0.9, */*;q=0.1";

// A conditional GET: the engine adds the validators (ETag, Last-Modified) it
// saved for this URL once an answer to it was stored whole, and hands a 304
// back to the connector.
HttpRequest conditional_get(std::string url, std::string_view accept = kFeedAccept);

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

// A unit of work that reads one feed by conditional GET (start() sends
// conditional_get). A 304 finishes with unchanged(): the server has nothing
// new, and nothing stored changes. Any status but 200 goes to on_status
// (fail_for_status by default), a 200 to on_feed.
class ConditionalFeedSession : public ConnectorSession {
 public:
  StepResult on_response(const HttpResponse& r) final {
    if (r.status == 304) return StepResult::finish(unchanged());
    if (r.status != 200) return on_status(r);
    return on_feed(r);
  }

 protected:
  virtual Page unchanged() = 0;
  virtual StepResult on_status(const HttpResponse& r) { return fail_for_status(r, "feed"); }
  virtual StepResult on_feed(const HttpResponse& r) = 0;
};

// The usual map of a platform with comments from work kinds to session
// types. The daily comment sweep and comment backfill share one session: the
// engine hands it the items in AccountView::comment_ids either way.
template <class Poll, class Backfill, class Refresh, class Comments>
std::unique_ptr<ConnectorSession> session_for(const AccountView& account, WorkKind work) {
  switch (work) {
    case WorkKind::kPoll:
      return std::make_unique<Poll>(account);
    case WorkKind::kBackfill:
      return std::make_unique<Backfill>(account);
    case WorkKind::kRefresh:
      return std::make_unique<Refresh>(account);
    case WorkKind::kComments:
    case WorkKind::kCommentBackfill:
      return std::make_unique<Comments>(account);
  }
  return std::make_unique<IdleSession>();
}

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
