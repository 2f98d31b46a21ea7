// A fake gateway for the `hashgate audience push` tests (tests/cli/audience_push_test.cpp):
// real HTTP or HTTPS on loopback that records every request (method, path, headers, body) as one
// JSON line, written synchronously before the answer is sent, and answers by a script.
//
// Usage: node fake_gateway.mjs --record FILE [--script FILE] [--cert PEM --key PEM]
// Prints "port N" on stdout once it listens. The script is JSON:
//   {"steps": [{"status": 429, "headers": {"Retry-After": "7"}, "body": "..."}, ...],
//    "then": {"status": 503, ...}}
// ("body_repeat": N repeats the body N times, for oversized answers.)
// A step {"destroy": true} closes the connection without answering. Request i gets steps[i];
// after the steps, `then` (if given) or the default answer: 200 with
// {"added": <entries in "add">, "removed": 0, "members": <running total>, "dropped":
// {"opted_out": 0}, "rejected": []}.
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';

function option(name) {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : undefined;
}

const record = option('--record');
const script_file = option('--script');
const script = script_file ? JSON.parse(fs.readFileSync(script_file, 'utf8')) : {};
const steps = script.steps || [];
let requests = 0;
let members = 0;

function answer(res, step) {
  if (step.destroy) return res.socket.destroy();  // the connection drops without an answer
  res.writeHead(step.status, { 'content-type': 'application/json', ...(step.headers || {}) });
  if (step.body_repeat) return res.end(step.body.repeat(step.body_repeat));
  res.end(step.body ?? JSON.stringify({ error: step.status === 401 ? 'unauthorized' : 'busy' }));
}

function handle(req, res) {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const body = Buffer.concat(chunks).toString('utf8');
    fs.appendFileSync(record, JSON.stringify({ method: req.method, url: req.url, headers: req.headers, body }) + '\n');
    const step = steps[requests++] || script.then;
    if (step) return answer(res, step);
    let added = 0;
    try {
      added = JSON.parse(body).add.length;
    } catch {
      return answer(res, { status: 400, body: '{"error":"bad_json"}' });
    }
    members += added;
    answer(res, { status: 200, body: JSON.stringify({ added, removed: 0, members, dropped: { opted_out: 0 }, rejected: [] }) });
  });
}

const cert = option('--cert');
const server = cert
  ? https.createServer({ cert: fs.readFileSync(cert), key: fs.readFileSync(option('--key')) }, handle)
  : http.createServer(handle);
server.listen(0, '127.0.0.1', () => process.stdout.write(`port ${server.address().port}\n`));
process.on('SIGTERM', () => process.exit(0));
