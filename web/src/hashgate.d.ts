// Type definitions for hashgate.mjs (web/dist/hashgate.mjs).

/** Identifier fields (Meta Conversions API names; "email"/"phone" are aliases). */
export type Field = 'em' | 'email' | 'ph' | 'phone' | 'fn' | 'ln' | 'db' | 'ge' | 'ct' | 'st' | 'zp'
  | 'country' | 'external_id';
/** Platform whose normalization and encoding rules apply ("euid" is an alias of "uid2"). */
export type Profile = 'meta' | 'google' | 'uid2' | 'euid' | 'liveramp';
export type Algo = 'sha256' | 'sha1' | 'md5' | 'hmac-sha256';
export type Encoding = 'hex' | 'base64';
/** SDK error code names, carried as `.code` on thrown errors. */
export type ErrorCode = 'invalid_email' | 'invalid_phone' | 'phone_needs_region' | 'invalid_utf8'
  | 'too_long' | 'empty' | 'unsupported_field' | 'unsupported_profile' | 'unsupported_algo'
  | 'unsupported_encoding' | 'invalid_region' | 'invalid_date' | 'invalid_country'
  | 'invalid_gender' | 'invalid_value' | 'missing_key' | 'internal';

/** TypeError thrown for invalid input; the message names the field, never the value. */
export interface HashgateInputError extends TypeError { code: ErrorCode; field?: string }

export interface LoadOptions {
  /** Gateway base URL, e.g. "https://collect.example.com". Needed by send() and optOut(). */
  gateway?: string;
  /** Public site key (sent as the X-Hashgate-Site-Key header). */
  siteKey?: string;
  /** Default profile (default "meta"). */
  profile?: Profile;
  /** Default region (ISO 3166 alpha-2) for national phone numbers. */
  region?: string;
  /** Collect the first-party cookies _fbp, _fbc, _ga as online_ids (default false). */
  collectAdCookies?: boolean;
  /** Retries after network errors, 5xx and 429 (default 4). */
  retries?: number;
  /** First backoff delay in ms, doubled each retry (default 500). */
  retryBaseMs?: number;
}

export interface NormalizeOptions { profile?: Profile; region?: string }
export interface HashOptions extends NormalizeOptions {
  algo?: Algo;
  /** Default: the profile's (base64 for uid2, hex otherwise). */
  encoding?: Encoding;
  /** HMAC key, required for algo "hmac-sha256". */
  key?: string | Uint8Array;
}
export interface BatchOptions extends HashOptions { field?: Field }

export interface SendData {
  email?: string; phone?: string; fn?: string; ln?: string; db?: string; ge?: string; ct?: string;
  st?: string; zp?: string; country?: string; external_id?: string; externalId?: string;
  /** Region for this event's phone number. */
  region?: string;
  /** Dedupe key; a random UUID when absent. */
  eventId?: string;
  onlineIds?: Record<string, string>;
  consent?: { gdpr?: 0 | 1; tcf?: string; legal_basis?: string };
  custom?: Record<string, unknown>;
}
export interface SendOptions { transport?: 'fetch' | 'beacon'; retries?: number; retryBaseMs?: number }
export type SendResult =
  | { sent: false; reason: 'opted_out' | 'gpc' }
  | { sent: true; eventId: string; transport: 'fetch' | 'beacon'; status?: number; response?: unknown };

export declare class Hashgate {
  /** Compiles the embedded wasm once and returns an instance. */
  static load(options?: LoadOptions): Promise<Hashgate>;
  /** The normalized value the platform hashes. Throws HashgateInputError. */
  normalize(field: Field, value: string, options?: NormalizeOptions): string;
  normalizeEmail(value: string, options?: NormalizeOptions): string;
  /** Normalizes and hashes; returns the encoded digest. Throws HashgateInputError. */
  hash(field: Field, value: string, options?: HashOptions): string;
  hashEmail(value: string, options?: HashOptions): string;
  hashPhone(value: string, options?: HashOptions): string;
  /** One digest per value, null for each invalid one. */
  hashBatch(values: readonly string[], options?: BatchOptions): (string | null)[];
  /** Hashes locally and POSTs only hashes to `${gateway}/v1/events`. */
  send(type: string, data?: SendData, options?: SendOptions): Promise<SendResult>;
  /** Sets the hg_optout cookie and notifies the gateway (with hashes of the given ids). */
  optOut(data?: SendData): Promise<{ cookie: boolean; gateway: number }>;
  /** True if the hg_optout=1 cookie is set or navigator.globalPrivacyControl is true. */
  isOptedOut(): boolean;
}
export default Hashgate;
