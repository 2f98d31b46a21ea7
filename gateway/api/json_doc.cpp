#include "gateway/api/json_doc.hpp"

#include <hashgate/hashgate.hpp>

#include <simdjson.h>
#include <nlohmann/json.hpp>  // detail::to_chars: the same shortest float text as json::dump

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <iterator>
#include <optional>
#include <utility>

namespace hashgate::gw::api {
namespace {

namespace od = simdjson::ondemand;

/// A UTF-8 byte order mark before the value is skipped, as nlohmann does (a partial one fails).
constexpr std::string_view k_bom = "\xEF\xBB\xBF";

/// Texts up to this size share one parser per thread: it keeps its buffers (sized to the largest
/// such text; they hold positions in the text, never its bytes) from one parse to the next. A
/// larger text gets a parser of its own, so no thread keeps megabytes after one big request.
constexpr std::size_t k_shared_parser_max = 64 * 1024;

/// JSON's two-character escapes as the writer uses them: `\\` + k_escape_letters[k] stands for
/// k_escaped_bytes[k]. Like nlohmann, the writer leaves '/' as it is.
constexpr std::string_view k_escape_letters = "\"\\bfnrt";
constexpr std::string_view k_escaped_bytes = "\"\\\b\f\n\r\t";

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

/// One walk over simdjson's On-Demand values, appending a node per value in text order. simdjson
/// checks each value as it is read (grammar, escapes, numbers; UTF-8 and string boundaries for the
/// whole text up front); every value is read, so nothing goes unchecked.
struct JsonDoc::Builder {
  JsonDoc& doc;
  od::parser& parser;
  std::uint8_t* dst;  ///< next free byte of the decoded-string area of doc.m_buf
  std::size_t max_depth;

  /// The one value of `json` (n bytes, then SIMDJSON_PADDING readable ones), written "[text]".
  bool root(const char* json, std::size_t n, std::size_t capacity);
  /// A value at nesting `depth` (0 for the text's value), the member `key` of its parent.
  bool value(od::value& v, std::size_t depth, std::string_view key);
  bool elements(od::value& v, std::uint32_t me, std::size_t depth);
  bool members(od::value& v, std::uint32_t me, std::size_t depth);
  /// Kept out of the recursion (with number), so that each level of nesting costs less stack.
  [[gnu::noinline]] bool scalar(od::value& v, od::json_type type, Node& n);
  [[gnu::noinline]] bool number(od::value& v, Node& n);
  /// Decodes a string's escapes into the document's buffer.
  bool string(od::raw_json_string raw, std::string_view& out) {
    return parser.unescape(raw, dst).get(out) == simdjson::SUCCESS;
  }
};

bool JsonDoc::Builder::root(const char* json, std::size_t n, std::size_t capacity) {
  // simdjson reads a scalar at the root on a path of its own (root numbers are copied to a
  // bounded stack buffer). Read as the one element of an array, every value takes the same path,
  // and "[text]" is an array of exactly one element exactly when the text is one JSON value.
  od::document d;
  od::array wrapper;
  if (parser.iterate(json, n, capacity).get(d) || d.get_array().get(wrapper)) return false;
  std::size_t values = 0;
  for (auto item : wrapper) {
    od::value v;
    if (std::move(item).get(v) || !value(v, 0, {})) return false;
    ++values;
  }
  // Nothing may follow the array (3.0.1's way of asking: no location left to read).
  return values == 1 && d.current_location().error() == simdjson::OUT_OF_BOUNDS;
}

bool JsonDoc::Builder::value(od::value& v, std::size_t depth, std::string_view key) {
  const std::uint32_t me = doc.add_node();  // children may reallocate m_nodes: index it
  doc.m_nodes[me].key = key;
  od::json_type type{};
  bool ok = v.type().get(type) == simdjson::SUCCESS;
  if (ok && type == od::json_type::array) {
    ok = depth < max_depth && elements(v, me, depth + 1);
  } else if (ok && type == od::json_type::object) {
    ok = depth < max_depth && members(v, me, depth + 1);
  } else if (ok) {
    ok = scalar(v, type, doc.m_nodes[me]);
  }
  doc.m_nodes[me].end = static_cast<std::uint32_t>(doc.m_nodes.size());
  return ok;
}

bool JsonDoc::Builder::elements(od::value& v, std::uint32_t me, std::size_t depth) {
  doc.m_nodes[me].kind = Kind::array;
  od::array a;
  if (v.get_array().get(a)) return false;
  std::uint32_t count = 0;
  for (auto item : a) {
    od::value x;
    if (std::move(item).get(x) || !value(x, depth, {})) return false;
    ++count;
  }
  doc.m_nodes[me].count = count;
  return true;
}

bool JsonDoc::Builder::members(od::value& v, std::uint32_t me, std::size_t depth) {
  doc.m_nodes[me].kind = Kind::object;
  od::object o;
  if (v.get_object().get(o)) return false;
  std::uint32_t count = 0;
  for (auto item : o) {
    od::field f;
    std::string_view key;
    if (std::move(item).get(f) || !string(f.key(), key) || !value(f.value(), depth, key))
      return false;
    ++count;
  }
  doc.m_nodes[me].count = count;
  return true;
}

bool JsonDoc::Builder::scalar(od::value& v, od::json_type type, Node& n) {
  switch (type) {
    case od::json_type::string: {
      od::raw_json_string raw;
      n.kind = Kind::string;
      return v.get_raw_json_string().get(raw) == simdjson::SUCCESS && string(raw, n.text);
    }
    case od::json_type::number:
      return number(v, n);
    case od::json_type::boolean:
      n.kind = Kind::boolean;
      return v.get_bool().get(n.b) == simdjson::SUCCESS;
    case od::json_type::null: {
      bool null = false;
      return v.is_null().get(null) == simdjson::SUCCESS && null;  // "nul", "nullx": false
    }
    default:
      return false;
  }
}

bool JsonDoc::Builder::number(od::value& v, Node& n) {
  // The token: the number and the whitespace after it, then ',', ']' or '}' (the padded text).
  const std::string_view token = v.raw_json_token();
  od::number x;
  if (v.get_number().get(x) != simdjson::SUCCESS) {
    // A whole number beyond 64 bits, which nlohmann reads as a double: simdjson's get_number
    // refuses it, its get_double reads it correctly rounded (and refuses bad grammar). Any other
    // refusal is bad grammar or a double's overflow (1e400), which nlohmann refuses too.
    if (token.find_first_of(".eE") != std::string_view::npos) return false;
    n.kind = Kind::floating;
    return v.get_double().get(n.d) == simdjson::SUCCESS;
  }
  switch (x.get_number_type()) {
    case od::number_type::floating_point_number:
      n.kind = Kind::floating;
      n.d = x.get_double();
      // simdjson 3.0.1 leaves the value at +0.0 for more than 19 significant digits (simdjson
      // issue #2099, fixed in 3.6.4), and its get_double misreads some of those (#2093): a +0.0
      // is read again with strtod, as nlohmann reads every number. A true zero stays zero.
      if (n.d == 0 && !std::signbit(n.d)) n.d = std::strtod(token.data(), nullptr);
      return std::isfinite(n.d);
    case od::number_type::unsigned_integer:  // 2^63 and above
      n.kind = Kind::unsigned_integer;
      n.u = x.get_uint64();
      return true;
    case od::number_type::signed_integer:
      break;
  }
  // nlohmann's kinds go by the sign as written: "-0" is a signed 0, "0" an unsigned one.
  if (token.front() == '-') {
    n.kind = Kind::integer;
    n.i = x.get_int64();
  } else {
    n.kind = Kind::unsigned_integer;
    n.u = static_cast<std::uint64_t>(x.get_int64());
  }
  return true;
}

JsonDoc::~JsonDoc() { wipe(); }

void JsonDoc::wipe() {
  if (m_buf) hashgate::secure_zero(m_buf.get() + m_strings_begin, m_strings_end - m_strings_begin);
  m_buf.reset();
  m_strings_begin = m_strings_end = 0;
  if (!m_nodes.empty()) hashgate::secure_zero(m_nodes.data(), m_nodes.size() * sizeof(Node));
  m_nodes.clear();
}

std::uint32_t JsonDoc::add_node() {
  if (m_nodes.size() == m_nodes.capacity()) {
    // Grow by hand so that the outgrown buffer (numbers may be identifiers) is zeroed.
    std::vector<Node> bigger;
    bigger.reserve(std::max<std::size_t>(16, m_nodes.capacity() * 2));
    bigger.assign(m_nodes.begin(), m_nodes.end());
    hashgate::secure_zero(m_nodes.data(), m_nodes.size() * sizeof(Node));
    m_nodes.swap(bigger);
  }
  m_nodes.emplace_back();
  return static_cast<std::uint32_t>(m_nodes.size() - 1);
}

bool JsonDoc::parse(std::string_view text, std::size_t max_depth) {
  wipe();
  if (text.substr(0, k_bom.size()) == k_bom) text.remove_prefix(k_bom.size());
  // One buffer: "[text]" and SIMDJSON_PADDING zero bytes for simdjson to read, then the area the
  // strings are decoded into (never longer than their escaped text; simdjson asks for the text's
  // size plus SIMDJSON_PADDING, so views into it stay valid).
  constexpr std::size_t k_pad = simdjson::SIMDJSON_PADDING;
  const std::size_t n = text.size() + 2;
  const std::size_t size = 2 * (n + k_pad);
  m_buf = std::make_unique_for_overwrite<char[]>(size);
  char* json = m_buf.get();
  json[0] = '[';
  std::memcpy(json + 1, text.data(), text.size());
  json[n - 1] = ']';
  std::memset(json + n, 0, k_pad);
  m_nodes.reserve(std::min<std::size_t>(text.size() / 4 + 1, 4096));
  std::optional<od::parser> own;
  thread_local od::parser shared;
  od::parser& parser = n <= k_shared_parser_max ? shared : own.emplace();
  auto* strings = reinterpret_cast<std::uint8_t*>(json + n + k_pad);
  Builder b{*this, parser, strings, max_depth};
  const bool ok = b.root(json, n, n + k_pad);
  hashgate::secure_zero(json, n);  // the copy of the text
  // The decoded strings stay until wipe(). simdjson writes them in blocks: past the last one, up
  // to SIMDJSON_PADDING bytes of the text may follow. A string that failed to decode was written
  // but not counted in b.dst, so after a failure the whole area is zeroed.
  m_strings_begin = n + k_pad;
  const std::size_t used = static_cast<std::size_t>(b.dst - strings) + k_pad;
  m_strings_end = ok ? std::min(size, m_strings_begin + used) : size;
  if (!ok) wipe();
  return ok;
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
