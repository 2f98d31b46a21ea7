// Fuzzes the gateway's pure request handler (routing, headers and cookies, query strings, event
// JSON validation, the PII guard, opt-out and consent policy) with an in-memory store. Invariants:
// the response callback runs exactly once with a valid status; no e-mail-like token of the request
// is echoed in the response; nothing stored holds a plain e-mail address.
#include <string>
#include <vector>

#include "../gateway/mem_store.hpp"
#include "fuzz_common.hpp"
#include "gateway/api/gateway.hpp"
#include "gateway/config/config.hpp"

using namespace hashgate::gw;

namespace {

bool local_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
         c == '_' || c == '%' || c == '+' || c == '-';
}
bool domain_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.';
}

/// Plain e-mail addresses in `s` (a deliberately simple, independent detector).
std::vector<std::string> emails_in(std::string_view s) {
  std::vector<std::string> out;
  for (std::size_t at = s.find('@'); at != std::string_view::npos; at = s.find('@', at + 1)) {
    std::size_t b = at;
    while (b > 0 && local_char(s[b - 1])) --b;
    std::size_t e = at + 1;
    while (e < s.size() && domain_char(s[e])) ++e;
    const std::string_view domain = s.substr(at + 1, e - at - 1);
    const std::size_t dot = domain.rfind('.');
    if (b == at || dot == std::string_view::npos || dot == 0 || domain.size() - dot < 3) continue;
    bool alpha_tld = true;
    for (char c : domain.substr(dot + 1))
      alpha_tld = alpha_tld && ((c | 0x20) >= 'a' && (c | 0x20) <= 'z');
    if (alpha_tld) out.emplace_back(s.substr(b, e - b));
  }
  return out;
}

struct Harness {
  test::MemStore store;
  api::Metrics metrics;
  std::optional<api::Gateway> gw;
  Harness() {
    const std::string cfg = R"({
      "store": {"data_dir": "/nonexistent/hashgate-fuzz"},
      "static": {"sdk_root": "/nonexistent/sdk", "demo_root": "/nonexistent/demo"},
      "tenants": [
        {"id": "t1", "site_keys": [{"key": "pk_f", "allowed_origins": ["https://shop.example"]}],
         "api_key_sha256": ")" +
                            config::sha256_hex("sk_f") + R"(",
         "legal_basis": "consent", "tcf": {"vendor_id": 1, "required_purposes": [1]},
         "set_uid_cookie": true},
        {"id": "t2", "site_keys": [{"key": "pk_g", "allowed_origins": ["self"]}],
         "legal_basis": "legitimate_interest", "gpc": false}
      ]})";
    gw.emplace(config::parse_config(cfg), store, metrics, [] { return std::int64_t{1764374400}; });
    gw->set_port(8080);
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static Harness h;
  h.store.stored.clear();
  h.store.seen.clear();
  if (h.store.suppressed.size() > 10000) h.store.suppressed.clear();

  hashgate::fuzz::Cursor in(data, size);
  const std::uint8_t a = in.byte(), b = in.byte();
  static constexpr const char* k_methods[] = {"POST", "GET", "OPTIONS", "PUT"};
  static constexpr const char* k_paths[] = {
      "/v1/events",        "/v1/optout", "/v1/optin", "/v1/optout/status",
      "/v1/events/export", "/v1/audit",  "/healthz",  "/metrics",
      "/sdk/hashgate.mjs", "/demo/../x", "/",         "/readyz"};
  std::string_view rest = in.rest();
  auto take_line = [&rest]() {
    const std::size_t nl = rest.find('\n');
    std::string_view line = rest.substr(0, nl);
    rest = nl == std::string_view::npos ? std::string_view{} : rest.substr(nl + 1);
    return line;
  };

  api::Request req;
  req.method = k_methods[a % 4];
  req.target = k_paths[(a >> 2) % 12];
  if (b & 1) req.target += "?" + std::string(take_line());
  if (b & 2) req.headers.emplace_back("cookie", std::string(take_line()));
  if (b & 4) req.headers.emplace_back("authorization", "Bearer sk_f");
  if (b & 8) req.headers.emplace_back("x-hashgate-site-key", (b & 0x40) ? "pk_g" : "pk_f");
  if (b & 16)
    req.headers.emplace_back("origin", (b & 0x80) ? "https://shop.example" : "http://evil.example");
  if (b & 32) req.headers.emplace_back("sec-gpc", "1");
  req.headers.emplace_back("content-type", (a & 0x80) ? "text/plain" : "application/json");
  req.body = std::string(rest);
  const std::string whole =
      req.target + "\n" + (req.header("cookie") ? *req.header("cookie") : "") + "\n" + req.body;

  int calls = 0;
  api::Response res;
  h.gw->handle(std::move(req), [&](api::Response r) {
    ++calls;
    res = std::move(r);
  });
  HG_FUZZ_CHECK(calls == 1);
  static const bool verbose = std::getenv("HASHGATE_FUZZ_VERBOSE") != nullptr;
  if (verbose)
    std::fprintf(stderr, "%s -> %d, stored %zu\n", whole.substr(0, whole.find('\n')).c_str(),
                 res.status, h.store.stored.size());
  HG_FUZZ_CHECK(res.status >= 100 && res.status <= 599);
  for (const auto& e : emails_in(whole)) {
    HG_FUZZ_CHECK(res.body.find(e) == std::string::npos);
    for (const auto& [k, v] : res.headers) HG_FUZZ_CHECK(v.find(e) == std::string::npos);
  }
  for (const auto& ev : h.store.stored) {
    HG_FUZZ_CHECK(emails_in(ev.custom_json).empty());
    HG_FUZZ_CHECK(emails_in(ev.online_ids_json).empty());
    HG_FUZZ_CHECK(emails_in(ev.event_id).empty() && emails_in(ev.type).empty());
    for (const auto& [k, v] : ev.ids) HG_FUZZ_CHECK(emails_in(v).empty());
  }
  return 0;
}
