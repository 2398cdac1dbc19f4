import { Secret, TOTP } from 'otpauth';
import { hashRecoveryCode, matchRecoveryCode, newRecoveryCode } from '../../src/two-factor/recovery-codes';
import { checkSecondFactorCode, codeMethod } from '../../src/two-factor/second-factor-check';
import { SecretBox } from '../../src/two-factor/secret-box';
import { newTotpSecret, totpCode, totpStepOf, totpUri } from '../../src/two-factor/totp';
import type { SecondFactorRecord } from '../../src/two-factor/two-factor.model';

const KEY = 'a-totp-encryption-key-of-32-characters!!';
const STEP_MILLIS = 30_000;
/** A moment in the middle of a 30-second step. */
const NOW = new Date(1_790_000_000_000 - (1_790_000_000_000 % STEP_MILLIS) + 15_000);

/** Six digits that are none of the three codes accepted at `now`. */
function invalidCodeAt(secret: string, now: Date): string {
  const valid = new Set([-1, 0, 1].map((offset) => totpCode(secret, new Date(now.getTime() + offset * STEP_MILLIS))));
  return ['000000', '111111', '222222', '333333'].find((candidate) => !valid.has(candidate))!;
}

describe('SecretBox (AES-256-GCM under TOTP_ENCRYPTION_KEY)', () => {
  const box = new SecretBox(KEY);

  it('opens what it sealed, for the same user', () => {
    const sealed = box.seal('JBSWY3DPEHPK3PXP', 'user-1');
    expect(sealed).toMatch(/^v1\.[\w-]+\.[\w-]+\.[\w-]+$/);
    expect(sealed).not.toContain('JBSWY3DPEHPK3PXP');
    expect(box.open(sealed, 'user-1')).toBe('JBSWY3DPEHPK3PXP');
  });

  it('seals the same secret differently each time (a fresh IV)', () => {
    expect(box.seal('JBSWY3DPEHPK3PXP', 'user-1')).not.toBe(box.seal('JBSWY3DPEHPK3PXP', 'user-1'));
  });

  it('refuses another key, another user (a ciphertext copied between accounts), and any change', () => {
    const sealed = box.seal('JBSWY3DPEHPK3PXP', 'user-1');
    expect(new SecretBox(`${KEY}?`).open(sealed, 'user-1')).toBeNull();
    expect(box.open(sealed, 'user-2')).toBeNull();
    const [version, iv, tag, ciphertext] = sealed.split('.');
    const flipped = ciphertext!.startsWith('A') ? `B${ciphertext!.slice(1)}` : `A${ciphertext!.slice(1)}`;
    expect(box.open([version, iv, tag, flipped].join('.'), 'user-1')).toBeNull();
    expect(box.open(['v2', iv, tag, ciphertext].join('.'), 'user-1')).toBeNull();
    expect(box.open('garbage', 'user-1')).toBeNull();
    expect(box.open('', 'user-1')).toBeNull();
  });
});

describe('TOTP (RFC 6238: SHA-1, 6 digits, 30 s)', () => {
  const secret = newTotpSecret();
  const step = Math.floor(NOW.getTime() / STEP_MILLIS);

  it('makes 160-bit base32 secrets and a standard otpauth URI', () => {
    expect(secret).toMatch(/^[A-Z2-7]{32}$/);
    const uri = new URL(totpUri(secret, { issuer: 'app.example.com', account: 'ada@example.com' }));
    expect(uri.protocol).toBe('otpauth:');
    expect(uri.host).toBe('totp');
    expect(decodeURIComponent(uri.pathname)).toBe('/app.example.com:ada@example.com');
    expect(Object.fromEntries(uri.searchParams)).toEqual({ issuer: 'app.example.com', secret, algorithm: 'SHA1', digits: '6', period: '30' });
  });

  it('agrees with the RFC 6238 test vector (SHA-1, T = 59 s)', () => {
    // The RFC's 8-digit value is 94287082; a 6-digit code is its last six digits.
    const rfcSecret = new Secret({ buffer: new TextEncoder().encode('12345678901234567890').buffer }).base32;
    expect(totpCode(rfcSecret, new Date(59_000))).toBe('287082');
    expect(totpStepOf('287082', rfcSecret, new Date(59_000))).toBe(1);
  });

  it('accepts the current step and one step either side, and says which', () => {
    expect(totpStepOf(totpCode(secret, NOW), secret, NOW)).toBe(step);
    expect(totpStepOf(totpCode(secret, new Date(NOW.getTime() - STEP_MILLIS)), secret, NOW)).toBe(step - 1);
    expect(totpStepOf(totpCode(secret, new Date(NOW.getTime() + STEP_MILLIS)), secret, NOW)).toBe(step + 1);
  });

  it('refuses codes two steps away, codes valid at no step near now, and anything that is not six digits', () => {
    expect(totpStepOf(invalidCodeAt(secret, NOW), secret, NOW)).toBeNull();
    expect(totpStepOf(totpCode(secret, new Date(NOW.getTime() - 2 * STEP_MILLIS)), secret, NOW)).toBeNull();
    expect(totpStepOf(totpCode(secret, new Date(NOW.getTime() + 2 * STEP_MILLIS)), secret, NOW)).toBeNull();
    for (const junk of ['', '12345', '1234567', 'abcdef', '12 34 5x', '１２３４５６']) expect(totpStepOf(junk, secret, NOW)).toBeNull();
  });

  it('takes a code typed with spaces', () => {
    const code = totpCode(secret, NOW);
    expect(totpStepOf(`${code.slice(0, 3)} ${code.slice(3)}`, secret, NOW)).toBe(step);
  });

  it('makes codes that a standard implementation (otpauth with explicit parameters) also makes', () => {
    const reference = new TOTP({ secret: Secret.fromBase32(secret), algorithm: 'SHA1', digits: 6, period: 30 });
    expect(totpCode(secret, NOW)).toBe(reference.generate({ timestamp: NOW.getTime() }));
  });
});

describe('recovery codes', () => {
  it('are 12 characters of an unambiguous alphabet, in three groups, all different', () => {
    const codes = Array.from({ length: 200 }, newRecoveryCode);
    for (const code of codes) expect(code).toMatch(/^[A-HJKMNP-Z2-9]{4}-[A-HJKMNP-Z2-9]{4}-[A-HJKMNP-Z2-9]{4}$/);
    expect(new Set(codes).size).toBe(codes.length);
  });

  it('match however they are typed (case, spaces, dashes), and only their own hash', () => {
    const code = newRecoveryCode();
    const hashes = [hashRecoveryCode(newRecoveryCode()), hashRecoveryCode(code), hashRecoveryCode(newRecoveryCode())];
    expect(hashes[1]).not.toContain(code.replace(/-/g, ''));
    expect(matchRecoveryCode(code, hashes)).toBe(1);
    expect(matchRecoveryCode(code.toLowerCase().replace(/-/g, ' '), hashes)).toBe(1);
    expect(matchRecoveryCode(code.replace(/-/g, ''), hashes)).toBe(1);
    expect(matchRecoveryCode(newRecoveryCode(), hashes)).toBe(-1);
    expect(matchRecoveryCode('', hashes)).toBe(-1);
  });
});

describe('checkSecondFactorCode', () => {
  const secret = newTotpSecret();
  const recoveryCodes = Array.from({ length: 3 }, newRecoveryCode);
  const record: SecondFactorRecord = {
    totpSecretCiphertext: 'sealed elsewhere',
    lastUsedStep: 0,
    recoveryCodeHashes: recoveryCodes.map(hashRecoveryCode),
    enabledAt: NOW,
  };

  it('tells TOTP codes (six digits) from recovery codes', () => {
    expect(codeMethod('123456')).toBe('totp');
    expect(codeMethod(' 123 456 ')).toBe('totp');
    expect(codeMethod('ABCD-EFGH-JKMN')).toBe('recovery_code');
    expect(codeMethod('12345')).toBe('recovery_code');
  });

  it('accepts a TOTP code once: its step becomes the last used, and that step or an older one is refused after', () => {
    const code = totpCode(secret, NOW);
    const first = checkSecondFactorCode(record, code, secret, NOW);
    expect(first).toMatchObject({ accepted: true, method: 'totp' });
    const used = first.accepted ? first.secondFactor : record;
    expect(used.lastUsedStep).toBe(Math.floor(NOW.getTime() / STEP_MILLIS));
    expect(checkSecondFactorCode(used, code, secret, NOW)).toEqual({ accepted: false, method: 'totp' });
    const previous = totpCode(secret, new Date(NOW.getTime() - STEP_MILLIS));
    expect(checkSecondFactorCode(used, previous, secret, NOW).accepted).toBe(false);
    // The next step's code is still good (once).
    const next = new Date(NOW.getTime() + STEP_MILLIS);
    expect(checkSecondFactorCode(used, totpCode(secret, next), secret, next).accepted).toBe(true);
  });

  it('accepts a recovery code once, leaving the others', () => {
    const first = checkSecondFactorCode(record, recoveryCodes[1]!.toLowerCase(), secret, NOW);
    expect(first).toMatchObject({ accepted: true, method: 'recovery_code' });
    const used = first.accepted ? first.secondFactor : record;
    expect(used.recoveryCodeHashes).toEqual([record.recoveryCodeHashes[0], record.recoveryCodeHashes[2]]);
    expect(used.lastUsedStep).toBe(record.lastUsedStep);
    expect(checkSecondFactorCode(used, recoveryCodes[1]!, secret, NOW)).toEqual({ accepted: false, method: 'recovery_code' });
    expect(checkSecondFactorCode(used, recoveryCodes[0]!, secret, NOW).accepted).toBe(true);
  });

  it('refuses wrong codes and over-long input without changing anything', () => {
    expect(checkSecondFactorCode(record, 'ZZZZ-ZZZZ-ZZZZ', secret, NOW).accepted).toBe(false);
    expect(checkSecondFactorCode(record, `${recoveryCodes[0]}${' '.repeat(100)}`, secret, NOW).accepted).toBe(false);
    expect(checkSecondFactorCode(record, invalidCodeAt(secret, NOW), secret, NOW).accepted).toBe(false);
  });
});
