#pragma once
// Which destinations get an event (docs/destinations.md): those that want its type and whose
// consent gate lets its consent signals through. Ingest runs it in SQLite mode
// (api/event_routes.cpp); the Kafka sink runs it on the signals the event record carries.

#include <cstdint>
#include <vector>

#include "gateway/deliver/consent_gate.hpp"
#include "gateway/deliver/destination.hpp"
#include "gateway/deliver/metrics.hpp"
#include "gateway/store/store.hpp"

namespace hashgate::gw::deliver {

/// Appends to `ev.outbox` one target per destination of `dests` that wants `ev.type` and whose
/// gate allows `consent` at `now_unix` (with the event's packed DMA fields); counts each refusal
/// in `metrics` (may be null) as failed with reason "consent_<why>".
void route_event(const std::vector<Destination>& dests, const EventConsent& consent,
                 std::int64_t now_unix, EventRecord& ev, DeliveryMetrics* metrics);

}  // namespace hashgate::gw::deliver
