// Fuzzes the request-head checks of the HTTP layer (gateway/http/framing.*) together with the
// parser they guard, Boost.Beast 1.81's request_parser, fed the input as raw request bytes.
// Invariants, for every head the checks accept: Beast frames the body the way the checks assume
// (Transfer-Encoding present ⇒ the parser reads chunked and no Content-Length was given), there
// is one Host on HTTP/1.1 and at most one Authorization, no Transfer-Encoding on HTTP/1.0; and
// the head taken before the body (what the session hands on) does not change when the body and
// its trailer fields are parsed after it.
#include <boost/beast/http.hpp>

#include <string>
#include <utility>
#include <vector>

#include "fuzz_common.hpp"
#include "gateway/http/framing.hpp"

namespace bhttp = boost::beast::http;
using Headers = std::vector<std::pair<std::string, std::string>>;

namespace {

Headers head_of(const bhttp::request_parser<bhttp::string_body>& p) {
  Headers h;
  for (const auto& f : p.get()) {
    std::string name(f.name_string());
    for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    h.emplace_back(std::move(name), std::string(f.value()));
  }
  return h;
}

std::size_t count(const Headers& h, std::string_view name) {
  std::size_t n = 0;
  for (const auto& [k, v] : h) n += k == name;
  return n;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  bhttp::request_parser<bhttp::string_body> p;
  p.header_limit(4096);
  p.body_limit(4096);
  boost::beast::error_code ec;
  const auto buf = boost::asio::buffer(data, size);
  std::size_t used = p.put(buf, ec);
  if (ec || !p.is_header_done()) return 0;
  const Headers head = head_of(p);
  const auto check = hashgate::gw::http::check_head(p.get().version(), head, p.chunked());
  if (check.verdict != hashgate::gw::http::HeadVerdict::ok) return 0;
  const bool te = count(head, "transfer-encoding") > 0;
  if (te) HG_FUZZ_CHECK(p.chunked() && count(head, "content-length") == 0);
  if (te) HG_FUZZ_CHECK(p.get().version() >= 11);
  if (p.get().version() >= 11) HG_FUZZ_CHECK(count(head, "host") == 1);
  HG_FUZZ_CHECK(count(head, "host") <= 1 && count(head, "authorization") <= 1);
  // The body (and a chunked body's trailer) is parsed after the head was taken.
  while (!ec && !p.is_done() && used < size) {
    const std::size_t n = p.put(boost::asio::buffer(data + used, size - used), ec);
    if (n == 0) break;
    used += n;
  }
  HG_FUZZ_CHECK(head.size() <=
                static_cast<std::size_t>(std::distance(p.get().begin(), p.get().end())));
  return 0;
}
