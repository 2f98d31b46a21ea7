// A read-only JSON document parsed from a request body (gateway/api).
//
// The text is parsed by simdjson's On-Demand API (Debian libsimdjson-dev), which checks the
// grammar, the UTF-8, the escapes and the numbers; JsonDoc walks it once into a flat array of
// nodes (strings decoded into one buffer owned by the document) and answers exactly what
// nlohmann::json would for the same text, which the tests check against nlohmann itself:
//  - the same grammar (RFC 8259, strict: no comments, no trailing commas, UTF-8 checked in
//    strings, surrogate pairs in \u escapes, only whitespace after the value; a leading UTF-8
//    byte order mark is skipped);
//  - the same numbers: no fraction or exponent → unsigned 64-bit if not negative, signed 64-bit
//    if negative (so "-0" is a signed 0), a double when out of range or written with a
//    fraction/exponent; a number that does not fit a double (1e400) is an error;
//  - the same objects: members iterate by key in byte order, a repeated key keeps its last value;
//  - the same serialization (dump), used to store `custom` and `online_ids`.
// One deliberate difference: nlohmann stops reading at a NUL byte; JsonDoc rejects any byte after
// the value. nlohmann::json stays the library for building answers and reading the config.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace hashgate::gw::api {

class JsonDoc {
 public:
  enum class Kind : std::uint8_t {
    null,
    boolean,
    integer,           ///< negative whole number (signed 64-bit)
    unsigned_integer,  ///< non-negative whole number (unsigned 64-bit)
    floating,
    string,
    array,
    object
  };

 private:
  /// Member node indexes in iteration order: inline for small objects, else on the heap.
  struct Order {
    std::uint32_t inline_items[16];
    std::vector<std::uint32_t> heap;
    std::size_t size = 0;
    std::uint32_t* data() { return heap.empty() ? inline_items : heap.data(); }
  };
  struct Node {
    Kind kind = Kind::null;
    bool b = false;
    std::uint32_t end = 0;    ///< index one past this node's subtree (next sibling)
    std::uint32_t count = 0;  ///< array elements / object members as written (with repeats)
    std::string_view key;     ///< the member's key when the parent is an object
    std::string_view text;    ///< string: decoded value
    union {
      std::int64_t i;
      std::uint64_t u;
      double d = 0;
    };
  };

 public:
  JsonDoc() = default;
  JsonDoc(const JsonDoc&) = delete;
  JsonDoc& operator=(const JsonDoc&) = delete;
  /// Zeroes the decoded strings and the nodes (they may hold identifiers).
  ~JsonDoc();

  /// Parses `text` (the document keeps its own copies of the strings; the padded copy simdjson
  /// reads is zeroed before parse() returns). False when the text is not one valid JSON value or
  /// nests deeper than `max_depth`.
  bool parse(std::string_view text, std::size_t max_depth = 64);

  /// A value of the document: a cheap handle, valid while the document lives.
  class Value {
   public:
    /// An invalid value: what find() returns for a missing key.
    Value() = default;
    Kind kind() const { return node().kind; }
    bool is_object() const { return kind() == Kind::object; }
    bool is_array() const { return kind() == Kind::array; }
    bool is_string() const { return kind() == Kind::string; }
    bool is_boolean() const { return kind() == Kind::boolean; }
    /// Any whole number (nlohmann's is_number_integer).
    bool is_integer() const { return kind() == Kind::integer || kind() == Kind::unsigned_integer; }
    bool is_unsigned() const { return kind() == Kind::unsigned_integer; }

    /// The decoded text of a string.
    std::string_view str() const { return node().text; }
    bool boolean() const { return node().b; }
    /// A whole number converted as nlohmann's get<T>() does (a static_cast).
    std::int64_t as_int64() const;
    std::uint64_t as_uint64() const;

    /// Array: elements. Object: distinct keys.
    std::size_t size() const;
    /// Object: the value of `key` (its last occurrence); an invalid Value when absent.
    Value find(std::string_view key) const;
    bool valid() const { return m_doc != nullptr; }
    /// Array elements in order: f(index, Value).
    template <class F>
    void elements(F&& f) const {
      std::size_t i = 0;
      for (std::uint32_t c = m_index + 1; c < node().end; c = m_doc->m_nodes[c].end)
        f(i++, Value(m_doc, c));
    }
    /// Object members as nlohmann iterates them (distinct keys in byte order, last value wins):
    /// f(key, Value) returns false to stop. Returns false when stopped.
    template <class F>
    bool members(F&& f) const {
      Order order;
      m_doc->sorted_members(m_index, order);
      for (std::size_t k = 0; k < order.size; ++k) {
        const std::uint32_t c = order.data()[k];
        if (!f(m_doc->m_nodes[c].key, Value(m_doc, c))) return false;
      }
      return true;
    }
    /// Nesting depth: 0 for a scalar, 1 + the deepest child for arrays and objects.
    std::size_t depth() const;
    /// Appends nlohmann::json's dump() of this value to `out`.
    void dump(std::string& out) const;

   private:
    friend class JsonDoc;
    Value(const JsonDoc* d, std::uint32_t i) : m_doc(d), m_index(i) {}
    const Node& node() const { return m_doc->m_nodes[m_index]; }
    const JsonDoc* m_doc = nullptr;
    std::uint32_t m_index = 0;
  };

  /// The parsed value (parse() returned true).
  Value root() const { return Value(this, 0); }

 private:
  friend class Value;
  struct Builder;  // the walk over simdjson's On-Demand values (json_doc.cpp)

  std::uint32_t add_node();
  void sorted_members(std::uint32_t object, Order& out) const;
  void wipe();

  std::vector<Node> m_nodes;
  /// The text as simdjson reads it (padded; zeroed once parsed), then the decoded strings.
  std::unique_ptr<char[]> m_buf;
  /// The part of m_buf that may hold decoded strings, zeroed by wipe().
  std::size_t m_strings_begin = 0;
  std::size_t m_strings_end = 0;
};

}  // namespace hashgate::gw::api
