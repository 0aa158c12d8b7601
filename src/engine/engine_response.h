// Response handling: what an answer to a request means for its unit of
// work.
//
// Owns (engine_response.cpp): Engine::on_completion, handle_step_rest,
// apply_throttle, note_rate_limited, log_absurd_rate_figure.
//
//   - Every answer feeds the host's rate limiter and the HTTP counters; the
//     connector sees it with the requested URL and every secret scrubbed.
//   - An optional request's answer goes to the connector whatever it is.
//   - Transport errors back off, refused addresses are refused; redirects
//     are followed by the engine within engine/net_policy.h's rules; a 429
//     (or 503 with Retry-After) holds the whole host and retries the request
//     first, up to max_rate_limit_retries times; other 5xx back off.
//   - A long answer arriving once a stop is requested is not read; a 304 to
//     a request without validators is malformed.
//   - The rest goes to the connector; its pages go to page ingest
//     (engine_ingest.h), and the validators are stored only once the page
//     they came with is.
//   - A connector's throttle holds the host, the credential's budget, or
//     only the account.
#pragma once

#include <string>

#include "engine/connector.h"
#include "engine/http.h"

namespace muni {

// What an HTTP answer means before a connector reads it.
enum class ResponseClass {
  kForConnector,    // an optional request's answer (not a redirect): the connector copes
  kRefused,         // the transport refused the address (engine/net_policy.h)
  kTransportError,  // no HTTP answer (DNS, connect, TLS, timeout): back off
  kRedirect,        // 3xx with a Location: the engine follows it, within the net policy
  kRateLimited,     // 429, or 503 with Retry-After: hold the host, retry this request first
  kServerError,     // another 5xx: back off
  kAbandoned,       // a long answer while a stop is requested: not read, read again next time
  kUnasked304,      // 304 to a request that sent no validator: a broken answer
  kAnswer,          // for the connector to read
};

// What the engine knows of the request an answer belongs to.
struct RequestFacts {
  bool optional = false;         // HttpRequest::optional: the connector copes with any answer
  bool sent_validators = false;  // If-None-Match or If-Modified-Since went out
  // A stop is requested. Asked (a syscall) only for answers longer than
  // Engine::kStopAbandonBodyBytes, the only ones it changes.
  bool stopping = false;
};

// The pure core of Engine::on_completion, in the order the engine decides.
ResponseClass classify_response(const HttpResponse& response, const RequestFacts& request);

// What the connector made of an answer it read.
struct AnswerVerdict {
  bool accepted = false;      // no failure, no throttle: its pages may be stored
  bool not_modified = false;  // a 304 the connector took as "nothing new" (finished, no request)
};
AnswerVerdict judge_answer(int http_status, const StepResult& step);

// "2xx".."5xx", or "transport" for no answer: the HTTP counters' classes.
std::string http_class(int status);

}  // namespace muni
