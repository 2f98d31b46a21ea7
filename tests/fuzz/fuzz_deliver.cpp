// Fuzzes the parsers of gateway/deliver: the destinations config (as JSON), URLs, Retry-After,
// the stored opt-out/member payloads, and building a request from hostile outbox rows. No crash,
// and an error never repeats the secret.
#include <nlohmann/json.hpp>

#include <set>

#include "fuzz_common.hpp"
#include "gateway/config/config.hpp"
#include "gateway/deliver/destination.hpp"
#include "gateway/deliver/payload.hpp"
#include "gateway/deliver/retry.hpp"

using namespace hashgate::gw::deliver;

namespace {

constexpr const char* k_secret = "~fuzz-secret-0123456789~";

std::optional<std::string> env(const std::string& name) {
  if (name == "EMPTY") return std::string();
  return std::string(k_secret);
}

void fuzz_config(std::string_view text) {
  const auto j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded()) return;
  std::set<std::string> seen;
  try {
    auto ds = parse_destinations(j, "tenants[0].destinations", "t", seen, env);
    for (const auto& d : ds) HG_FUZZ_CHECK(!d.id.empty() && !d.secret.empty());
  } catch (const hashgate::gw::config::ConfigError& e) {
    HG_FUZZ_CHECK(std::string_view(e.what()).find(k_secret) == std::string_view::npos);
  }
}

void fuzz_rows(std::uint8_t sel, std::string_view payload) {
  Destination d;
  d.tenant = "t";
  d.id = "d";
  d.kind = static_cast<Kind>(sel % 3);
  parse_url("http://127.0.0.1:9/x", d.url);
  d.secret = Secret(std::string(k_secret));
  d.meta = {"1", "2", ""};
  d.google.operating_account_id = "3";
  d.google.conversion_action_id = "4";
  d.google.user_list_id = "5";
  OutboxRow rows[2];
  for (int i = 0; i < 2; ++i) {
    rows[i].id = i + 1;
    rows[i].kind = static_cast<RowKind>((sel >> 2) % 3);
    rows[i].payload = std::string(payload);
  }
  const Built b = build_request(d, std::span(rows, (sel & 0x20) ? 2 : 1), "k", 1764374400);
  HG_FUZZ_CHECK(b.sent.size() + b.rejected.size() >= 1);
  if (!b.sent.empty() && d.kind != Kind::meta_capi)
    HG_FUZZ_CHECK(nlohmann::json::accept(b.request.body) || d.kind == Kind::webhook);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  hashgate::fuzz::Cursor in(data, size);
  const std::uint8_t sel = in.byte();
  const std::string_view text = in.rest();
  switch (sel & 3) {
    case 0:
      fuzz_config(text);
      break;
    case 1: {
      Url u;
      if (parse_url(text, u).empty()) HG_FUZZ_CHECK(!u.host.empty() && u.target.front() == '/');
      (void)parse_retry_after(text, 1764374400);
      break;
    }
    case 2: {
      OptOutMessage m;
      AudienceMembers a;
      if (decode_optout(text, m)) HG_FUZZ_CHECK(decode_optout(encode_optout(m), m));
      if (decode_members(text, a)) HG_FUZZ_CHECK(decode_members(encode_members(a), a));
      break;
    }
    default:
      fuzz_rows(static_cast<std::uint8_t>(sel >> 2), text);
      break;
  }
  return 0;
}
