/**
 * The tokens this server mails, one table: what each is for, how long it lives, and the
 * kind of its signed token (shared/signed-token.ts). A user holds at most one of each kind:
 * asking for a new one invalidates the older.
 */
export const EMAIL_TOKEN_KINDS = {
  password_reset: { tokenKind: 'r1', lifetimeSeconds: 30 * 60 },
  email_verification: { tokenKind: 'e1', lifetimeSeconds: 24 * 3600 },
  email_change: { tokenKind: 'c1', lifetimeSeconds: 3600 },
} as const satisfies Record<string, { tokenKind: string; lifetimeSeconds: number }>;

export type EmailTokenKind = keyof typeof EMAIL_TOKEN_KINDS;

export const EMAIL_TOKEN_KIND_NAMES = Object.keys(EMAIL_TOKEN_KINDS) as EmailTokenKind[];

/** A mailed single-use token as stored: only the hash of its secret. */
export interface EmailTokenRecord {
  kind: EmailTokenKind;
  userId: string;
  /** Names this token among the user's (the newest of a kind is the only one that works). */
  id: string;
  secretHash: string;
  expiresAt: Date;
  /**
   * The address the mail went to: verification proves that address, and an email change
   * switches to it. A verification for an address the user no longer has proves nothing.
   */
  email: string;
}
