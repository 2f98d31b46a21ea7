// Runs web/dist/hashgate.min.js in a fresh vm context that imitates a page: window, document
// (cookie, currentScript.dataset), navigator (globalPrivacyControl), fetch, sendBeacon.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import vm from 'node:vm';
import { distDir } from './helpers.mjs';

/**
 * Loads the snippet. opts: {cookie, gpc, dataset, queue, beacons: [] to record sendBeacon calls}.
 * Returns {win, push(cmd...) → Promise of the callback result, hash(field, value, opts)}.
 */
export async function loadSnippet(opts) {
  const code = readFileSync(join(distDir, 'hashgate.min.js'), 'utf8');
  const document = { cookie: opts.cookie || '', currentScript: { dataset: opts.dataset || {} } };
  const navigator = {};
  if (opts.gpc !== undefined) navigator.globalPrivacyControl = opts.gpc;
  if (opts.beacons) navigator.sendBeacon = (url, blob) => { opts.beacons.push({ url, blob }); return true; };
  const win = {
    document, navigator, location: { protocol: 'http:' },
    fetch: opts.fetch || globalThis.fetch, setTimeout, clearTimeout, TextEncoder, TextDecoder,
    WebAssembly, atob, crypto: globalThis.crypto, Blob, console,
    hashgate: opts.queue || [],
  };
  vm.createContext(win);
  vm.runInContext(code, win, { filename: 'hashgate.min.js' });
  const push = (...cmd) => new Promise((resolve, reject) => {
    win.hashgate.push([...cmd, (err, res) => (err ? reject(err) : resolve(res))]);
  });
  await push('isOptedOut');  // resolves once the wasm is loaded and the queue replayed
  return {
    win,
    push,
    hash: (field, value, o) => push('hash', field, value, o || {}),
  };
}
