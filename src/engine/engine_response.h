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

#include "engine/engine.h"

namespace muni {}  // namespace muni
