import fc from 'fast-check';
import { hashTokenSecret, newTokenSecret, signSessionToken, verifySessionToken } from '../../src/session/session-token';
import { presentedToken } from '../../src/session/session-cookie';
import { newId } from '../../src/shared/ids';

const SECRET = 'property-test-secret-0123456789-abcdefghij';
const OTHER_SECRET = 'property-test-other-secret-0123456789-abcdef';

const anyText = fc.oneof(fc.string({ maxLength: 400 }), fc.string({ unit: 'binary', maxLength: 400 }), fc.string({ unit: 'grapheme', maxLength: 200 }));

describe('token parser properties', () => {
  it('never throws, and accepts nothing it did not sign', () => {
    fc.assert(
      fc.property(anyText, (text) => {
        expect(verifySessionToken(text, [SECRET])).toBeNull();
      }),
      { numRuns: 2000 },
    );
  });

  it('accepts every token it signed, and no token with any one character changed', () => {
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.';
    fc.assert(
      fc.property(fc.nat(), fc.constantFrom(...alphabet), (position, replacement) => {
        const parts = { userId: newId(), sessionId: newId(), secret: newTokenSecret() };
        const token = signSessionToken(parts, SECRET);
        expect(verifySessionToken(token, [SECRET])).toEqual(parts);
        const index = position % token.length;
        fc.pre(token[index] !== replacement);
        const tampered = `${token.slice(0, index)}${replacement}${token.slice(index + 1)}`;
        expect(verifySessionToken(tampered, [SECRET])).toBeNull();
      }),
      { numRuns: 2000 },
    );
  });

  it('accepts a token signed by any configured secret and only those', () => {
    fc.assert(
      fc.property(fc.boolean(), (signWithOld) => {
        const parts = { userId: newId(), sessionId: newId(), secret: newTokenSecret() };
        const token = signSessionToken(parts, signWithOld ? OTHER_SECRET : SECRET);
        expect(verifySessionToken(token, [SECRET, OTHER_SECRET])).toEqual(parts);
        expect(verifySessionToken(token, [signWithOld ? SECRET : OTHER_SECRET])).toBeNull();
      }),
      { numRuns: 200 },
    );
  });

  it('never stores anything from which the secret can be read back', () => {
    fc.assert(
      fc.property(fc.constant(null), () => {
        const secret = newTokenSecret();
        expect(hashTokenSecret(secret)).not.toContain(secret.slice(0, 8));
      }),
      { numRuns: 200 },
    );
  });
});

describe('cookie and header parser properties', () => {
  const headerValue = fc.option(anyText, { nil: undefined });

  it('never throws on any cookie or authorization header, and any Authorization header wins over the cookie', () => {
    fc.assert(
      fc.property(headerValue, headerValue, fc.constantFrom('sid', '__Host-sid'), (authorization, cookie, name) => {
        const result = presentedToken({ authorization, cookie }, name);
        if (authorization !== undefined) {
          expect(result?.via).toBe('header');
        } else if (result) {
          expect(result.via).toBe('cookie');
          expect(result.token.length).toBeGreaterThan(0);
        }
      }),
      { numRuns: 3000 },
    );
  });

  it('takes a well-formed bearer header over any cookie', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[A-Za-z0-9._-]{1,200}$/), headerValue, (token, cookie) => {
        expect(presentedToken({ authorization: `Bearer ${token}`, cookie }, 'sid')).toEqual({ token, via: 'header' });
      }),
      { numRuns: 1000 },
    );
  });

  it('finds the session cookie among any others, and only under its own name', () => {
    const cookieName = fc.stringMatching(/^[A-Za-z][A-Za-z0-9_-]{0,15}$/).filter((name) => name !== 'sid');
    const cookieValue = fc.stringMatching(/^[A-Za-z0-9._-]{1,60}$/);
    fc.assert(
      fc.property(fc.array(fc.tuple(cookieName, cookieValue), { maxLength: 10 }), cookieValue, fc.nat(10), (others, token, position) => {
        const pairs = others.map(([name, value]) => `${name}=${value}`);
        pairs.splice(position % (pairs.length + 1), 0, `sid=${token}`);
        const header = pairs.join('; ');
        const firstOther = others.find(([name]) => name === 'sid');
        expect(firstOther).toBeUndefined();
        expect(presentedToken({ cookie: header }, 'sid')).toEqual({ token, via: 'cookie' });
        expect(presentedToken({ cookie: header }, '__Host-sid')).toBeNull();
      }),
      { numRuns: 1000 },
    );
  });
});
