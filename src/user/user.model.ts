export enum Role {
  USER = 'USER',
  ADMIN = 'ADMIN',
}

export function parseRole(text: string): Role | null {
  return (Object.values(Role) as string[]).includes(text) ? (text as Role) : null;
}

export interface UserRecord {
  id: string;
  /** As the user typed it at sign-up. */
  email: string;
  displayName: string;
  roles: Role[];
  /** bcrypt hash; never leaves the server. */
  passwordHash: string;
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
