// Health and metrics: GET /healthz (the process answers), GET /readyz (the store is ready and
// the gateway is not draining), GET /metrics (Prometheus text format).
#include "gateway/api/gateway.hpp"

namespace hashgate::gw::api {

namespace {

Response plain_text(int status, std::string body) {
  Response r;
  r.status = status;
  r.body = std::move(body);
  r.add("Content-Type", "text/plain; charset=utf-8");
  return r;
}

}  // namespace

void Gateway::healthz(Call& call) { call.done(plain_text(200, "ok\n")); }

void Gateway::readyz(Call& call) {
  const bool ok = m_store.ready() && !m_draining;
  Response r = plain_text(ok ? 200 : 503, ok ? "ready\n" : "not ready\n");
  if (!ok) r.add("Retry-After", "1");
  call.done(std::move(r));
}

void Gateway::metrics_text(Call& call) {
  Response r;
  r.body = m_metrics.render(m_store.queue_depth(), m_store.ready());
  r.add("Content-Type", "text/plain; version=0.0.4; charset=utf-8");
  call.done(std::move(r));
}

}  // namespace hashgate::gw::api
