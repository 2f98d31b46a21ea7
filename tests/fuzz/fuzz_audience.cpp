// Fuzzes the onboarding routes' body readers (issue 14): POST /v1/audiences/{name}/members,
// POST /v1/matches and POST /v1/matches/{id}/activate through the pure request handler, with a
// store double that records uploads and activations. An activation reaches the store only for
// the match's publisher and one of its own destinations.
// Invariants: one answer with a status the routes document; a 200 upload stored at most as many
// members as the body had entries, each with 1-6 identifying ids, and counts every entry either
// as stored or as rejected; no answer echoes an e-mail-like token or an id of the body.
#include <set>
#include <string>

#include <nlohmann/json.hpp>

#include "../gateway/mem_store.hpp"
#include "fuzz_common.hpp"
#include "gateway/api/gateway.hpp"
#include "gateway/config/config.hpp"

using namespace hashgate::gw;

namespace {

/// The in-memory store, plus the last audience upload and a match answer.
struct UploadStore : test::MemStore {
  std::optional<AudienceUpload> last;
  void update_audience(AudienceUpload up, std::function<void(AudienceUploadResult)> done) override {
    AudienceUploadResult r;
    r.added = up.add.size();
    r.removed = up.remove.size();
    r.members = r.added;
    last = std::move(up);
    done(r);
  }
  void create_match(MatchRequest, std::function<void(MatchResult)> done) override {
    done(MatchResult{{}, MatchDecision::no_audience, {}});
  }
  std::optional<MatchInfo> find_match(const std::string& id) override {
    if (id != "m_1") return std::nullopt;
    MatchInfo m;
    m.match_id = id;
    m.agreement = "a1";
    m.advertiser = "t1";
    m.publisher = "t2";
    m.status = onboarding::MatchStatus::released;
    return m;
  }
  std::optional<ActivationRequest> activation;
  void activate_match(ActivationRequest q, std::function<void(ActivationResult)> done) override {
    activation = std::move(q);
    done(ActivationResult{});
  }
};

struct Harness {
  UploadStore store;
  api::Metrics metrics;
  std::optional<api::Gateway> gw;
  Harness() {
    ::setenv("HG_FUZZ_HOOK", "a-webhook-secret-of-32-bytes-xx", 1);
    const std::string cfg = R"({
      "store": {"data_dir": "/nonexistent/hashgate-fuzz"},
      "tenants": [
        {"id": "t1", "role": "advertiser", "api_key_sha256": ")" +
                            config::sha256_hex("sk_f") + R"("},
        {"id": "t2", "role": "publisher", "api_key_sha256": ")" +
                            config::sha256_hex("sk_g") + R"(",
         "destinations": [{"id": "d2", "kind": "webhook", "url": "http://127.0.0.1:9/h",
                           "secret_env": "HG_FUZZ_HOOK"}]}],
      "agreements": [{"id": "a1", "advertiser": "t1", "publisher": "t2", "purpose": "fuzz",
                      "legal_basis": "consent", "min_audience": 10, "expires": "2999-01-01"}]})";
    gw.emplace(config::parse_config(cfg), store, metrics, [] { return std::int64_t{1764374400}; });
  }
};

/// Counts the entries of "add" and "remove" when the body is an object with those arrays.
std::size_t entries_of(const std::string& body) {
  const auto j = nlohmann::json::parse(body, nullptr, false);
  std::size_t n = 0;
  if (!j.is_object()) return 0;
  for (const char* k : {"add", "remove"})
    if (j.contains(k) && j[k].is_array()) n += j[k].size();
  return n;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static Harness h;
  h.store.last.reset();
  h.store.activation.reset();
  hashgate::fuzz::Cursor in(data, size);
  const std::uint8_t a = in.byte();
  static constexpr const char* k_targets[] = {"/v1/audiences/vip/members", "/v1/matches",
                                              "/v1/audiences/a.b/members", "/v1/audiences"};
  api::Request req;
  req.method = (a & 4) ? "GET" : "POST";
  req.target = (a & 0x60) == 0x60 ? "/v1/matches/m_1/activate" : k_targets[a % 4];
  req.headers = {{"authorization", (a & 8) ? "Bearer sk_g" : "Bearer sk_f"},
                 {"content-type", (a & 16) ? "text/html" : "application/json"}};
  req.body = std::string(in.rest());
  const std::string body = req.body;
  int calls = 0;
  api::Response res;
  h.gw->handle(std::move(req), [&](api::Response r) {
    ++calls;
    res = std::move(r);
  });
  HG_FUZZ_CHECK(calls == 1);
  static const std::set<int> k_statuses = {200, 201, 202, 400, 401, 403,
                                           404, 405, 409, 413, 415, 422};
  HG_FUZZ_CHECK(k_statuses.count(res.status) == 1);
  HG_FUZZ_CHECK((res.status == 202) == h.store.activation.has_value());
  if (h.store.activation) {
    HG_FUZZ_CHECK((a & 8) != 0);  // only the publisher's key
    HG_FUZZ_CHECK(h.store.activation->destination == "d2");
    HG_FUZZ_CHECK(h.store.activation->publisher == "t2");
  }
  if (body.find('@') != std::string::npos) HG_FUZZ_CHECK(res.body.find('@') == std::string::npos);
  if (res.status == 200 && h.store.last) {
    const auto answer = nlohmann::json::parse(res.body);
    const std::size_t stored = h.store.last->add.size() + h.store.last->remove.size();
    HG_FUZZ_CHECK(stored + answer["rejected"].size() == entries_of(body));
    for (const auto* list : {&h.store.last->add, &h.store.last->remove})
      for (const auto& m : *list) HG_FUZZ_CHECK(!m.empty() && m.size() <= 6);
  }
  return 0;
}
