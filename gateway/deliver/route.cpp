// Routing an event to its destinations (route.hpp).
#include "gateway/deliver/route.hpp"

#include <string>

namespace hashgate::gw::deliver {

void route_event(const std::vector<Destination>& dests, const EventConsent& consent,
                 std::int64_t now_unix, EventRecord& ev, DeliveryMetrics* metrics) {
  const int dma = pack_dma(dma_consent(consent));
  for (const Destination& dest : dests) {
    if (!dest.wants(ev.type)) continue;
    const GateReason why = gate(dest, consent, now_unix);
    if (why == GateReason::allowed)
      ev.outbox.push_back(OutboxTarget{dest.id, dma});
    else if (metrics != nullptr)
      metrics->add_failed(dest.id, "consent_" + std::string(to_string(why)), 1);
  }
}

}  // namespace hashgate::gw::deliver
