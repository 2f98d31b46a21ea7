// Seeded generator of realistic, synthetic e-mail addresses for the SDK benchmarks.
// Works unchanged under Node and in the browser (no imports). The addresses are made up from
// small word lists; none belongs to a real person.

/** Returns a deterministic PRNG (mulberry32) yielding floats in [0, 1) for a 32-bit seed. */
export function mulberry32(seed) {
  let a = seed >>> 0;
  return function next() {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const k_first = ['anna', 'jan', 'pieter', 'sophie', 'lucas', 'emma', 'noah', 'julia', 'daan', 'tess',
  'mohammed', 'fatima', 'li', 'wei', 'olga', 'ivan', 'maria', 'jose', 'giulia', 'marco', 'chloe',
  'louis', 'hannah', 'felix', 'aisha', 'kofi', 'priya', 'arjun', 'yuki', 'haruto', 'sven', 'ingrid',
  'charlotte', 'alexander', 'christopher', 'elisabeth', 'maximilian', 'anne-marie', 'jean-pierre', 'bo'];
const k_last = ['jansen', 'de-vries', 'bakker', 'visser', 'smit', 'meijer', 'mulder', 'bos', 'smith',
  'johnson', 'garcia', 'muller', 'schmidt', 'rossi', 'dubois', 'nowak', 'kowalski', 'tanaka', 'kim',
  'nguyen', 'okafor', 'haddad', 'patel', 'singh', 'oconnor', 'van-der-berg', 'andersson', 'silva',
  'papadopoulos', 'vanderlinden', 'x', 'wolfeschlegelsteinhausen'];
const k_domains = [
  // weight, domain
  [30, 'gmail.com'], [8, 'googlemail.com'], [10, 'outlook.com'], [8, 'hotmail.com'], [6, 'yahoo.com'],
  [3, 'yahoo.co.uk'], [4, 'icloud.com'], [3, 'live.nl'], [3, 'ziggo.nl'], [3, 'kpnmail.nl'],
  [2, 'web.de'], [2, 'gmx.de'], [2, 'orange.fr'], [2, 'libero.it'], [2, 'proton.me'],
  [2, 'mail.example-shop.com'], [2, 'corp.acme-industries.co.uk'], [1, 'xs4all.nl'],
  [1, 'student.uva.nl'], [1, 'engineering.dept.bigcorp-international.com'], [1, 'a.io'],
];
const k_domain_total = k_domains.reduce((s, [w]) => s + w, 0);
const k_tags = ['news', 'shop', 'promo', 'x', 'amazon', 'newsletter2024', 'crm', 'a1'];
const k_space = [' ', '  ', '\t', ' \t', '\n', '   '];

function pick(rnd, list) {
  return list[Math.floor(rnd() * list.length)];
}

function mixed_case(rnd, s, mode) {
  if (mode === 0) return s;
  if (mode === 1) return s.toUpperCase();
  if (mode === 2) return s.charAt(0).toUpperCase() + s.slice(1);
  let out = '';
  for (const c of s) out += rnd() < 0.3 ? c.toUpperCase() : c;
  return out;
}

/** Returns `count` raw e-mail strings (ASCII) as a user would type them: mixed case, stray
 *  whitespace, plus-tags, digits, varied domains and lengths; deterministic for a given `seed`. */
export function generate_emails(count, seed = 20261129) {
  const rnd = mulberry32(seed);
  const out = new Array(count);
  for (let i = 0; i < count; i++) {
    const first = pick(rnd, k_first);
    const last = pick(rnd, k_last);
    let local;
    const shape = rnd();
    if (shape < 0.35) local = `${first}.${last}`;
    else if (shape < 0.55) local = `${first}${last}`;
    else if (shape < 0.7) local = `${first.charAt(0)}${last}`;
    else if (shape < 0.8) local = `${first}_${last}${Math.floor(rnd() * 100)}`;
    else if (shape < 0.9) local = `${first}${Math.floor(rnd() * 10000)}`;
    else local = `${last}.${first}.${Math.floor(rnd() * 1000000)}`;
    if (rnd() < 0.12) local += `+${pick(rnd, k_tags)}`;
    let w = rnd() * k_domain_total;
    let domain = k_domains[0][1];
    for (const [weight, d] of k_domains) {
      if ((w -= weight) < 0) { domain = d; break; }
    }
    const case_mode = rnd() < 0.6 ? 0 : Math.floor(rnd() * 4);
    let email = `${mixed_case(rnd, local, case_mode)}@${mixed_case(rnd, domain, rnd() < 0.85 ? 0 : case_mode)}`;
    if (rnd() < 0.15) email = pick(rnd, k_space) + email;
    if (rnd() < 0.2) email += pick(rnd, k_space);
    out[i] = email;
  }
  return out;
}

/** Reference normalization of the benchmark ("meta" profile for e-mails): ASCII trim + lowercase.
 *  The generated input is ASCII only, so this equals the SDK's rule on this data set. */
export function normalize_email(v) {
  return v.trim().toLowerCase();
}
