import { Secret, TOTP } from 'otpauth';

/** RFC 6238 as every authenticator app does it: SHA-1, 6 digits, 30-second steps. */
const TOTP_PARAMETERS = { algorithm: 'SHA1', digits: 6, period: 30 } as const;
/** A code of the step before or after the current one is accepted too (clock drift, typing time). */
const ACCEPTED_DRIFT_STEPS = 1;
const SECRET_BYTES = 20;

/** A new TOTP secret, base32 (what authenticator apps take when typed in). */
export function newTotpSecret(): string {
  return new Secret({ size: SECRET_BYTES }).base32;
}

/** The otpauth:// URI an authenticator app reads from a QR code. */
export function totpUri(secret: string, options: { issuer: string; account: string }): string {
  return new TOTP({ ...TOTP_PARAMETERS, issuer: options.issuer, label: options.account, secret: Secret.fromBase32(secret) }).toString();
}

/** The time step a code belongs to, when it is valid at `now` (± one step); null otherwise. */
export function totpStepOf(code: string, secret: string, now: Date): number | null {
  const token = code.replace(/\s+/g, '');
  if (!/^\d{6}$/.test(token)) return null;
  const timestamp = now.getTime();
  const delta = TOTP.validate({ ...TOTP_PARAMETERS, token, secret: Secret.fromBase32(secret), timestamp, window: ACCEPTED_DRIFT_STEPS });
  return delta === null ? null : TOTP.counter({ period: TOTP_PARAMETERS.period, timestamp }) + delta;
}

/** The current code for a secret (for tests and tools; the server never needs to show one). */
export function totpCode(secret: string, now: Date): string {
  return TOTP.generate({ ...TOTP_PARAMETERS, secret: Secret.fromBase32(secret), timestamp: now.getTime() });
}
