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

/** Emails are unique case-insensitively: this is the form the uniqueness applies to. */
export function normalizeEmail(email: string): string {
  return email.normalize('NFC').trim().toLowerCase();
}
