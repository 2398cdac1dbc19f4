import type { Role } from './role';

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

export type CreateUserResult = 'created' | 'email_taken';

/**
 * Where users live. Implementations: Redis and in-process; both pass the same
 * contract suite (test/contracts).
 */
export interface UserStore {
  /** Creates the user unless another one has the same normalized email (atomic under concurrency). */
  createUser(user: UserRecord): Promise<CreateUserResult>;
  findUserById(userId: string): Promise<UserRecord | null>;
  findUserByEmail(email: string): Promise<UserRecord | null>;
  /**
   * Applies `change` to the user's current record and stores the result, retrying if the
   * record changed meanwhile. Returns the stored record, or null when there is no such user.
   */
  updateUser(userId: string, change: (user: UserRecord) => UserRecord): Promise<UserRecord | null>;
  /**
   * Replaces the password hash and, in the same atomic step, ends every session of the
   * user except `keepSessionId` (recorded as `password_change` by the user themself).
   * Returns how many sessions ended, or null for no such user.
   */
  replacePasswordHash(userId: string, passwordHash: string, keepSessionId: string): Promise<number | null>;
}
