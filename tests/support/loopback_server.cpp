#include "loopback_server.h"

#include <httplib.h>

#include <chrono>

namespace muni::test {

struct LoopbackServer::Impl {
  httplib::Server server;
};

LoopbackServer::LoopbackServer(Handler handler, size_t threads, const std::string& host)
    : impl_(std::make_unique<Impl>()), host_(host) {
  impl_->server.new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
  impl_->server.set_keep_alive_max_count(1000);
  impl_->server.set_keep_alive_timeout(5);
  impl_->server.set_tcp_nodelay(true);  // no Nagle delay on small answers over keep-alive
  auto serve = [this, handler](const httplib::Request& req, httplib::Response& res) {
    ++requests_;
    const int now_active = ++active_;
    int peak = peak_.load();
    while (now_active > peak && !peak_.compare_exchange_weak(peak, now_active)) {
    }
    HttpRequest r;
    r.method = req.method;
    r.url = base_url() + req.target;
    for (const auto& [k, v] : req.headers) r.headers.push_back({k, v});
    std::optional<Fault> fault;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (selector_) fault = selector_(r);
      if (!fault && !faults_.empty()) {
        fault = faults_.front();
        faults_.pop_front();
      }
    }
    if (const int ms = latency_ms_.load(); ms > 0)
      std::this_thread::sleep_for(std::chrono::milliseconds(ms));
    if (fault && fault->kind == Fault::Kind::kStall) {
      std::this_thread::sleep_for(std::chrono::milliseconds(fault->stall_ms));
    }
    if (fault && fault->kind == Fault::Kind::kStatus) {
      res.status = fault->status;
      for (const auto& h : fault->headers) res.set_header(h.name, h.value);
      res.set_content(fault->body, "application/json");
      --active_;
      return;
    }
    HttpResponse out = handler(r);
    res.status = out.status;
    std::string content_type = "application/json";
    for (const auto& h : out.headers) {
      if (h.name == "Content-Type") {
        content_type = h.value;
      } else {
        res.set_header(h.name, h.value);
      }
    }
    if (fault && fault->kind == Fault::Kind::kTruncate) {
      // Announce the whole body, send half, then drop the connection.
      auto body = std::make_shared<std::string>(out.body);
      res.set_content_provider(body->size(), content_type,
                               [body](size_t offset, size_t, httplib::DataSink& sink) {
                                 if (offset > 0) return false;
                                 sink.write(body->data(), body->size() / 2);
                                 return false;
                               });
    } else {
      res.set_content(out.body, content_type);
    }
    --active_;
  };
  impl_->server.Get(".*", serve);
  port_ = impl_->server.bind_to_any_port(host_);
  thread_ = std::thread([this] { impl_->server.listen_after_bind(); });
}

LoopbackServer::~LoopbackServer() {
  impl_->server.stop();
  if (thread_.joinable()) thread_.join();
}

std::string LoopbackServer::base_url() const {
  return "http://" + host_ + ":" + std::to_string(port_);
}

void LoopbackServer::set_fault_selector(FaultSelector selector) {
  std::lock_guard<std::mutex> lock(mu_);
  selector_ = std::move(selector);
}

void LoopbackServer::inject(Fault fault) {
  std::lock_guard<std::mutex> lock(mu_);
  faults_.push_back(std::move(fault));
}

}  // namespace muni::test
