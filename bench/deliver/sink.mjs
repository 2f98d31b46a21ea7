// A webhook sink for bench/deliver/ingest.mjs: answers every request 200 once its body arrived.
// Usage: node bench/deliver/sink.mjs --port-file FILE
import { writeFileSync } from 'node:fs';
import http from 'node:http';

const at = process.argv.indexOf('--port-file');
const server = http.createServer((req, res) => {
  req.resume();
  req.on('end', () => { res.writeHead(200); res.end(); });
});
server.keepAliveTimeout = 60000;
server.listen(0, '127.0.0.1', () => writeFileSync(process.argv[at + 1], `${server.address().port}\n`));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
