#include "test_connector.h"

#include "core/json.h"
#include "core/strings.h"

namespace muni::test {

namespace {

struct Cursor {
  int64_t newest = 0;
  int64_t oldest = 0;
  static Cursor parse(const std::string& text) {
    Cursor c;
    if (auto doc = parse_json(text); doc.ok() && (*doc)->IsObject()) {
      c.newest = json_int(**doc, "newest").value_or(0);
      c.oldest = json_int(**doc, "oldest").value_or(0);
    }
    return c;
  }
  std::string str() const {
    JsonWriter w;
    w.begin_object().key("newest").value(newest).key("oldest").value(oldest).end_object();
    return w.str();
  }
};

class Session : public ConnectorSession {
 public:
  Session(AccountView a, WorkKind work, bool query_credential)
      : a_(std::move(a)), work_(work), cursor_(Cursor::parse(a_.cursor)),
        query_credential_(query_credential) {
    test_connector_inputs().push_back(a_.handle + " " + a_.platform_id + " " + a_.cursor + " " +
                                      a_.base_url.value_or(""));
    if (starts_with(a_.handle, "http")) {
      const size_t slash = a_.handle.rfind('/');
      base_ = a_.handle.substr(0, slash);
      user_ = a_.handle.substr(slash + 1);
    } else {
      base_ = a_.base_url.value_or("http://test.invalid");
      user_ = a_.handle;
    }
  }

  StepResult start() override {
    if (work_ == WorkKind::kRefresh) return StepResult::finish();
    if (work_ == WorkKind::kBackfill) {
      if (cursor_.oldest <= 1) return StepResult::finish();
      return StepResult::send(request("before=" + std::to_string(cursor_.oldest)));
    }
    return StepResult::send(request("since=" + std::to_string(cursor_.newest)));
  }

  StepResult on_response(const HttpResponse& r) override {
    std::string seen = r.url + " " + r.body + " " + r.transport_error;
    for (const auto& h : r.headers) seen += " " + h.name + ": " + h.value;
    test_connector_inputs().push_back(std::move(seen));
    if (r.status == 404) return StepResult::fail(FailureKind::kNotFound, "no such user", r.status);
    if (r.status == 401 || r.status == 403)
      return StepResult::fail(FailureKind::kAuthFailed, "credential rejected", r.status);
    if (r.status != 200)
      return StepResult::fail(FailureKind::kMalformed, "HTTP " + std::to_string(r.status),
                              r.status);
    auto doc = parse_json(r.body);
    if (!doc.ok()) return StepResult::fail(FailureKind::kMalformed, doc.error().message, r.status);
    const JsonValue* posts = json_array(**doc, "posts");
    if (posts == nullptr)
      return StepResult::fail(FailureKind::kMalformed, "no posts array", r.status);
    Page page;
    AccountSnapshot snap;
    snap.platform_id = user_;
    snap.handle = user_;
    snap.followers = json_int(**doc, "followers");
    snap.posts = json_int(**doc, "count");  // when the world reports it
    page.batch.snapshot = snap;
    page.platform_id = user_;
    for (const auto& p : posts->GetArray()) {
      auto id = json_int(p, "id");
      auto t = json_int(p, "t");
      if (!id || !t)
        return StepResult::fail(FailureKind::kMalformed, "post without id or t", r.status);
      PostRecord rec;
      rec.platform_post_id = std::to_string(*id);
      rec.created_at = *t;
      rec.engagement.likes = json_int(p, "likes");
      page.batch.posts.push_back(rec);
      cursor_.newest = std::max(cursor_.newest, *id);
      if (cursor_.oldest == 0 || *id < cursor_.oldest) cursor_.oldest = *id;
    }
    const bool more = json_bool(**doc, "more").value_or(false);
    if (work_ == WorkKind::kBackfill) {
      page.backfill_state = more ? BackfillState::kPending : BackfillState::kComplete;
      page.cursor = cursor_.str();
      return StepResult::finish(std::move(page));
    }
    if (a_.cursor.empty() && !first_seen_) {
      // First poll ever: history below this page is backfill's job.
      first_seen_ = true;
      page.backfill_state = cursor_.oldest > 1 ? BackfillState::kPending : BackfillState::kComplete;
      page.cursor = cursor_.str();
      return StepResult::finish(std::move(page));
    }
    page.cursor = cursor_.str();
    if (more)
      return StepResult::send(request("since=" + std::to_string(cursor_.newest)), std::move(page));
    return StepResult::finish(std::move(page));
  }

 private:
  HttpRequest request(const std::string& query) const {
    HttpRequest r;
    r.url = base_ + "/u/" + user_ + "/posts?" + query;
    if (query_credential_) {
      r.credential.kind = CredentialUse::Kind::kQueryParameter;
      r.credential.parameter = "key";
    } else {
      r.credential.kind = CredentialUse::Kind::kBearerHeader;
    }
    return r;
  }

  AccountView a_;
  WorkKind work_;
  Cursor cursor_;
  std::string base_;
  std::string user_;
  bool first_seen_ = false;
  bool query_credential_ = false;
};

class TestConnector : public Connector {
 public:
  TestConnector(std::string platform, bool uses_credential, bool query_credential)
      : platform_(std::move(platform)), credential_(uses_credential), query_(query_credential) {}
  std::string_view platform() const override { return platform_; }
  std::string host_for(const AccountView& a) const override {
    const std::string base =
        starts_with(a.handle, "http") ? a.handle : a.base_url.value_or("http://test.invalid");
    auto u = parse_url(base);
    return u ? u->host + (u->port ? ":" + std::to_string(u->port) : "") : "test.invalid";
  }
  std::unique_ptr<ConnectorSession> begin(const AccountView& a, WorkKind w) const override {
    return std::make_unique<Session>(a, w, query_);
  }

 private:
  std::string platform_;
  bool credential_;
  bool query_;
};

}  // namespace

std::unique_ptr<Connector> make_test_connector(std::string platform, bool uses_credential,
                                               bool query_credential) {
  return std::make_unique<TestConnector>(std::move(platform), uses_credential, query_credential);
}

void register_toy_platforms() {
  for (const char* id : {"toy", "toy2", "toy3"}) {
    if (find_platform(id) != nullptr) continue;
    PlatformDescriptor d;
    d.id = id;
    d.display_name = std::string("test platform ") + id;
    d.category = Category::kBlog;
    d.earliest_item_ms = 0;
    d.capabilities.connector = true;
    d.capabilities.full_history = true;
    d.work = {{WorkKind::kPoll}, {WorkKind::kBackfill}};
    platform_registry().add(std::move(d));
  }
}

std::vector<std::string>& test_connector_inputs() {
  static std::vector<std::string> inputs;
  return inputs;
}

}  // namespace muni::test
