// Path patterns and method sets of the route table.
#include "gateway/api/route_table.hpp"

#include <stdexcept>

namespace hashgate::gw::api {

namespace {

constexpr std::size_t k_max_segment = 128;
constexpr std::size_t k_max_name = 32;

bool unreserved(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_' || c == '~';
}

bool valid_name(std::string_view n) {
  if (n.empty() || n.size() > k_max_name || (n[0] >= '0' && n[0] <= '9')) return false;
  for (char c : n)
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) return false;
  return true;
}

[[noreturn]] void bad_pattern(std::string_view pattern, const char* why) {
  throw std::invalid_argument("route pattern \"" + std::string(pattern) + "\": " + why);
}

/// Splits "/a/b" into its segments "a", "b" (a leading '/' is required by the callers).
template <class F>
void for_each_segment(std::string_view path, F&& f) {
  std::size_t start = 1;
  while (true) {
    const std::size_t slash = path.find('/', start);
    f(path.substr(start, slash == std::string_view::npos ? std::string_view::npos : slash - start));
    if (slash == std::string_view::npos) return;
    start = slash + 1;
  }
}

}  // namespace

MethodSet method_bit(std::string_view method) {
  static constexpr std::pair<std::string_view, MethodSet> k_methods[] = {
      {"GET", k_get},     {"POST", k_post},     {"PUT", k_put},
      {"PATCH", k_patch}, {"DELETE", k_delete}, {"OPTIONS", k_options}};
  for (const auto& [name, bit] : k_methods)
    if (name == method) return bit;
  return 0;
}

std::string allow_header(MethodSet methods) {
  static constexpr std::pair<MethodSet, const char*> k_names[] = {
      {k_get, "GET"},     {k_post, "POST"},     {k_put, "PUT"},
      {k_patch, "PATCH"}, {k_delete, "DELETE"}, {k_options, "OPTIONS"}};
  std::string out;
  for (const auto& [bit, name] : k_names) {
    if (!(methods & bit)) continue;
    if (!out.empty()) out += ", ";
    out += name;
  }
  return out;
}

std::string_view PathParams::get(std::string_view name) const {
  for (std::size_t i = 0; i < m_size; ++i)
    if (m_items[i].first == name) return m_items[i].second;
  return {};
}

bool valid_segment_value(std::string_view s) {
  if (s.empty() || s.size() > k_max_segment || s == "." || s == "..") return false;
  for (char c : s)
    if (!unreserved(c)) return false;
  return true;
}

PathPattern::PathPattern(std::string_view pattern) : m_text(pattern) {
  if (pattern.empty() || pattern[0] != '/') bad_pattern(pattern, "must start with '/'");
  std::size_t named = 0;
  for_each_segment(pattern, [&](std::string_view seg) {
    if (seg.empty()) bad_pattern(pattern, "empty segment");
    Segment s;
    if (seg.front() == '{' && seg.back() == '}' && seg.size() >= 2) {
      s.text = seg.substr(1, seg.size() - 2);
      s.named = true;
      if (!valid_name(s.text)) bad_pattern(pattern, "a segment name must be [a-z_][a-z0-9_]*");
      for (const auto& other : m_segments)
        if (other.named && other.text == s.text) bad_pattern(pattern, "repeated segment name");
      if (++named > PathParams::k_max) bad_pattern(pattern, "too many named segments");
      m_literal = false;
    } else if (seg.find_first_of("{}") != std::string_view::npos) {
      bad_pattern(pattern, "'{' and '}' must enclose a whole segment");
    } else {
      s.text = seg;
    }
    m_segments.push_back(std::move(s));
  });
}

bool PathPattern::match(std::string_view path, PathParams& params) const {
  if (m_literal) return path == m_text;
  if (path.empty() || path[0] != '/') return false;
  std::size_t i = 0;
  bool ok = true;
  PathParams out;
  for_each_segment(path, [&](std::string_view seg) {
    if (!ok) return;
    if (i == m_segments.size()) {
      ok = false;
      return;
    }
    const Segment& s = m_segments[i++];
    if (!s.named) {
      ok = seg == s.text;
    } else if ((ok = valid_segment_value(seg))) {
      out.m_items[out.m_size++] = {s.text, seg};
    }
  });
  if (!ok || i != m_segments.size()) return false;
  params = out;
  return true;
}

}  // namespace hashgate::gw::api
