// TC strings for the suites that drive consent gates end to end, encoded by the IAB's own
// library (@iabtcf/core, an independent encoder: the gateway decodes with tcf/).
import { createRequire } from 'node:module';
import path from 'node:path';
import { k_root } from './gateway.mjs';

const require = createRequire(path.join(k_root, 'package.json'));
const { TCModel, SegmentEncoder, Segment } = require('@iabtcf/core');

/** A TCF v2.2 core string: purposes 1-10 consented, vendor consent for `vendors` only. */
export function tc_string(vendors) {
  const tc = new TCModel();
  tc.cmpId = 10;
  tc.cmpVersion = 1;
  tc.vendorListVersion = 100;
  tc.policyVersion = 5;
  tc.publisherCountryCode = 'DE';
  tc.created = tc.lastUpdated = new Date(Date.now() - 60000);
  tc.purposeConsents.set([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  tc.vendorConsents.set(vendors);
  return SegmentEncoder.encode(tc, Segment.CORE);
}
