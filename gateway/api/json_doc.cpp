#include "gateway/api/json_doc.hpp"

#include "gateway/policy/pii_guard.hpp"

#include <hashgate/hashgate.hpp>

#include <nlohmann/json.hpp>  // detail::to_chars: the same shortest float text as json::dump

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <iterator>
#include <limits>

namespace hashgate::gw::api {
namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

/// Length of the run of bytes >= 0x80 at s[i] when it is well-formed UTF-8, else 0. A valid
/// sequence holds no ASCII byte, so the run is exactly whole sequences; the SDK checks them.
std::size_t utf8_run(std::string_view s, std::size_t i) {
  std::size_t end = i;
  while (end < s.size() && static_cast<unsigned char>(s[end]) >= 0x80) ++end;
  return hashgate::valid_utf8(s.substr(i, end - i)) ? end - i : 0;
}

/// JSON's two-character escapes: `\\` + k_escape_letters[k] stands for k_escaped_bytes[k]. The
/// reader decodes all of them; the writer, like nlohmann, leaves '/' as it is.
constexpr std::string_view k_escape_letters = "\"\\/bfnrt";
constexpr std::string_view k_escaped_bytes = "\"\\/\b\f\n\r\t";

void dump_string(std::string_view s, std::string& out) {
  static const char* k_hex = "0123456789abcdef";
  out.push_back('"');
  for (char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (c >= 0x20 && c != '"' && c != '\\') {
      out.push_back(ch);  // UTF-8 passes through (ensure_ascii off)
    } else if (const std::size_t k = k_escaped_bytes.find(ch); k != std::string_view::npos) {
      out.push_back('\\');
      out.push_back(k_escape_letters[k]);
    } else {
      out.append("\\u00");
      out.push_back(k_hex[c >> 4]);
      out.push_back(k_hex[c & 15]);
    }
  }
  out.push_back('"');
}

}  // namespace

JsonDoc::~JsonDoc() { wipe(); }

void JsonDoc::wipe() {
  hashgate::secure_clear(m_arena);
  if (!m_nodes.empty()) hashgate::secure_zero(m_nodes.data(), m_nodes.size() * sizeof(Node));
  m_nodes.clear();
}

bool JsonDoc::parse(std::string_view text, std::size_t max_depth) {
  wipe();
  m_text = text;
  m_pos = 0;
  m_max_depth = max_depth;
  // Decoded strings are never longer than their escaped text: one reservation holds them all, so
  // views into the arena stay valid.
  m_arena.reserve(text.size());
  m_nodes.reserve(std::min<std::size_t>(text.size() / 4 + 1, 4096));
  // A UTF-8 byte order mark before the value is skipped, as nlohmann does (a partial one fails).
  if (text.substr(0, 3) == "\xEF\xBB\xBF") m_pos = 3;
  skip_ws();
  bool ok = parse_value(0);
  if (ok) {
    skip_ws();
    ok = m_pos == m_text.size();
  }
  if (!ok) wipe();
  return ok;
}

void JsonDoc::skip_ws() {
  while (m_pos < m_text.size()) {
    const char c = m_text[m_pos];
    if (c != ' ' && c != '\t' && c != '\n' && c != '\r') return;
    ++m_pos;
  }
}

bool JsonDoc::parse_value(std::size_t depth) {
  if (m_pos >= m_text.size()) return false;
  const auto me = static_cast<std::uint32_t>(m_nodes.size());
  if (m_nodes.size() == m_nodes.capacity()) {
    // Grow by hand so that the outgrown buffer (numbers may be identifiers) is zeroed.
    std::vector<Node> bigger;
    bigger.reserve(std::max<std::size_t>(16, m_nodes.capacity() * 2));
    bigger.assign(m_nodes.begin(), m_nodes.end());
    hashgate::secure_zero(m_nodes.data(), m_nodes.size() * sizeof(Node));
    m_nodes.swap(bigger);
  }
  m_nodes.emplace_back();  // children may reallocate m_nodes: index it, keep no reference
  const char c = m_text[m_pos];
  if (c == '{' || c == '[') {
    if (depth >= m_max_depth) return false;
    const bool object = c == '{';
    const char close = object ? '}' : ']';
    m_nodes[me].kind = object ? Kind::object : Kind::array;
    ++m_pos;
    skip_ws();
    std::uint32_t count = 0;
    if (m_pos < m_text.size() && m_text[m_pos] == close) {
      ++m_pos;
    } else {
      for (;;) {
        std::string_view key;
        if (object) {
          if (m_pos >= m_text.size() || m_text[m_pos] != '"' || !parse_string(key)) return false;
          skip_ws();
          if (m_pos >= m_text.size() || m_text[m_pos] != ':') return false;
          ++m_pos;
          skip_ws();
        }
        const auto child = static_cast<std::uint32_t>(m_nodes.size());
        if (!parse_value(depth + 1)) return false;
        m_nodes[child].key = key;
        ++count;
        skip_ws();
        if (m_pos >= m_text.size()) return false;
        if (m_text[m_pos] == ',') {
          ++m_pos;
          skip_ws();
          continue;
        }
        if (m_text[m_pos] != close) return false;
        ++m_pos;
        break;
      }
    }
    m_nodes[me].count = count;
  } else if (c == '"') {
    std::string_view s;
    if (!parse_string(s)) return false;
    m_nodes[me].kind = Kind::string;
    m_nodes[me].text = s;
  } else if (c == 't' || c == 'f' || c == 'n') {
    const std::string_view word = c == 't' ? "true" : c == 'f' ? "false" : "null";
    if (m_text.substr(m_pos, word.size()) != word) return false;
    m_pos += word.size();
    m_nodes[me].kind = c == 'n' ? Kind::null : Kind::boolean;
    m_nodes[me].b = c == 't';
  } else if (c == '-' || is_digit(c)) {
    if (!parse_number(m_nodes[me])) return false;
  } else {
    return false;
  }
  m_nodes[me].end = static_cast<std::uint32_t>(m_nodes.size());
  return true;
}

bool JsonDoc::parse_string(std::string_view& out) {
  const std::string_view t = m_text;
  std::size_t p = m_pos + 1;  // past the opening quote
  const std::size_t start = p;
  // Fast path: no escapes, the value is a view of the text.
  while (p < t.size()) {
    const auto c = static_cast<unsigned char>(t[p]);
    if (c == '"') {
      out = t.substr(start, p - start);
      m_pos = p + 1;
      return true;
    }
    if (c == '\\') break;
    if (c < 0x20) return false;
    if (c < 0x80) {
      ++p;
      continue;
    }
    const std::size_t n = utf8_run(t, p);
    if (n == 0) return false;
    p += n;
  }
  if (p >= t.size()) return false;
  // Escapes: decode into the arena (never longer than the text, see parse()).
  const std::size_t from = m_arena.size();
  m_arena.append(t.substr(start, p - start));
  auto read_hex4 = [&](std::size_t at, std::uint32_t& v) {
    if (at + 4 > t.size()) return false;
    v = 0;
    for (std::size_t k = 0; k < 4; ++k) {
      const int h = hex_digit(t[at + k]);
      if (h < 0) return false;
      v = v * 16 + static_cast<std::uint32_t>(h);
    }
    return true;
  };
  while (p < t.size()) {
    const auto c = static_cast<unsigned char>(t[p]);
    if (c == '"') {
      out = std::string_view(m_arena).substr(from);
      m_pos = p + 1;
      return true;
    }
    if (c < 0x20) return false;
    if (c >= 0x80) {
      const std::size_t n = utf8_run(t, p);
      if (n == 0) return false;
      m_arena.append(t.substr(p, n));
      p += n;
      continue;
    }
    if (c != '\\') {
      m_arena.push_back(static_cast<char>(c));
      ++p;
      continue;
    }
    if (p + 1 >= t.size()) return false;
    const char e = t[p + 1];
    p += 2;
    if (const std::size_t k = k_escape_letters.find(e); k != std::string_view::npos) {
      m_arena.push_back(k_escaped_bytes[k]);
      continue;
    }
    if (e != 'u') return false;
    std::uint32_t cp = 0;
    if (!read_hex4(p, cp)) return false;
    p += 4;
    if (cp >= 0xD800 && cp <= 0xDBFF) {  // a high surrogate needs its low half next
      std::uint32_t lo = 0;
      if (p + 1 >= t.size() || t[p] != '\\' || t[p + 1] != 'u' || !read_hex4(p + 2, lo) ||
          lo < 0xDC00 || lo > 0xDFFF)
        return false;
      p += 6;
      cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
    } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
      return false;
    }
    hashgate::append_utf8(m_arena, static_cast<char32_t>(cp));
  }
  return false;
}

bool JsonDoc::parse_number(Node& n) {
  const std::string_view t = m_text;
  std::size_t p = m_pos;
  const bool negative = t[p] == '-';
  if (negative) ++p;
  if (p >= t.size()) return false;
  if (t[p] == '0') {
    ++p;
  } else if (t[p] >= '1' && t[p] <= '9') {
    while (p < t.size() && is_digit(t[p])) ++p;
  } else {
    return false;
  }
  bool is_float = false;
  if (p < t.size() && t[p] == '.') {
    ++p;
    if (p >= t.size() || !is_digit(t[p])) return false;
    while (p < t.size() && is_digit(t[p])) ++p;
    is_float = true;
  }
  if (p < t.size() && (t[p] == 'e' || t[p] == 'E')) {
    ++p;
    if (p < t.size() && (t[p] == '+' || t[p] == '-')) ++p;
    if (p >= t.size() || !is_digit(t[p])) return false;
    while (p < t.size() && is_digit(t[p])) ++p;
    is_float = true;
  }
  const std::string_view token = t.substr(m_pos, p - m_pos);
  m_pos = p;
  if (!is_float) {
    // Whole numbers: 64-bit when they fit (as strtoull/strtoll would), else a double.
    std::uint64_t mag = 0;
    bool overflow = false;
    for (char ch : token.substr(negative ? 1 : 0)) {
      const auto d = static_cast<std::uint64_t>(ch - '0');
      if (mag > (std::numeric_limits<std::uint64_t>::max() - d) / 10) {
        overflow = true;
        break;
      }
      mag = mag * 10 + d;
    }
    constexpr std::uint64_t k_min_magnitude = std::uint64_t{1} << 63;
    if (!overflow && !negative) {
      n.kind = Kind::unsigned_integer;
      n.u = mag;
      return true;
    }
    if (!overflow && negative && mag <= k_min_magnitude) {
      n.kind = Kind::integer;
      n.i = mag == k_min_magnitude ? std::numeric_limits<std::int64_t>::min()
                                   : -static_cast<std::int64_t>(mag);
      return true;
    }
  }
  // strtod needs a terminator: a stack copy for usual lengths, zeroed after use either way.
  std::array<char, 64> small{};
  std::string big;
  const char* z = nullptr;
  if (token.size() < small.size()) {
    std::copy(token.begin(), token.end(), small.begin());
    z = small.data();
  } else {
    big.assign(token);
    z = big.c_str();
  }
  n.kind = Kind::floating;
  n.d = std::strtod(z, nullptr);
  hashgate::secure_zero(small.data(), small.size());
  hashgate::secure_clear(big);
  return std::isfinite(n.d);  // an overflow (1e400) is an error, as in nlohmann; underflow is 0
}

void JsonDoc::sorted_members(std::uint32_t object, Order& out) const {
  const Node& o = m_nodes[object];
  if (o.count > std::size(out.inline_items)) out.heap.resize(o.count);
  std::uint32_t* v = out.data();
  std::size_t n = 0;
  for (std::uint32_t c = object + 1; c < o.end; c = m_nodes[c].end) v[n++] = c;
  auto less = [&](std::uint32_t a, std::uint32_t b) { return m_nodes[a].key < m_nodes[b].key; };
  if (n <= 16) {  // insertion sort: stable, no allocation, fast for the usual small objects
    for (std::size_t i = 1; i < n; ++i) {
      const std::uint32_t x = v[i];
      std::size_t j = i;
      for (; j > 0 && less(x, v[j - 1]); --j) v[j] = v[j - 1];
      v[j] = x;
    }
  } else {
    std::stable_sort(v, v + n, less);
  }
  // A repeated key keeps its last value: in each run of equal keys (text order), keep the last.
  std::size_t w = 0;
  for (std::size_t r = 0; r < n; ++r) {
    if (r + 1 < n && m_nodes[v[r + 1]].key == m_nodes[v[r]].key) continue;
    v[w++] = v[r];
  }
  out.size = w;
}

std::int64_t JsonDoc::Value::as_int64() const {
  const Node& n = node();
  return n.kind == Kind::unsigned_integer ? static_cast<std::int64_t>(n.u) : n.i;
}

std::uint64_t JsonDoc::Value::as_uint64() const {
  const Node& n = node();
  return n.kind == Kind::unsigned_integer ? n.u : static_cast<std::uint64_t>(n.i);
}

std::size_t JsonDoc::Value::size() const {
  const Node& n = node();
  if (n.kind == Kind::array) return n.count;
  if (n.kind != Kind::object) return 0;
  Order order;
  m_doc->sorted_members(m_index, order);
  return order.size;
}

JsonDoc::Value JsonDoc::Value::find(std::string_view key) const {
  Value found;
  if (!is_object()) return found;
  for (std::uint32_t c = m_index + 1; c < node().end; c = m_doc->m_nodes[c].end)
    if (m_doc->m_nodes[c].key == key) found = Value(m_doc, c);
  return found;
}

std::size_t JsonDoc::Value::depth() const {
  std::size_t d = 0;
  if (is_array()) {
    elements([&](std::size_t, Value v) { d = std::max(d, v.depth()); });
  } else if (is_object()) {
    members([&](std::string_view, Value v) {  // a replaced value of a repeated key is not there
      d = std::max(d, v.depth());
      return true;
    });
  } else {
    return 0;
  }
  return d + 1;
}

void JsonDoc::Value::dump(std::string& out) const {
  const Node& n = node();
  switch (n.kind) {
    case Kind::null:
      out.append("null");
      return;
    case Kind::boolean:
      out.append(n.b ? "true" : "false");
      return;
    case Kind::integer:
    case Kind::unsigned_integer: {
      std::array<char, 24> buf{};
      const auto r = n.kind == Kind::integer
                         ? std::to_chars(buf.data(), buf.data() + buf.size(), n.i)
                         : std::to_chars(buf.data(), buf.data() + buf.size(), n.u);
      out.append(buf.data(), r.ptr);
      return;
    }
    case Kind::floating: {
      if (!std::isfinite(n.d)) {
        out.append("null");
        return;
      }
      std::array<char, 64> buf{};
      char* end = ::nlohmann::detail::to_chars(buf.data(), buf.data() + buf.size(), n.d);
      out.append(buf.data(), end);
      return;
    }
    case Kind::string:
      dump_string(n.text, out);
      return;
    case Kind::array: {
      out.push_back('[');
      bool first = true;
      elements([&](std::size_t, Value v) {
        if (!first) out.push_back(',');
        first = false;
        v.dump(out);
      });
      out.push_back(']');
      return;
    }
    case Kind::object: {
      out.push_back('{');
      bool first = true;
      members([&](std::string_view k, Value v) {
        if (!first) out.push_back(',');
        first = false;
        dump_string(k, out);
        out.push_back(':');
        v.dump(out);
        return true;
      });
      out.push_back('}');
      return;
    }
  }
}

}  // namespace hashgate::gw::api
