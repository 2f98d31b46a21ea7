#pragma once
// Opt-out decision for one request and one event, taken before anything is stored:
// the hg_optout cookie, Sec-GPC (per tenant), and the tenant's suppression list.

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "gateway/store/store.hpp"

namespace hashgate::gw::policy {

/// Why an event is acknowledged but not stored. The names are the metric/response labels.
enum class DropReason { none, opted_out, gpc, suppressed, consent, duplicate };

/// Label of a drop reason ("opted_out", "gpc", "suppressed", "consent", "duplicate").
std::string_view drop_reason_name(DropReason r);

/// Request-level signals: the hg_optout=1 cookie and the Sec-GPC: 1 header.
struct OptOutSignals {
  bool optout_cookie = false;
  bool gpc = false;
};

/// Decides for a whole request: opted_out (cookie), gpc (if `honour_gpc`), or none.
DropReason request_drop_reason(const OptOutSignals& s, bool honour_gpc);

/// True if the tenant's suppression list holds the hg_uid `uid` or any of the canonical `ids`.
bool is_suppressed(const Store& store, const std::string& tenant,
                   const std::vector<std::pair<std::string, std::string>>& ids,
                   const std::string& uid);

}  // namespace hashgate::gw::policy
