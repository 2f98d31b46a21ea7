#pragma once
// IAB TCF v2.2/v2.3 TC string decoder ("version 2" string format): core segment, Disclosed Vendors,
// Publisher TC; the legacy Allowed Vendors segment is recognised and skipped. Standard library
// only.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace hashgate::tcf {

/// Largest vendor id the format can carry (16-bit field); bitmaps never grow beyond it.
inline constexpr int k_tcf_max_vendor_id = 65535;
/// Longest TC string accepted, in characters; bounds the decoding work of hostile input.
inline constexpr std::size_t k_tcf_max_string_length = 65536;
/// First second (2023-10-01T00:00:00Z) from which TCF 2.2 strings must carry policy version >= 4.
inline constexpr std::int64_t k_tcf_policy_v4_cutoff_unix = 1696118400;

/// A set of small positive ids (purposes, features, vendors) kept as a bitmap.
class IdSet {
 public:
  /// True when `id` is a member; ids outside the bitmap are simply absent.
  bool contains(int id) const noexcept;
  /// Adds `id` (1..k_tcf_max_vendor_id); ids outside that range are ignored.
  void insert(int id);
  /// Adds every id in [first, last]; the caller guarantees 1 <= first <= last <= max vendor id.
  void insert_range(int first, int last);
  /// The members in ascending order.
  std::vector<int> to_vector() const;
  /// True when the set has no member.
  bool empty() const noexcept;

 private:
  std::vector<std::uint64_t> m_words;
};

/// One publisher restriction: for `purpose`, restriction `type` (0 not allowed, 1 require
/// consent, 2 require legitimate interest) applies to `vendors`.
struct TcfPublisherRestriction {
  int purpose = 0;
  int type = 0;
  IdSet vendors;
};

/// The optional Publisher TC segment (segment type 3).
struct TcfPublisherTc {
  IdSet purposes_consent;
  IdSet purposes_li;
  int num_custom_purposes = 0;
  IdSet custom_purposes_consent;
  IdSet custom_purposes_li;
};

/// A decoded TC string. Times are in deciseconds since the Unix epoch, as encoded.
struct TcString {
  int version = 0;
  std::int64_t created_ds = 0;
  std::int64_t last_updated_ds = 0;
  int cmp_id = 0;
  int cmp_version = 0;
  int consent_screen = 0;
  std::string consent_language;  // two letters A-Z
  int vendor_list_version = 0;
  int policy_version = 0;
  bool is_service_specific = false;
  bool use_non_standard_texts = false;
  bool purpose_one_treatment = false;
  std::string publisher_cc;  // two letters A-Z
  IdSet special_feature_optins;
  IdSet purposes_consent;
  IdSet purposes_li;
  IdSet vendor_consent;
  IdSet vendor_li;
  /// Merged by (purpose, type), sorted by purpose then type.
  std::vector<TcfPublisherRestriction> publisher_restrictions;
  bool has_disclosed_vendors = false;
  IdSet disclosed_vendors;
  bool has_allowed_vendors = false;  // legacy segment 2 was present
  IdSet allowed_vendors;             // its content: validated, not printed, never used
  std::optional<TcfPublisherTc> publisher_tc;

  /// Creation time in whole Unix seconds (deciseconds / 10).
  std::int64_t created_unix() const noexcept { return created_ds / 10; }
  /// Last-update time in whole Unix seconds.
  std::int64_t last_updated_unix() const noexcept { return last_updated_ds / 10; }
};

/// Either a decoded TC string or a short reason (never containing the input itself).
struct TcfDecodeResult {
  std::optional<TcString> tc;
  std::string error;
  /// True when decoding succeeded.
  bool ok() const noexcept { return tc.has_value(); }
};

/// Decodes `text` (base64url segments joined by '.'; '=' padding and the standard-base64
/// characters '+' and '/' are tolerated). Never throws; invalid input gives a reason.
TcfDecodeResult decode_tc_string(std::string_view text);

/// Bit mask of publisher restriction types (bit t set = type t) placed on `vendor_id` for
/// `purpose`.
unsigned publisher_restriction_types(const TcString& tc, int vendor_id, int purpose);

/// Formats Unix seconds as ISO 8601 UTC, e.g. "2020-01-26T17:01:00Z".
std::string format_iso8601_utc(std::int64_t unix_seconds);

/// Formats a TC string time (deciseconds since the epoch) as ISO 8601 UTC: whole seconds as
/// "2020-01-26T17:01:00Z", otherwise with milliseconds like JavaScript, "2020-01-26T17:01:00.700Z".
std::string format_tc_time(std::int64_t deciseconds);

/// Renders `tc` as one line of compact JSON with the pinned keys (see docs/tcf.md).
std::string tc_string_to_json(const TcString& tc);

/// Appends `ids` as a JSON integer array to `out`.
void append_json_int_array(std::string& out, const std::vector<int>& ids);

}  // namespace hashgate::tcf
