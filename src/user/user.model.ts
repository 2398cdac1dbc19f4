import type { PendingTotpRecord, SecondFactorRecord } from '../two-factor/two-factor.model';

export enum Role {
  USER = 'USER',
  ADMIN = 'ADMIN',
}

export function parseRole(text: string): Role | null {
  return (Object.values(Role) as string[]).includes(text) ? (text as Role) : null;
}

export interface UserRecord {
  id: string;
  /** As the user typed it at sign-up (NFKC), or last confirmed a change to. */
  email: string;
  /** True once the user proved they receive mail at `email` (verifyEmail, confirmEmailChange). */
  emailVerified: boolean;
  displayName: string;
  roles: Role[];
  /** bcrypt hash; never leaves the server. */
  passwordHash: string;
  /**
   * Moves on every change of credentials (password change or reset). A login carries the
   * version its password was verified at into the creation of its session, which is
   * refused when it moved meanwhile: a verified old password never yields a session.
   */
  credentialVersion: number;
  /** TOTP and recovery codes, once enrolled (confirmTotpEnrollment); null: password only. */
  secondFactor: SecondFactorRecord | null;
  /** A TOTP enrollment waiting for its confirming code. */
  pendingTotp: PendingTotpRecord | null;
  createdAt: Date;
}

/**
 * The identity of an address, which uniqueness and lookups apply to: NFKC (so fullwidth and
 * other compatibility forms are the plain address), trimmed, without case.
 */
export function normalizeEmail(email: string): string {
  return email.normalize('NFKC').trim().toLowerCase();
}

/** USER, and ADMIN too when the address is one of `adminEmails` (ADMIN_EMAILS), compared as logins compare addresses. */
export function rolesForNewUser(email: string, adminEmails: readonly string[]): Role[] {
  const identity = normalizeEmail(email);
  return adminEmails.some((adminEmail) => normalizeEmail(adminEmail) === identity) ? [Role.USER, Role.ADMIN] : [Role.USER];
}
