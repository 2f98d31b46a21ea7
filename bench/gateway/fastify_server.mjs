// Minimal fastify peer for the gateway benchmark: POST /v1/events parses the JSON body (fastify's
// own parser), checks that "events" is an array and answers 202 {"accepted": n}. No storage.
// Usage: PORT=n node bench/gateway/fastify_server.mjs  (listens on 127.0.0.1 only)
import Fastify from 'fastify';

const app = Fastify({ logger: false, bodyLimit: 1048576 });
app.post('/v1/events', async (req, reply) => {
  const events = req.body?.events;
  if (!Array.isArray(events)) return reply.code(400).send({ error: 'events must be an array' });
  return reply.code(202).send({ accepted: events.length, dropped: { opted_out: 0, duplicate: 0 }, rejected: [] });
});
await app.listen({ host: '127.0.0.1', port: Number(process.env.PORT) });
console.log('ready');
