import { createHmac, createSecretKey, hash, randomBytes, timingSafeEqual, type KeyObject } from 'node:crypto';
import { ID_PATTERN } from './ids';

/**
 * A signed token is `<kind>.<userId>.<id>.<secret>.<mac>`:
 * - kind names what it is for (`v1` a session, `d1` a known device); it is under the MAC,
 *   so one kind of token can never pass for another.
 * - userId and id locate the record in the store (and its Redis hash slot) without a lookup
 *   table; neither is secret.
 * - secret is 256 random bits; the store keeps only its SHA-256, so a copy of the store yields
 *   no usable token.
 * - mac is HMAC-SHA256 over everything before it with the first SESSION_SECRETS entry, so
 *   forged or truncated tokens are rejected before any store round trip.
 */
export interface SignedTokenParts {
  userId: string;
  id: string;
  secret: string;
}

const SECRET_BYTES = 32;
const BASE64URL_256_BITS = /^[A-Za-z0-9_-]{43}$/;
/** Longer input is rejected before any hashing: no work for oversized garbage. */
const MAX_TOKEN_LENGTH = 200;

export function newTokenSecret(): string {
  return randomBytes(SECRET_BYTES).toString('base64url');
}

export function hashTokenSecret(secret: string): string {
  return hash('sha256', secret, 'base64url');
}

/** Constant-time comparison of two base64url hashes. */
export function secretHashesMatch(expected: string, actual: string): boolean {
  const a = Buffer.from(expected);
  const b = Buffer.from(actual);
  return a.length === b.length && timingSafeEqual(a, b);
}

export function signToken(kind: string, parts: SignedTokenParts, signingSecret: string): string {
  const payload = `${kind}.${parts.userId}.${parts.id}.${parts.secret}`;
  return `${payload}.${mac(payload, signingSecret)}`;
}

/**
 * The token's parts when it is a well-formed token of this kind, signed by any of the given
 * secrets; otherwise null (a bad token is never an exception).
 */
export function verifyToken(kind: string, token: string, verificationSecrets: readonly string[]): SignedTokenParts | null {
  if (token.length > MAX_TOKEN_LENGTH) return null;
  const fields = token.split('.');
  if (fields.length !== 5) return null;
  const [tokenKind, userId, id, secret, signature] = fields as [string, string, string, string, string];
  if (tokenKind !== kind || !ID_PATTERN.test(userId) || !ID_PATTERN.test(id)) return null;
  if (!BASE64URL_256_BITS.test(secret) || !BASE64URL_256_BITS.test(signature)) return null;

  const payload = `${tokenKind}.${userId}.${id}.${secret}`;
  // Compared as text, not decoded bytes: base64url has several spellings of the same
  // bytes, and only the canonical one is accepted. Every secret is checked (no early
  // exit) so that timing does not reveal which one matched.
  const presented = Buffer.from(signature);
  let valid = false;
  for (const verificationSecret of verificationSecrets) {
    if (timingSafeEqual(Buffer.from(mac(payload, verificationSecret)), presented)) valid = true;
  }
  return valid ? { userId, id, secret } : null;
}

/** Each signing secret as a key object, imported once rather than on every token checked. */
const keys = new Map<string, KeyObject>();

function mac(payload: string, secret: string): string {
  let key = keys.get(secret);
  if (!key) {
    key = createSecretKey(Buffer.from(secret, 'utf8'));
    keys.set(secret, key);
  }
  return createHmac('sha256', key).update(payload).digest('base64url');
}
