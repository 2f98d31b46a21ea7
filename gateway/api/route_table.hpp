#pragma once
// The route table: rows of (methods, path pattern, access, label, handler). A lookup by method and
// path finds the row, or the methods its path allows (405's Allow header), or nothing (404 or the
// static fallthrough, decided by the caller). Patterns have literal and named segments
// ("/v1/audiences/{name}/members"); the named ones are captured into PathParams.
// Pure: no I/O, no Gateway; tests/gateway/route_table_test.cpp drives it with plain handlers.

#include <array>
#include <cstddef>
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace hashgate::gw::api {

/// A set of HTTP methods, as bits (k_get | k_post ...).
using MethodSet = unsigned;
inline constexpr MethodSet k_get = 1, k_post = 2, k_put = 4, k_patch = 8, k_delete = 16,
                           k_options = 32, k_any_method = 63;

/// The bit of `method` ("GET", "POST", ...; case-sensitive, as HTTP says); 0 for any other.
MethodSet method_bit(std::string_view method);

/// The Allow header value of `methods`: "GET, POST, OPTIONS", in the order of the bits above.
std::string allow_header(MethodSet methods);

/// What a route requires of the caller's credentials, checked before its handler runs.
enum class Access {
  none,         ///< no key (a handler may still look at one)
  site_or_api,  ///< a site key used from one of its origins, or a tenant's API key: else 401/403
  api_key,      ///< a tenant's API key (Authorization: Bearer): else 401/403 api_key_required
};

/// The values of a pattern's named segments for one path, e.g. {name} → "vip". Views of the
/// path they were matched on: copy them before the request goes away.
class PathParams {
 public:
  static constexpr std::size_t k_max = 4;  ///< named segments per pattern
  /// The value of segment `name`; empty when the pattern has no such segment.
  std::string_view get(std::string_view name) const;
  /// Number of captured segments.
  std::size_t size() const { return m_size; }

 private:
  friend class PathPattern;
  std::array<std::pair<std::string_view, std::string_view>, k_max> m_items{};
  std::size_t m_size = 0;
};

/// True when `s` may fill a named segment: 1-128 characters of RFC 3986's unreserved set
/// [A-Za-z0-9._~-], and not "." or "..". No percent-escapes: the value is the raw segment.
bool valid_segment_value(std::string_view s);

/// A compiled path pattern. Literal segments match byte for byte (paths are not decoded, so
/// "/v1/events/" and "/V1/events" are other paths); "{name}" matches one segment that
/// valid_segment_value() accepts.
class PathPattern {
 public:
  /// Compiles `pattern`. Throws std::invalid_argument when it does not start with '/', has an
  /// empty segment, a '{' or '}' that does not enclose a whole segment, a name that is not
  /// [a-z_][a-z0-9_]* (at most 32 characters), a repeated name or more than PathParams::k_max.
  explicit PathPattern(std::string_view pattern);
  /// True when `path` (no query string) matches; then `params` holds the named segments.
  bool match(std::string_view path, PathParams& params) const;
  /// The pattern as written.
  const std::string& text() const { return m_text; }

 private:
  struct Segment {
    std::string text;  ///< the literal, or the name of a named segment
    bool named = false;
  };
  std::string m_text;
  std::vector<Segment> m_segments;
  bool m_literal = true;  ///< no named segment: match() is one comparison with m_text
};

/// One row of the table. `label` is the fixed name of the route in logs and metrics
/// (Response::route); `forbidden` is the 403 message of an Access::site_or_api route (nullptr:
/// the "key required" message). k_options in `methods` lists OPTIONS in Allow: browsers call the
/// route after a CORS preflight (the Gateway answers every OPTIONS under /v1/ before the table).
template <class Handler>
struct Route {
  MethodSet methods;
  std::string_view path;
  Access access;
  const char* label;
  Handler handler;
  const char* forbidden = nullptr;
};

/// The rows, tried in order; the first whose pattern matches the path and whose methods hold
/// the request's method wins.
template <class Handler>
class RouteTable {
 public:
  /// What find() found: `route` is the first row matching the path (nullptr: none); when
  /// `method_allowed` is false, `allowed` is the union of the methods of every row matching it.
  struct Match {
    const Route<Handler>* route = nullptr;
    bool method_allowed = false;
    MethodSet allowed = 0;
    PathParams params;
  };

  /// Compiles every row's pattern (throws std::invalid_argument on a bad one).
  RouteTable(std::initializer_list<Route<Handler>> rows) {
    m_rows.reserve(rows.size());
    for (const auto& r : rows) m_rows.push_back(Row{r, PathPattern(r.path)});
  }

  /// Looks up `method` on `path` (no query string).
  Match find(std::string_view method, std::string_view path) const {
    const MethodSet bit = method_bit(method);
    Match m;
    for (const Row& row : m_rows) {
      PathParams params;
      if (!row.pattern.match(path, params)) continue;
      if (row.route.methods & bit) {
        m.route = &row.route;
        m.method_allowed = true;
        m.params = params;
        return m;
      }
      if (!m.route) m.route = &row.route;
      m.allowed |= row.route.methods;
    }
    return m;
  }

 private:
  struct Row {
    Route<Handler> route;
    PathPattern pattern;
  };
  std::vector<Row> m_rows;
};

}  // namespace hashgate::gw::api
