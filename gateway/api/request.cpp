// Reading a request: path, query, site key, header words, CORS view.
#include "gateway/api/request.hpp"

#include <cctype>

#include "gateway/policy/pii_guard.hpp"

namespace hashgate::gw::api {

const std::string* Request::header(std::string_view name) const {
  for (const auto& [k, v] : headers)
    if (k == name) return &v;
  return nullptr;
}

std::string_view path_of(std::string_view target) {
  auto q = target.find('?');
  return q == std::string_view::npos ? target : target.substr(0, q);
}

Query query_of(std::string_view target) {
  Query out;
  auto q = target.find('?');
  if (q == std::string_view::npos) return out;
  std::string_view qs = target.substr(q + 1);
  while (!qs.empty()) {
    auto amp = qs.find('&');
    std::string_view kv = qs.substr(0, amp);
    auto eq = kv.find('=');
    std::string k = policy::percent_decode(kv.substr(0, eq), true);
    std::string v =
        eq == std::string_view::npos ? "" : policy::percent_decode(kv.substr(eq + 1), true);
    out.emplace(std::move(k), std::move(v));
    if (amp == std::string_view::npos) break;
    qs = qs.substr(amp + 1);
  }
  return out;
}

std::string site_key_of(const Query& q) {
  if (auto it = q.find("site_key"); it != q.end()) return it->second;
  if (auto it = q.find("key"); it != q.end()) return it->second;
  return {};
}

bool header_is(const Request& req, std::string_view name, std::string_view value) {
  const std::string* h = req.header(name);
  if (!h) return false;
  std::string_view v = *h;
  while (!v.empty() && v.front() == ' ') v.remove_prefix(1);
  while (!v.empty() && v.back() == ' ') v.remove_suffix(1);
  return v == value;
}

bool content_type_ok(const Request& req) {
  const std::string* ct = req.header("content-type");
  if (!ct) return false;
  std::string v = ct->substr(0, ct->find(';'));
  for (auto& c : v) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  while (!v.empty() && v.back() == ' ') v.pop_back();
  return v == "application/json" || v == "text/plain";
}

bool wants_json(const Request& req) {
  const std::string* a = req.header("accept");
  if (!a) return false;
  auto j = a->find("application/json");
  auto h = a->find("text/html");
  return j != std::string::npos && (h == std::string::npos || j < h);
}

bool parse_int(const std::string& s, std::int64_t lo, std::int64_t hi, std::int64_t& out) {
  if (s.empty() || s.size() > 19) return false;
  std::int64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + (c - '0');
  }
  if (v < lo || v > hi) return false;
  out = v;
  return true;
}

Request cors_view(const Request& req) {
  Request meta;
  meta.tls = req.tls;
  for (const auto& h : req.headers)
    if (h.first == "origin" || h.first == "host") meta.headers.push_back(h);
  return meta;
}

}  // namespace hashgate::gw::api
