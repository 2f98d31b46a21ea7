// The Kafka mock cluster for Node suites: starts build/bin/hashgate-kafka-mock, learns the
// bootstrap servers from its first line, and sends it commands (down/up a broker, list a topic's
// keys). Also a gateway config in Kafka mode and a wait on an explicit condition.
import { spawn } from 'node:child_process';
import path from 'node:path';
import readline from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';

import { base_config, k_bin_dir, k_patience_ms } from './gateway.mjs';

export const k_mock_bin = path.join(k_bin_dir, 'hashgate-kafka-mock');

/**
 * Starts a mock cluster of `brokers` brokers with the topics of `prefix`. Returns
 * {bootstrap, command(line) → answer lines, stop()}.
 */
export async function start_mock({ brokers = 3, partitions = 3, prefix = 'hashgate' } = {}) {
  const child = spawn(k_mock_bin, ['--brokers', String(brokers), '--partitions', String(partitions), '--prefix', prefix], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  child.stderr.resume();
  const lines = readline.createInterface({ input: child.stdout });
  const queue = [];
  let waiter = null;
  lines.on('line', (l) => { queue.push(l); if (waiter) waiter(); });
  const next_line = async () => {
    while (!queue.length) await new Promise((r) => { waiter = r; });
    waiter = null;
    return queue.shift();
  };
  const exited = new Promise((r) => child.on('exit', r));
  const bootstrap = await next_line();
  return {
    bootstrap,
    /** Sends one command; resolves its answer lines (up to "ok", "error …" or "end"). */
    async command(line) {
      child.stdin.write(`${line}\n`);
      const out = [];
      for (;;) {
        const l = await next_line();
        if (l === 'ok' || l === 'end' || l.startsWith('error')) {
          if (l.startsWith('error')) throw new Error(`mock: ${line}: ${l}`);
          return out;
        }
        out.push(l);
      }
    },
    /** Closes its stdin (it stops) and waits for the exit. */
    async stop() {
      child.stdin.end();
      await exited;
    },
  };
}

/** base_config() in Kafka mode against `mock` (the sink keeps its SQLite under `data_dir`). */
export function kafka_config({ data_dir, mock, kafka = {}, prefix = 'hashgate' }) {
  return base_config({
    data_dir,
    store: {
      kind: 'kafka',
      brokers: mock.bootstrap,
      topic_prefix: prefix,
      // A failed delivery answers 503 after 3 s; a killed sink's group membership ends after 6 s.
      kafka: { 'message.timeout.ms': 3000, 'session.timeout.ms': 6000, 'max.poll.interval.ms': 10000, ...kafka },
    },
  });
}

/**
 * Resolves once `check()` (async, polled every 20 ms) returns a truthy value, which it returns;
 * rejects with `what` after k_patience_ms. Each poll asks the system under test for its state:
 * no assertion depends on how long that takes.
 */
export async function wait_for(check, what) {
  const deadline = Date.now() + k_patience_ms;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`gave up after ${k_patience_ms} ms waiting for ${what}`);
    await sleep(20);
  }
}
