// Crash durability: drive load at the real gateway, kill -9 it mid-stream, restart it on the same
// data folder, and check that every event_id acknowledged with a 2xx is in the export, once.
// Repeated for several rounds per run (issue 7, part 3).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';

import { base_config, condition, export_all, make_event, post_events, start_gateway } from '../lib/gateway.mjs';

const k_rounds = Number(process.env.HASHGATE_CRASH_ROUNDS || 4);
const k_clients = 16;
const k_batch = 5;
// Each round is killed once it has acknowledged this many events: mid-stream, whatever the speed.
const k_acks_per_round = 300;

test('Reliability: no acknowledged event is lost or duplicated across kill -9', async () => {
  const data_dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hg-crash-'));
  const config = base_config({ data_dir });
  const acked = new Set();
  let attempted = 0;
  let failed_in_flight = 0;

  for (let round = 0; round < k_rounds; ++round) {
    const gw = await start_gateway(config);
    const agent = new http.Agent({ keepAlive: true, maxSockets: k_clients });
    let stop = false;
    const before = acked.size;
    const enough = condition(() => acked.size - before >= k_acks_per_round,
      `round ${round} to acknowledge ${k_acks_per_round} events`);
    const client = async (c) => {
      for (let i = 0; !stop; ++i) {
        const ids = Array.from({ length: k_batch }, (_, k) => `r${round}-c${c}-b${i}-e${k}`);
        attempted += ids.length;
        try {
          const r = await post_events(gw.origin, ids.map((id, k) => make_event(id, c * 1000 + k)), { agent });
          if (r.status === 202) {
            const body = JSON.parse(r.body);
            assert.equal(body.accepted, k_batch, `a fresh batch is accepted whole: ${r.body}`);
            for (const id of ids) acked.add(id);
            enough.notify();
          } else if (r.status !== 503 && r.status !== 429) {
            assert.fail(`unexpected status ${r.status}: ${r.body.slice(0, 200)}`);
          }
        } catch (e) {
          if (e.code === 'ERR_ASSERTION') throw e;
          failed_in_flight += 1;  // the connection died with the process: not acknowledged
          return;
        }
      }
    };
    const clients = Array.from({ length: k_clients }, (_, c) => client(c));
    // Kill once this round has acknowledged enough events, while the clients keep sending (a
    // client that fails an assertion, or all of them stopping early, ends the wait too).
    const all_clients = Promise.all(clients);
    await Promise.race([enough.done, all_clients.then(() => {
      throw new Error(`round ${round}: every client stopped before the kill:\n${gw.output()}`);
    })]);
    await gw.kill9();
    stop = true;
    await all_clients;
    agent.destroy();
    assert.ok(acked.size > before, `round ${round} acknowledged nothing:\n${gw.output()}`);
  }

  const gw = await start_gateway(config);
  try {
    const rows = await export_all(gw.origin);
    const seen = new Map();
    for (const row of rows) seen.set(row.event_id, (seen.get(row.event_id) || 0) + 1);
    const lost = [...acked].filter((id) => !seen.has(id));
    const dup = [...seen].filter(([, n]) => n > 1).map(([id]) => id);
    console.log(`crash: ${k_rounds} kill -9 rounds, ${attempted} events sent, ${acked.size} acknowledged, ` +
      `${rows.length} exported, ${lost.length} lost, ${dup.length} duplicated, ${failed_in_flight} requests cut`);
    assert.deepEqual(lost, [], 'acknowledged events missing after kill -9');
    assert.deepEqual(dup, [], 'events exported twice');
  } finally {
    await gw.stop();
    fs.rmSync(data_dir, { recursive: true, force: true });
  }
});
