#include "engine/curl_transport.h"

#include <mutex>

#include "core/strings.h"
#include "engine/net_policy.h"

namespace muni {

struct CurlTransport::Transfer {
  uint64_t tag = 0;
  CURL* easy = nullptr;
  curl_slist* headers = nullptr;
  HttpResponse response;
  int64_t max_bytes = 0;
  bool too_large = false;
  bool allow_private = false;
  std::string refused_ip;  // set when the connection was refused by address policy
};

namespace {

std::once_flag g_curl_init;

size_t on_body(char* data, size_t size, size_t n, void* user) {
  auto* t = static_cast<CurlTransport::Transfer*>(user);
  const size_t bytes = size * n;
  if (static_cast<int64_t>(t->response.body.size() + bytes) > t->max_bytes) {
    t->too_large = true;
    return 0;  // makes curl abort the transfer with CURLE_WRITE_ERROR
  }
  t->response.body.append(data, bytes);
  return bytes;
}

size_t on_header(char* data, size_t size, size_t n, void* user) {
  auto* t = static_cast<CurlTransport::Transfer*>(user);
  const size_t bytes = size * n;
  std::string_view line(data, bytes);
  if (starts_with(line, "HTTP/")) {
    // A new status line: the previous headers belonged to a redirect or an
    // interim (100 Continue) response.
    t->response.headers.clear();
    return bytes;
  }
  const size_t colon = line.find(':');
  if (colon != std::string_view::npos) {
    t->response.headers.push_back(
        {std::string(trim(line.substr(0, colon))), std::string(trim(line.substr(colon + 1)))});
  }
  return bytes;
}

// Runs after DNS and connect, before the request is sent: the address the
// name resolved to is checked here, so a public name that resolves to a
// private address (DNS rebinding) is refused as well.
int on_prereq(void* user, char* primary_ip, char* /*local_ip*/, int /*primary_port*/,
              int /*local_port*/) {
  auto* t = static_cast<CurlTransport::Transfer*>(user);
  if (t->allow_private || primary_ip == nullptr || !is_private_address(primary_ip))
    return CURL_PREREQFUNC_OK;
  t->refused_ip = primary_ip;
  return CURL_PREREQFUNC_ABORT;
}

}  // namespace

CurlTransport::CurlTransport(CurlTransportOptions options) : options_(std::move(options)) {
  std::call_once(g_curl_init, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
  multi_ = curl_multi_init();
  curl_multi_setopt(multi_, CURLMOPT_PIPELINING, CURLPIPE_MULTIPLEX);
  curl_multi_setopt(multi_, CURLMOPT_MAX_HOST_CONNECTIONS, options_.max_connections_per_host);
  curl_multi_setopt(multi_, CURLMOPT_MAXCONNECTS, options_.connection_cache_size);
}

CurlTransport::~CurlTransport() {
  for (auto& [tag, t] : transfers_) {
    curl_multi_remove_handle(multi_, t->easy);
    curl_slist_free_all(t->headers);
    curl_easy_cleanup(t->easy);
  }
  for (CURL* e : idle_handles_) curl_easy_cleanup(e);
  curl_multi_cleanup(multi_);
}

void CurlTransport::start(uint64_t tag, const HttpRequest& request) {
  auto t = std::make_unique<Transfer>();
  t->tag = tag;
  t->max_bytes = options_.max_response_bytes;
  t->allow_private = options_.allow_private_addresses;
  t->response.url = request.url;
  if (!idle_handles_.empty()) {
    t->easy = idle_handles_.back();
    idle_handles_.pop_back();
    curl_easy_reset(t->easy);
  } else {
    t->easy = curl_easy_init();
  }
  CURL* e = t->easy;
  curl_easy_setopt(e, CURLOPT_URL, request.url.c_str());
  curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST,
                   request.method == "GET" ? nullptr : request.method.c_str());
  curl_easy_setopt(e, CURLOPT_USERAGENT, options_.user_agent.c_str());
  curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, "");  // every encoding this libcurl can decode
  // Redirects come back as they are: the engine decides whether to follow
  // them (engine/net_policy.h), so no answer can send muniscope elsewhere.
  curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(e, CURLOPT_PREREQFUNCTION, on_prereq);
  curl_easy_setopt(e, CURLOPT_PREREQDATA, t.get());
  curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, options_.connect_timeout_ms);
  curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, options_.total_timeout_ms);
  curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(e, CURLOPT_HTTP_VERSION, static_cast<long>(CURL_HTTP_VERSION_2TLS));
  curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L);
  curl_easy_setopt(e, CURLOPT_MAXFILESIZE_LARGE,
                   static_cast<curl_off_t>(options_.max_response_bytes));
  curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(e, CURLOPT_WRITEDATA, t.get());
  curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(e, CURLOPT_HEADERDATA, t.get());
  curl_easy_setopt(e, CURLOPT_PRIVATE, t.get());
  for (const HttpHeader& h : request.headers) {
    t->headers = curl_slist_append(t->headers, (h.name + ": " + h.value).c_str());
  }
  curl_easy_setopt(e, CURLOPT_HTTPHEADER, t->headers);
  curl_multi_add_handle(multi_, e);
  transfers_[tag] = std::move(t);
}

void CurlTransport::cancel(uint64_t tag) {
  const auto it = transfers_.find(tag);
  if (it == transfers_.end()) return;
  curl_multi_remove_handle(multi_, it->second->easy);
  curl_slist_free_all(it->second->headers);
  idle_handles_.push_back(it->second->easy);
  transfers_.erase(it);
}

std::vector<HttpTransport::Completion> CurlTransport::collect() {
  std::vector<Completion> done;
  int queued = 0;
  while (CURLMsg* msg = curl_multi_info_read(multi_, &queued)) {
    if (msg->msg != CURLMSG_DONE) continue;
    Transfer* t = nullptr;
    curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, reinterpret_cast<char**>(&t));
    if (t == nullptr) continue;
    const CURLcode rc = msg->data.result;
    long status = 0;
    curl_easy_getinfo(t->easy, CURLINFO_RESPONSE_CODE, &status);
    double seconds = 0;
    curl_easy_getinfo(t->easy, CURLINFO_TOTAL_TIME, &seconds);
    char* effective = nullptr;
    curl_easy_getinfo(t->easy, CURLINFO_EFFECTIVE_URL, &effective);
    Completion c;
    c.tag = t->tag;
    c.response = std::move(t->response);
    c.response.seconds = seconds;
    if (effective != nullptr) c.response.url = effective;
    if (rc != CURLE_OK) {
      // Any transport failure voids the response: a half-read body must not
      // be mistaken for a complete page.
      c.response.status = 0;
      c.response.body.clear();
      if (!t->refused_ip.empty()) {
        c.response.refused = true;
        c.response.transport_error =
            "refused to connect: the host resolves to " + t->refused_ip +
            ", a loopback or private address (set defaults.allow_private_addresses: true to allow "
            "it)";
      } else if (t->too_large || rc == CURLE_FILESIZE_EXCEEDED) {
        c.response.transport_error = "response larger than " +
                                     std::to_string(options_.max_response_bytes) +
                                     " bytes (max_response_bytes)";
      } else {
        c.response.transport_error = curl_easy_strerror(rc);
      }
    } else {
      c.response.status = static_cast<int>(status);
    }
    curl_multi_remove_handle(multi_, t->easy);
    curl_slist_free_all(t->headers);
    idle_handles_.push_back(t->easy);
    transfers_.erase(c.tag);
    done.push_back(std::move(c));
  }
  return done;
}

std::vector<HttpTransport::Completion> CurlTransport::poll(int timeout_ms) {
  int running = 0;
  curl_multi_perform(multi_, &running);
  std::vector<Completion> done = collect();
  if (!done.empty()) return done;
  std::vector<curl_waitfd> extra;
  for (const int fd : wakeup_fds_) extra.push_back(curl_waitfd{fd, CURL_WAIT_POLLIN, 0});
  int numfds = 0;
  curl_multi_poll(multi_, extra.data(), static_cast<unsigned>(extra.size()),
                  timeout_ms < 0 ? 0 : timeout_ms, &numfds);
  curl_multi_perform(multi_, &running);
  return collect();
}

CurlTransportOptions transport_options(const Config& c) {
  CurlTransportOptions o;
  o.user_agent = c.effective_user_agent();
  o.connect_timeout_ms = static_cast<long>(c.defaults.connect_timeout_ms);
  o.total_timeout_ms = static_cast<long>(c.defaults.request_timeout_ms);
  o.max_response_bytes = c.defaults.max_response_bytes;
  o.allow_private_addresses = c.defaults.allow_private_addresses;
  return o;
}

}  // namespace muni
