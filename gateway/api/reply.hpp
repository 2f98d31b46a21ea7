#pragma once
// Building answers: JSON responses, and the Refusal that a route's steps return when they stop a
// request, turned into a response in one place (Gateway::refuse).

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "gateway/api/expected.hpp"
#include "gateway/api/gateway.hpp"

namespace hashgate::gw::api {

/// Why a request is refused as a whole: the HTTP `status`, the `reason` (the body's "error" and
/// the hashgate_requests_rejected_total label), the `message`, and the JSON pointer `path` of the
/// offending part of the body (empty: the answer has no "path"). Never holds a body value.
struct Refusal {
  int status = 400;
  std::string reason;
  std::string message;
  std::string path;
};

/// What a step of a route returns: its value, or the Refusal that stops the request.
template <typename T>
using Step = Expected<T, Refusal>;

/// A response with `body` serialised as JSON and Content-Type application/json.
Response json_response(int status, const nlohmann::json& body);

/// The JSON error body {"error": reason, "message": message[, "path": path]}.
std::string error_body(std::string_view reason, std::string_view message, std::string_view path);

}  // namespace hashgate::gw::api
