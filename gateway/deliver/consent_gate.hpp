#pragma once
// The consent gate of a destination (pure): with gdpr=1 an event reaches a destination only if its
// TC string grants purpose 1 and, where the destination has a tcf_vendor_id, consent for that
// vendor. Also derives Google's DMA consent fields (adUserData, adPersonalization) from TCF + GPC.

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "gateway/deliver/destination.hpp"
#include "gateway/deliver/tcf_api.hpp"

namespace hashgate::gw::deliver {

/// Why the gate let an event through or not. Counted per destination as
/// hashgate_destination_failed_total{reason="consent_<name>"}.
enum class GateReason : std::uint8_t {
  allowed,                ///< gdpr=0, or the TC string grants what the destination needs
  no_tc_string,           ///< gdpr=1 without a TC string
  invalid_tc_string,      ///< the TC string does not decode
  purpose_1,              ///< purpose 1 (store/access information) has no consent
  vendor,                 ///< the destination's vendor has no consent
  vendor_not_disclosed,   ///< TCF 2.3: the vendor is absent from the Disclosed Vendors segment
  publisher_restriction,  ///< a publisher restriction rules purpose 1 out for the vendor
  policy_version,         ///< TCF 2.2 string with a policy version below 4
  created_in_future,      ///< the string is dated more than a day ahead
};

/// The metric spelling of `reason` ("allowed", "no_tc_string", "purpose_1", ...).
std::string_view to_string(GateReason reason);

/// An event's consent signals, decoded once and then checked against every destination.
class EventConsent {
 public:
  /// `gdpr`: the event's gdpr flag; `tc_string`: its TC string (may be empty); `gpc`: the
  /// request carried Sec-GPC: 1.
  EventConsent(bool gdpr, std::string_view tc_string, bool gpc);
  ~EventConsent();
  EventConsent(EventConsent&&) noexcept;
  EventConsent& operator=(EventConsent&&) noexcept;

  bool gdpr() const { return m_gdpr; }
  bool gpc() const { return m_gpc; }
  /// The decoded string, or nullptr when absent or invalid.
  const TcString* tc() const { return m_tc.get(); }
  /// True when a TC string was given (even if it did not decode).
  bool has_tc_string() const { return m_has_string; }

 private:
  bool m_gdpr = false;
  bool m_gpc = false;
  bool m_has_string = false;
  std::unique_ptr<TcString> m_tc;
};

/// Decides whether an event with `consent` may reach `dest`; `now_unix` is the current time in
/// seconds. Only consent is checked here; the event-type filter is Destination::wants().
GateReason gate(const Destination& dest, const EventConsent& consent, std::int64_t now_unix);

/// Google's DMA consent status (Data Manager API ConsentStatus).
enum class DmaStatus : std::uint8_t { unspecified, granted, denied };
/// The API spelling: CONSENT_STATUS_UNSPECIFIED, CONSENT_GRANTED, CONSENT_DENIED.
std::string_view to_string(DmaStatus status);

/// The two DMA consent fields of an event for Google.
struct DmaConsent {
  DmaStatus ad_user_data = DmaStatus::unspecified;
  DmaStatus ad_personalization = DmaStatus::unspecified;
  bool operator==(const DmaConsent&) const = default;
};

/// The DMA fields in one small integer, as the store keeps them (2 bits each), and back.
int pack_dma(DmaConsent dma);
DmaConsent unpack_dma(int packed);

/// Derives the DMA fields: GPC denies both; gdpr=0 leaves both unspecified; with gdpr=1,
/// adUserData needs consent for purposes 1 and 7 and adPersonalization for purposes 3 and 4
/// (Google's TCF mapping, docs/destinations.md); no valid TC string denies both.
DmaConsent dma_consent(const EventConsent& consent);

}  // namespace hashgate::gw::deliver
