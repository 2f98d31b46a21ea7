// Consent gate per destination, built on the tenant-level consent decision of tcf/consent.*
// with the destination's own needs: purpose 1 under consent, plus its vendor when it has one.
#include "gateway/deliver/consent_gate.hpp"

#include <utility>

#include "gateway/deliver/tcf_api.hpp"

namespace hashgate::gw::deliver {

namespace {

/// Maps a reason of decide_consent() (docs/tcf.md) to the gate's typed reason.
GateReason from_decision(const ConsentDecision& d) {
  if (d.allowed) return GateReason::allowed;
  struct Entry {
    std::string_view text;
    GateReason reason;
  };
  static constexpr Entry k_map[] = {
      {"no_tc_string", GateReason::no_tc_string},
      {"invalid_tc_string", GateReason::invalid_tc_string},
      {"purpose_consent", GateReason::purpose_1},
      {"vendor_consent", GateReason::vendor},
      {"vendor_not_disclosed", GateReason::vendor_not_disclosed},
      {"publisher_restriction", GateReason::publisher_restriction},
      {"policy_version", GateReason::policy_version},
      {"created_in_future", GateReason::created_in_future},
  };
  for (const auto& e : k_map)
    if (e.text == d.reason) return e.reason;
  // Any other denial (e.g. a policy the decision refuses) fails closed as missing consent.
  return GateReason::purpose_1;
}

}  // namespace

std::string_view to_string(GateReason reason) {
  switch (reason) {
    case GateReason::allowed:
      return "allowed";
    case GateReason::no_tc_string:
      return "no_tc_string";
    case GateReason::invalid_tc_string:
      return "invalid_tc_string";
    case GateReason::purpose_1:
      return "purpose_1";
    case GateReason::vendor:
      return "vendor";
    case GateReason::vendor_not_disclosed:
      return "vendor_not_disclosed";
    case GateReason::publisher_restriction:
      return "publisher_restriction";
    case GateReason::policy_version:
      return "policy_version";
    case GateReason::created_in_future:
      return "created_in_future";
  }
  return "purpose_1";
}

EventConsent::EventConsent(bool gdpr, std::string_view tc_string, bool gpc)
    : m_gdpr(gdpr), m_gpc(gpc), m_has_string(!tc_string.empty()) {
  if (!m_has_string) return;
  auto decoded = decode_tc_string(tc_string);
  if (decoded.ok()) m_tc = std::make_unique<TcString>(std::move(*decoded.tc));
}

EventConsent::~EventConsent() = default;
EventConsent::EventConsent(EventConsent&&) noexcept = default;
EventConsent& EventConsent::operator=(EventConsent&&) noexcept = default;

GateReason gate(const Destination& dest, const EventConsent& consent, std::int64_t now_unix) {
  if (!consent.gdpr()) return GateReason::allowed;
  if (!consent.has_tc_string()) return GateReason::no_tc_string;
  if (consent.tc() == nullptr) return GateReason::invalid_tc_string;
  TcfPolicy policy;
  policy.vendor_id = dest.tcf_vendor_id;
  policy.required_purposes = {1};
  policy.require_vendor_consent = dest.tcf_vendor_id != 0;
  policy.strict_policy_version = true;
  return from_decision(decide_consent(LegalBasis::consent, policy, *consent.tc(), now_unix));
}

std::string_view to_string(DmaStatus status) {
  switch (status) {
    case DmaStatus::granted:
      return "CONSENT_GRANTED";
    case DmaStatus::denied:
      return "CONSENT_DENIED";
    case DmaStatus::unspecified:
      break;
  }
  return "CONSENT_STATUS_UNSPECIFIED";
}

DmaConsent dma_consent(const EventConsent& consent) {
  if (consent.gpc()) return {DmaStatus::denied, DmaStatus::denied};
  if (!consent.gdpr()) return {};
  const TcString* tc = consent.tc();
  if (tc == nullptr) return {DmaStatus::denied, DmaStatus::denied};
  auto both = [&](int a, int b) {
    return tc->purposes_consent.contains(a) && tc->purposes_consent.contains(b) ? DmaStatus::granted
                                                                                : DmaStatus::denied;
  };
  return {both(1, 7), both(3, 4)};
}

int pack_dma(DmaConsent dma) {
  return static_cast<int>(dma.ad_user_data) | static_cast<int>(dma.ad_personalization) << 2;
}

DmaConsent unpack_dma(int packed) {
  const auto status = [](int v) {
    return v <= 2 ? static_cast<DmaStatus>(v) : DmaStatus::unspecified;
  };
  return DmaConsent{status(packed & 3), status(packed >> 2 & 3)};
}

}  // namespace hashgate::gw::deliver
