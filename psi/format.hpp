#pragma once
// The two files of hashgate's private set intersection, byte by byte in docs/psi.md:
// - `.psi`: a header (magic, version, stage, field kinds, list id, count) then `count` 32-byte
//   ristretto255 elements. It is what parties send; it holds no digest, row id or input order.
// - `.state`: what one party keeps to read its own result (row ids and which element came from
//   which row). It is never sent.
// Readers are strict: any deviation is refused with a FileErrc naming what is wrong.

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "hashgate/types.hpp"
#include "psi/group.hpp"

namespace hashgate::psi {

inline constexpr std::uint8_t k_format_version = 1;           ///< version byte of both files
inline constexpr std::size_t k_psi_header_bytes = 40;         ///< bytes before the first element
inline constexpr std::uint64_t k_max_elements = 1u << 28;     ///< most elements in one list
inline constexpr std::size_t k_max_id_bytes = 1 << 20;        ///< longest row id (a CSV field)
inline constexpr std::size_t k_max_column_name_bytes = 4096;  ///< longest id column name

/// Which protocol step produced a .psi file.
enum class Stage : std::uint8_t {
  blinded = 1,    ///< k·H(x), made by `psi blind` from its own rows
  reblinded = 2,  ///< k'·k·H(x), made by `psi reblind` from the other party's blinded list
};

/// Random 16 bytes naming one blinded list; its re-blinded copy carries the same id.
using ListId = std::array<std::uint8_t, 16>;

/// A fresh random list id.
ListId new_list_id();

/// The bit of field `f` in a field-kind set (bit 0 em, 1 ph, 2 fn, 3 ln, 4 db, 5 ge, 6 ct, 7 st,
/// 8 zp, 9 country, 10 external_id; the wire codes of docs/psi.md).
std::uint16_t field_bit(Field f) noexcept;
/// Every bit that names a field.
inline constexpr std::uint16_t k_all_kinds = (1u << 11) - 1;
/// The field names of a kind set, comma-separated in bit order ("em,ph").
std::string kind_names(std::uint16_t kinds);

/// The contents of a .psi file.
struct PsiList {
  Stage stage = Stage::blinded;
  std::uint16_t kinds = 0;  ///< fields the elements were made from (a set of field_bit()s)
  ListId list_id{};
  std::vector<Element> elements;
};

/// Why a file was refused.
enum class FileErrc : std::uint8_t {
  ok = 0,
  truncated,         ///< the file ends inside the header, an element or a record
  bad_magic,         ///< not a hashgate .psi (or .state) file
  bad_version,       ///< a version this build does not read
  bad_stage,         ///< the stage byte is neither 1 nor 2
  bad_kinds,         ///< no field kind, or a bit that names no field
  bad_reserved,      ///< a reserved byte is not zero
  bad_count,         ///< the count is 0, above the limit, or disagrees with another count
  trailing_bytes,    ///< bytes after the last element or record
  invalid_element,   ///< an element is not a valid ristretto255 encoding
  identity_element,  ///< an element is the identity (it would match nothing or everything)
  bad_length,        ///< a length field is above its limit
  bad_link,          ///< a .state link out of range, out of order, or an element or row unlinked
};

/// Stable snake_case name of a FileErrc, e.g. "invalid_element".
std::string_view file_error_name(FileErrc e) noexcept;

/// A refusal and, for element, row and link errors, the 0-based index it is about.
struct FileError {
  FileErrc code = FileErrc::ok;
  std::uint64_t index = 0;
  bool ok() const noexcept { return code == FileErrc::ok; }
};

/// How much of each element decode_psi() checks.
enum class ElementCheck : std::uint8_t {
  full,       ///< crypto_core_ristretto255_is_valid_point and not the identity
  structure,  ///< only not the identity: the caller multiplies every element with multiply(),
              ///< which refuses invalid encodings itself (saves a decoding per element)
};

/// Serializes a list (1 ≤ elements ≤ k_max_elements, kinds a non-empty subset of k_all_kinds).
std::vector<std::uint8_t> encode_psi(const PsiList& list);

/// Parses a .psi file held in `bytes` into `out`, checking elements as `check` says on `threads`
/// threads. Returns the first problem found (header before elements, lowest element index).
FileError decode_psi(std::span<const std::uint8_t> bytes, ElementCheck check, std::size_t threads,
                     PsiList& out);

/// One row of a blinded list's source: element `element` (its position in the .psi file) was
/// made from an identifier of row `row` (an index into State::row_ids).
struct Link {
  std::uint32_t element = 0;
  std::uint32_t row = 0;
  bool operator==(const Link&) const = default;
};

/// The contents of a .state file.
struct State {
  std::uint16_t kinds = 0;                   ///< as in the .psi file
  ListId list_id{};                          ///< as in the .psi file
  std::array<std::uint8_t, 32> key_check{};  ///< Key::check_value() of the blinding key
  std::uint64_t elements = 0;                ///< element count of the .psi file
  std::string id_column;                     ///< name of the --id-column
  std::vector<std::string> row_ids;          ///< id of each row with an identifier, input order
  std::vector<Link> links;                   ///< sorted by (element, row); each element and row
                                             ///< appears at least once
  /// Zeroes the row ids before they are freed.
  ~State();
};

/// Serializes a state (which must satisfy the invariants decode_state() checks).
std::vector<std::uint8_t> encode_state(const State& state);

/// Parses a .state file held in `bytes` into `out`.
FileError decode_state(std::span<const std::uint8_t> bytes, State& out);

}  // namespace hashgate::psi
