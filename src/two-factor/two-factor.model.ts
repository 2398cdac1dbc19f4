/** A user's second factor: a TOTP secret (encrypted) and single-use recovery codes (hashed). */
export interface SecondFactorRecord {
  /** The TOTP secret, encrypted with TOTP_ENCRYPTION_KEY (secret-box.ts): a copy of the store reads as noise. */
  totpSecretCiphertext: string;
  /** The highest TOTP time step accepted so far: a code is accepted once, never replayed within its window. */
  lastUsedStep: number;
  /** SHA-256 of each unused recovery code. */
  recoveryCodeHashes: string[];
  enabledAt: Date;
}

/** A TOTP secret handed out by beginTotpEnrollment, waiting for its first code. */
export interface PendingTotpRecord {
  totpSecretCiphertext: string;
  expiresAt: Date;
}

export const TWO_FACTOR_LIMITS = {
  recoveryCodes: 10,
  /** How long an enrollment waits for its confirming code. */
  enrollmentSeconds: 10 * 60,
  /** How long a session that logged in with the password waits for its second factor. */
  pendingSessionSeconds: 5 * 60,
  /** Failed code attempts per session (in 15 minutes), and per user (an hour, a day), before RATE_LIMITED. */
  attemptsPerSession: 5,
  attemptsPerSessionWindowSeconds: 15 * 60,
  attemptsPerUserHour: 20,
  attemptsPerUserDay: 50,
} as const;
