import { createHash, randomInt, timingSafeEqual } from 'node:crypto';

/** No 0/O, 1/I/L: codes are read off paper and typed by hand. */
const ALPHABET = 'ABCDEFGHJKMNPQRSTUVWXYZ23456789';
const GROUPS = 3;
const GROUP_LENGTH = 4;

/**
 * A recovery code: 12 characters of a 31-letter alphabet (about 59 bits), as `ABCD-EFGH-JKMN`.
 * Enough that a single-use, throttled code cannot be guessed; stored only as a SHA-256 (a slow
 * hash buys nothing for that much randomness).
 */
export function newRecoveryCode(): string {
  return Array.from({ length: GROUPS }, () => Array.from({ length: GROUP_LENGTH }, () => ALPHABET[randomInt(ALPHABET.length)]).join('')).join('-');
}

/** What a code is compared as: case, spaces and dashes do not matter. */
function canonical(code: string): string {
  return code.toUpperCase().replace(/[\s-]+/g, '');
}

export function hashRecoveryCode(code: string): string {
  return createHash('sha256').update(canonical(code)).digest('base64url');
}

/** The index of the hash the code matches, or -1; every hash is compared, in constant time each. */
export function matchRecoveryCode(code: string, hashes: readonly string[]): number {
  const presented = Buffer.from(hashRecoveryCode(code));
  let found = -1;
  hashes.forEach((hash, index) => {
    const stored = Buffer.from(hash);
    if (stored.length === presented.length && timingSafeEqual(stored, presented)) found = index;
  });
  return found;
}
