import { createHmac } from 'node:crypto';
import {
  hashTokenSecret,
  newTokenSecret,
  secretHashesMatch,
  signSessionToken,
  verifySessionToken,
  type SessionTokenParts,
} from '../../src/session/session-token';
import { newId } from '../../src/shared/ids';

const CURRENT_SECRET = 'current-signing-secret-0123456789abcdefghij';
const OLD_SECRET = 'old-signing-secret-0123456789abcdefghijklmnop';

function newParts(): SessionTokenParts {
  return { userId: newId(), sessionId: newId(), secret: newTokenSecret() };
}

/** Replaces one dot-separated field of a token, keeping the others (and the mac) as they were. */
function withField(token: string, index: number, value: string): string {
  const fields = token.split('.');
  fields[index] = value;
  return fields.join('.');
}

/** A different base64url character in the first position (which carries six full bits). */
function flipFirstCharacter(text: string): string {
  return (text[0] === 'A' ? 'B' : 'A') + text.slice(1);
}

describe('session tokens', () => {
  describe('signing and verifying', () => {
    it('verifies a token it signed and returns its parts', () => {
      const parts = newParts();
      const token = signSessionToken(parts, CURRENT_SECRET);

      expect(verifySessionToken(token, [CURRENT_SECRET])).toEqual(parts);
    });

    it('has the form v1.<userId>.<sessionId>.<secret>.<mac>', () => {
      const parts = newParts();
      const token = signSessionToken(parts, CURRENT_SECRET);

      const [version, userId, sessionId, secret, mac] = token.split('.');
      expect(version).toBe('v1');
      expect(userId).toBe(parts.userId);
      expect(sessionId).toBe(parts.sessionId);
      expect(secret).toBe(parts.secret);
      expect(mac).toMatch(/^[A-Za-z0-9_-]{43}$/);
    });

    it('rejects a token signed with a secret it is not given', () => {
      const token = signSessionToken(newParts(), CURRENT_SECRET);
      expect(verifySessionToken(token, [OLD_SECRET])).toBeNull();
      expect(verifySessionToken(token, [])).toBeNull();
    });
  });

  describe('secret rotation', () => {
    it('still verifies a token signed with the previous secret while it is listed', () => {
      const parts = newParts();
      const signedBeforeRotation = signSessionToken(parts, OLD_SECRET);

      expect(verifySessionToken(signedBeforeRotation, [CURRENT_SECRET, OLD_SECRET])).toEqual(parts);
    });

    it('verifies tokens signed with the new first secret', () => {
      const parts = newParts();
      expect(verifySessionToken(signSessionToken(parts, CURRENT_SECRET), [CURRENT_SECRET, OLD_SECRET])).toEqual(parts);
    });

    it('rejects a token signed with the previous secret once it is removed', () => {
      const signedBeforeRotation = signSessionToken(newParts(), OLD_SECRET);
      expect(verifySessionToken(signedBeforeRotation, [CURRENT_SECRET])).toBeNull();
    });
  });

  describe('bad tokens are null, never an exception', () => {
    const parts = newParts();
    const token = signSessionToken(parts, CURRENT_SECRET);

    it('rejects a forged mac', () => {
      const mac = token.split('.')[4]!;
      expect(verifySessionToken(withField(token, 4, flipFirstCharacter(mac)), [CURRENT_SECRET])).toBeNull();
    });

    it('rejects a non-canonical spelling of the right mac (same bytes, other padding bits)', () => {
      const mac = token.split('.')[4]!;
      const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
      // The last of 43 base64url characters carries 4 bits of data and 2 unused bits.
      const last = alphabet.indexOf(mac.at(-1)!);
      const sameBytes = `${mac.slice(0, -1)}${alphabet[(last & ~0b11) | ((last + 1) & 0b11)]}`;
      expect(Buffer.from(sameBytes, 'base64url')).toEqual(Buffer.from(mac, 'base64url'));
      expect(verifySessionToken(withField(token, 4, sameBytes), [CURRENT_SECRET])).toBeNull();
      expect(verifySessionToken(token, [CURRENT_SECRET])).not.toBeNull();
    });

    it('rejects a mac made with another key', () => {
      const payload = token.split('.').slice(0, 4).join('.');
      const forgedMac = createHmac('sha256', 'attacker-chosen-key-0123456789abcdef').update(payload).digest('base64url');
      expect(verifySessionToken(`${payload}.${forgedMac}`, [CURRENT_SECRET])).toBeNull();
    });

    it('rejects a tampered user id, session id or secret', () => {
      expect(verifySessionToken(withField(token, 1, newId()), [CURRENT_SECRET])).toBeNull();
      expect(verifySessionToken(withField(token, 2, newId()), [CURRENT_SECRET])).toBeNull();
      expect(verifySessionToken(withField(token, 3, newTokenSecret()), [CURRENT_SECRET])).toBeNull();
    });

    it('rejects a token for another version, even with a valid mac for it', () => {
      const payload = `v2.${parts.userId}.${parts.sessionId}.${parts.secret}`;
      const mac = createHmac('sha256', CURRENT_SECRET).update(payload).digest('base64url');
      expect(verifySessionToken(`${payload}.${mac}`, [CURRENT_SECRET])).toBeNull();
    });

    it('rejects fields of the wrong shape even with a valid mac for them', () => {
      const payload = `v1.${parts.userId}.short.${parts.secret}`;
      const mac = createHmac('sha256', CURRENT_SECRET).update(payload).digest('base64url');
      expect(verifySessionToken(`${payload}.${mac}`, [CURRENT_SECRET])).toBeNull();
    });

    it.each([
      ['truncated by one character', token.slice(0, -1)],
      ['truncated to its first half', token.slice(0, Math.floor(token.length / 2))],
      ['without its mac', token.split('.').slice(0, 4).join('.')],
      ['with an extra field', `${token}.extra`],
      ['with surrounding whitespace', ` ${token} `],
      ['empty', ''],
      ['only dots', '....'],
      ['oversized', `${token}${'A'.repeat(10_000)}`],
      ['oversized garbage', 'x'.repeat(1_000_000)],
      ['a bearer header value', `Bearer ${token}`],
    ])('rejects a token %s', (_description, bad) => {
      expect(verifySessionToken(bad, [CURRENT_SECRET])).toBeNull();
    });
  });

  describe('token secrets', () => {
    it('carries 256 bits: 43 base64url characters decoding to 32 bytes', () => {
      const secret = newTokenSecret();
      expect(secret).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(Buffer.from(secret, 'base64url')).toHaveLength(32);
    });

    it('is different every time (1000 secrets)', () => {
      const secrets = new Set(Array.from({ length: 1000 }, () => newTokenSecret()));
      expect(secrets.size).toBe(1000);
    });

    it('is stored only as a hash that is not the secret', () => {
      const secret = newTokenSecret();
      const hash = hashTokenSecret(secret);

      expect(hash).not.toBe(secret);
      expect(hash).not.toContain(secret);
      expect(hash).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(hashTokenSecret(secret)).toBe(hash);
      expect(hashTokenSecret(newTokenSecret())).not.toBe(hash);
    });

    it('compares hashes: equal ones match, others do not (without throwing on length)', () => {
      const hash = hashTokenSecret(newTokenSecret());

      expect(secretHashesMatch(hash, hashTokenSecret(newTokenSecret()))).toBe(false);
      expect(secretHashesMatch(hash, `${hash}`)).toBe(true);
      expect(secretHashesMatch(hash, hash.slice(0, -1))).toBe(false);
      expect(secretHashesMatch(hash, '')).toBe(false);
    });
  });
});
