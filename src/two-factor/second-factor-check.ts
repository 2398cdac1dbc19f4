import { matchRecoveryCode } from './recovery-codes';
import { totpStepOf } from './totp';
import type { SecondFactorRecord } from './two-factor.model';

export type SecondFactorMethod = 'totp' | 'recovery_code';

/** Longer input is no code of ours: refused before any hashing. */
const MAX_CODE_LENGTH = 64;

export type CodeCheck =
  /** Accepted: `secondFactor` is the record with the code used up (its step, or the recovery code). */
  | { accepted: true; method: SecondFactorMethod; secondFactor: SecondFactorRecord }
  | { accepted: false; method: SecondFactorMethod };

/** Six digits is a TOTP code; anything else is tried as a recovery code. */
export function codeMethod(code: string): SecondFactorMethod {
  return /^\d{6}$/.test(code.replace(/\s+/g, '')) ? 'totp' : 'recovery_code';
}

/**
 * Checks a code against a user's second factor, given its TOTP secret in the clear. A TOTP
 * code is accepted once: only for a time step after the last one accepted (a code seen on
 * its way in cannot be replayed within its window). A recovery code is accepted if it is
 * one of the unused ones, and is used up. Pure: storing the result (atomically, so that of
 * two requests with one code only one succeeds) is the caller's.
 */
export function checkSecondFactorCode(secondFactor: SecondFactorRecord, code: string, totpSecret: string, now: Date): CodeCheck {
  const method = codeMethod(code);
  if (code.length > MAX_CODE_LENGTH) return { accepted: false, method };
  if (method === 'totp') {
    const step = totpStepOf(code, totpSecret, now);
    if (step === null || step <= secondFactor.lastUsedStep) return { accepted: false, method };
    return { accepted: true, method, secondFactor: { ...secondFactor, lastUsedStep: step } };
  }
  const index = matchRecoveryCode(code, secondFactor.recoveryCodeHashes);
  if (index < 0) return { accepted: false, method };
  return {
    accepted: true,
    method,
    secondFactor: { ...secondFactor, recoveryCodeHashes: secondFactor.recoveryCodeHashes.filter((_, kept) => kept !== index) },
  };
}
