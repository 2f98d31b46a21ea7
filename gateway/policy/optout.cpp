// Opt-out decisions (pure functions over the request signals and the store's suppression set).
#include "gateway/policy/optout.hpp"

namespace hashgate::gw::policy {

std::string_view drop_reason_name(DropReason r) {
  switch (r) {
    case DropReason::opted_out:
      return "opted_out";
    case DropReason::gpc:
      return "gpc";
    case DropReason::suppressed:
      return "suppressed";
    case DropReason::consent:
      return "consent";
    case DropReason::duplicate:
      return "duplicate";
    case DropReason::none:
      break;
  }
  return "none";
}

DropReason request_drop_reason(const OptOutSignals& s, bool honour_gpc) {
  if (s.optout_cookie) return DropReason::opted_out;
  if (s.gpc && honour_gpc) return DropReason::gpc;
  return DropReason::none;
}

bool is_suppressed(const Store& store, const std::string& tenant,
                   const std::vector<std::pair<std::string, std::string>>& ids,
                   const std::string& uid) {
  if (!uid.empty() && store.is_suppressed(tenant, uid)) return true;
  for (const auto& [k, v] : ids)
    if (store.is_suppressed(tenant, v)) return true;
  return false;
}

}  // namespace hashgate::gw::policy
