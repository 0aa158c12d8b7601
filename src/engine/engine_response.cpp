// Response handling (engine_response.h).
#include "engine/engine_response.h"

#include <algorithm>

#include "core/strings.h"
#include "core/text_safety.h"
#include "engine/engine_finish.h"
#include "engine/engine_state.h"
#include "engine/net_policy.h"

namespace muni {

using namespace engine_detail;

std::string http_class(int status) {
  if (status == 0) return "transport";
  return std::to_string(status / 100) + "xx";
}

ResponseClass classify_response(const HttpResponse& response, const RequestFacts& request) {
  const int status = response.status;
  if (request.optional && !is_redirect_status(status)) return ResponseClass::kForConnector;
  if (status == 0)
    return response.refused ? ResponseClass::kRefused : ResponseClass::kTransportError;
  if (is_redirect_status(status) && response.header("Location")) return ResponseClass::kRedirect;
  // 429, and 503 with Retry-After (RFC 9110 15.6.4).
  if (status == 429 || (status == 503 && response.header("Retry-After")))
    return ResponseClass::kRateLimited;
  if (status >= 500) return ResponseClass::kServerError;
  if (response.body.size() > Engine::kStopAbandonBodyBytes && request.stopping)
    return ResponseClass::kAbandoned;
  // 304 Not Modified answers a conditional request (RFC 9110 15.4.5).
  if (status == 304 && !request.sent_validators) return ResponseClass::kUnasked304;
  return ResponseClass::kAnswer;
}

AnswerVerdict judge_answer(int http_status, const StepResult& step) {
  AnswerVerdict v;
  v.accepted = step.failure == FailureKind::kNone && !step.throttle;
  v.not_modified = http_status == 304 && v.accepted && step.done && !step.request;
  return v;
}

void Engine::on_completion(uint64_t tag, HttpResponse response) {
  const auto t = transfer_to_session_.find(tag);
  if (t == transfer_to_session_.end()) return;
  const uint64_t sid = t->second;
  transfer_to_session_.erase(t);
  const auto it = sessions_.find(sid);
  if (it == sessions_.end()) return;
  Session& s = *it->second;
  s.transfer = 0;
  const TimeMs now = timer_now();
  HostRt& host = *hosts_.at(s.host_key);
  --host.in_flight;
  ++counters_.http[{s.platform, http_class(response.status)}];
  if (response.status != 0) s.http_status = response.status;
  host.limiter.observe(response, now, wall_of(now));
  log_absurd_rate_figure(host);
  // The connector sees the URL it asked for, never one with the engine's
  // credential in it.
  response.url = s.request ? s.request->url : std::string();
  const std::string url = printable(redact_url(response.url), 300);
  // A server that echoes the request hands the key back: connectors never
  // see a secret, not even that way.
  response.body = vault_.scrub(std::move(response.body));
  for (HttpHeader& h : response.headers) h.value = vault_.scrub(std::move(h.value));
  RequestFacts facts;
  facts.optional = s.request && s.request->optional;
  facts.sent_validators = s.sent_validators;
  facts.stopping = response.body.size() > kStopAbandonBodyBytes && stop_requested();
  switch (classify_response(response, facts)) {
    case ResponseClass::kForConnector:
      // The connector copes with any answer to an optional request itself.
      handle_step(s, s.impl->on_response(response), now);
      return;
    case ResponseClass::kRefused:
      log()->warn("{}: {} ({})", s.label, response.transport_error, vault_.scrub(url));
      finish(s,
             Finish{Outcome::kRefused, FailureKind::kRefused, false,
                    response.transport_error + " (" + url + ")", 0},
             now);
      return;
    case ResponseClass::kTransportError:
      finish(s,
             Finish{Outcome::kTransportError, FailureKind::kNone, true,
                    printable(response.transport_error, 300) + " (" + url + ")", 0},
             now);
      return;
    case ResponseClass::kRedirect:
      follow_redirect(s, host, response, url, now);
      return;
    case ResponseClass::kRateLimited:
      hold_host(s, host, response, url, now);
      return;
    case ResponseClass::kServerError: {
      const std::string excerpt = printable(trim(response.body.substr(0, 120)), 160);
      finish(s,
             Finish{Outcome::kServerError, FailureKind::kNone, true,
                    "HTTP " + std::to_string(response.status) + " from " + url +
                        (excerpt.empty() ? "" : ": " + excerpt),
                    response.status},
             now);
      return;
    }
    case ResponseClass::kAbandoned:
      // Stopping: reading a long answer (a 100,000-entry feed takes seconds
      // to parse and store) would delay the stop past what systemd waits
      // for. Nothing of it is stored, and the cursor stays: it is read again
      // next time.
      finish(s,
             Finish{Outcome::kInterrupted, FailureKind::kNone, false,
                    "stopped before a long answer (" + std::to_string(response.body.size()) +
                        " bytes) was read; it is read again next time",
                    response.status},
             now);
      return;
    case ResponseClass::kUnasked304:
      // To a request that sent no validator a 304 is a broken answer, not
      // "nothing new" (a feed that did this stayed "ok" with 0 entries
      // forever).
      finish(s,
             Finish{Outcome::kMalformed, FailureKind::kMalformed, true,
                    "HTTP 304 Not Modified from " + url +
                        " to a request that sent no validator (no If-None-Match or "
                        "If-Modified-Since): a broken answer, nothing read",
                    response.status},
             now);
      return;
    case ResponseClass::kAnswer:
      read_answer(s, response, now);
      return;
  }
}

void Engine::follow_redirect(Session& s, HostRt& host, const HttpResponse& response,
                             const std::string& url, TimeMs now) {
  // The engine follows redirects itself, within net_policy.h's rules.
  const std::string location = *response.header("Location");
  const auto target = resolve_redirect(response.url, location);
  const PlatformSettings* ps = config_.platform(s.platform);
  const std::vector<std::string> allowed =
      ps != nullptr ? ps->redirect_hosts : std::vector<std::string>{};
  std::optional<std::string> refusal;
  if (!target) {
    refusal = "its Location '" + printable(location, 200) + "' is not an http(s) URL";
  } else if (++s.redirects > kMaxRedirects) {
    refusal = "more than " + std::to_string(kMaxRedirects) + " redirects in a row (a loop?)";
  } else {
    refusal = redirect_refusal(response.url, *target, allowed);
  }
  if (refusal) {
    ++counters_.redirects_refused;
    const std::string reason =
        "refused the HTTP " + std::to_string(response.status) + " redirect from " + url +
        (target ? " to " + printable(redact_url(*target), 300) : std::string()) + ": " + *refusal +
        "; if the new place is legitimate, update the handle or list its host in "
        "platforms." +
        s.platform + ".redirect_hosts";
    log()->warn("{}: {}", s.label, vault_.scrub(reason));
    finish(s, Finish{Outcome::kRefused, FailureKind::kRefused, false, reason, response.status},
           now);
    return;
  }
  log()->debug("{}: following redirect to {}", s.label, vault_.scrub(redact_url(*target)));
  // A Location that echoes the query carries the credential the engine
  // attached; it is attached again when the redirect is sent, never twice.
  std::string next = *target;
  if (s.request->credential.kind != CredentialUse::Kind::kNone) {
    const AccountRt* owner = account(s.accounts.front());
    const AuthStyle style =
        owner != nullptr && owner->platform != nullptr ? owner->platform->auth : AuthStyle{};
    for (const std::string& name :
         {s.request->credential.parameter, style.parameter, std::string("key"),
          std::string("access_token"), std::string("appsecret_proof")}) {
      if (!name.empty()) next = remove_query_param(next, name);
    }
  }
  s.request->url = next;
  host.waiting.push_front(s.id);
}

void Engine::hold_host(Session& s, HostRt& host, const HttpResponse& response,
                       const std::string& url, TimeMs now) {
  // Hold the whole host until the announced time, then retry this request
  // first.
  ++host.rate_limited_total;
  ++counters_.rate_limit_waits;
  host.limiter.on_too_many_requests(response, now, s.sent_at, wall_of(now), random_.uniform01());
  log_absurd_rate_figure(host);
  const TimeMs until = host.limiter.blocked_until(now).value_or(now);
  const std::string why =
      "HTTP " + std::to_string(response.status) +
      (response.header("Retry-After") ? " with Retry-After" : " without a reset hint");
  if (++s.rate_limited > options_.max_rate_limit_retries) {
    finish(s,
           Finish{Outcome::kRateLimited, FailureKind::kNone, true,
                  "rate-limited by " + host.key + " until " + clock_time_of(until) + " (" + why +
                      ", " + std::to_string(s.rate_limited) + " times in a row)",
                  response.status, until},
           now);
  } else {
    host.waiting.push_front(s.id);  // retried first once the host's wait is over
    log()->info("{}: {} from {}; holding {} until {}", s.label, why, vault_.scrub(url), host.key,
                clock_time_of(until));
    note_rate_limited(host, until, why, now);
  }
}

void Engine::read_answer(Session& s, const HttpResponse& response, TimeMs now) {
  const bool conditional_ok = s.request && s.request->conditional && response.status == 200;
  const std::string request_url = s.request ? s.request->url : std::string();
  HttpCacheEntry validators{response.header("ETag").value_or(""),
                            response.header("Last-Modified").value_or("")};
  StepResult step;
  try {
    step = s.impl->on_response(response);
  } catch (const std::exception& e) {
    step = StepResult::fail(FailureKind::kMalformed, std::string("connector error: ") + e.what(),
                            response.status);
  }
  const AnswerVerdict verdict = judge_answer(response.status, step);
  // Recorded as such in the poll log: the server had nothing new.
  if (verdict.not_modified) step.reason = "not modified (HTTP 304)";
  const Ingest stored =
      handle_step(s, std::move(step), now, verdict.not_modified);  // s may be gone from here on
  // Validators are saved only once the page they came with is stored, all
  // of it, so a 304 can never hide a page that was not: not after a store
  // failure, and not after a stop between the chunks of a long page (its
  // rest is read next time, which a 304 would prevent).
  if (conditional_ok && verdict.accepted && stored == Ingest::kStored &&
      (!validators.etag.empty() || !validators.last_modified.empty())) {
    (void)store_.http_cache_put(request_url, validators, wall_of(now));
  }
}

void Engine::handle_step_rest(Session& s, StepResult step, bool not_modified, TimeMs now) {
  if (step.throttle) {
    apply_throttle(s, *step.throttle, step.http_status, now);
    return;
  }
  if (step.failure != FailureKind::kNone) {
    finish(s,
           Finish{outcome_of(step.failure), step.failure, is_transient(step.failure), step.reason,
                  step.http_status != 0 ? step.http_status : s.http_status},
           now);
    return;
  }
  if (step.request) {
    if (auto stop = unit_guard(s, *step.request)) {
      ++counters_.units_stopped;
      log()->warn("{}: {}", s.label, vault_.scrub(*stop));
      finish(s, Finish{Outcome::kNoProgress, FailureKind::kNoProgress, true, *stop, s.http_status},
             now);
      return;
    }
    s.request = std::move(step.request);
    hosts_.at(s.host_key)->waiting.push_back(s.id);
    return;
  }
  if (step.done) {
    finish(s,
           Finish{not_modified ? Outcome::kNotModified : Outcome::kOk, FailureKind::kNone, false,
                  step.reason, s.http_status},
           now);
    return;
  }
  finish(s,
         Finish{Outcome::kInternalError, FailureKind::kNone, true,
                "connector neither requested nor finished", 0},
         now);
}

void Engine::apply_throttle(Session& s, const Throttle& t, int http_status, TimeMs now) {
  HostRt& host = *hosts_.at(s.host_key);
  TimeMs until = now + t.wait.value_or(options_.backoff.base_ms);
  std::string what = "the host " + host.key;
  switch (t.scope) {
    case Throttle::Scope::kCredential:
      if (const auto b = budgets_.find(s.quota_scope); b != budgets_.end()) {
        // Budgets keep wall time: their resets are wall-clock instants.
        if (t.wait) {
          b->second->block_until(wall_of(until));
        } else {
          b->second->exhaust(wall_of(now));
          until = timer_of(b->second->next_reset(wall_of(now)));
        }
        what = "quota " + s.quota_scope;
      } else {
        host.limiter.hold_until(until);
      }
      break;
    case Throttle::Scope::kHost:
      host.limiter.hold_until(until);
      break;
    case Throttle::Scope::kAccount:
      what = "the account";
      break;
  }
  ++counters_.rate_limit_waits;
  finish(s,
         Finish{Outcome::kRateLimited, FailureKind::kNone, true,
                "throttled by the platform: " + t.reason + "; " + what + " waits until " +
                    clock_time_of(until),
                http_status, until},
         now);
}

void Engine::note_rate_limited(HostRt& host, TimeMs until, const std::string& why, TimeMs now) {
  // Every account waiting on this host shows why it waits.
  const std::string reason =
      "rate-limited by " + host.key + " until " + clock_time_of(until) + " (" + why + ")";
  last_wait_ = "rate-limited by " + host.key + " until " + clock_time_of(until);
  last_wait_until_ = until;
  for (const uint64_t sid : host.waiting) {
    const auto it = sessions_.find(sid);
    if (it == sessions_.end()) continue;
    for (const int64_t id : it->second->accounts) {
      if (AccountRt* a = account(id)) set_state(*a, AccountState::kRateLimited, reason, now);
    }
  }
}

void Engine::log_absurd_rate_figure(HostRt& host) {
  const std::string note = host.limiter.take_absurd_note();
  if (!note.empty())
    log()->warn("{}: the server's rate-limit figure is absurd: {}", host.key, note);
}

}  // namespace muni
