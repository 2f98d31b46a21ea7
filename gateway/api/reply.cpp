// Building answers: JSON responses and the one place where refusals become responses.
#include "gateway/api/reply.hpp"

namespace hashgate::gw::api {

using nlohmann::json;

Response json_response(int status, const json& body) {
  Response r;
  r.status = status;
  r.body = body.dump();
  r.add("Content-Type", "application/json");
  return r;
}

std::string error_body(std::string_view reason, std::string_view message, std::string_view path) {
  json body{{"error", reason}, {"message", message}};
  if (!path.empty()) body["path"] = path;
  return body.dump();
}

namespace {

/// An error answer: `body` as JSON, Retry-After for 429/503, the Bearer challenge for 401.
Response error_response(int status, std::string body) {
  Response r;
  r.status = status;
  r.body = std::move(body);
  r.add("Content-Type", "application/json");
  if (status == 503 || status == 429) r.add("Retry-After", "1");
  if (status == 401) r.add("WWW-Authenticate", "Bearer realm=\"hashgate\"");
  return r;
}

}  // namespace

Response Gateway::error(int status, std::string_view reason, std::string_view message) const {
  m_metrics.add_rejected(std::string(reason));
  return error_response(status, error_body(reason, message, {}));
}

Response Gateway::refuse(const Refusal& why) const {
  m_metrics.add_rejected(why.reason);
  return error_response(why.status, error_body(why.reason, why.message, why.path));
}

}  // namespace hashgate::gw::api
