import type { AccountEvent } from '../account/account-event.model';
import type { SessionEnd } from '../session/session-end-reason';
import type { UserRecord } from '../user/user.model';

export type CreateUserResult = 'created' | 'email_taken';

/** A new password, and the sessions that end with the old one. */
export interface PasswordReplacement {
  passwordHash: string;
  /** Recorded for every session the change ends. */
  end: SessionEnd;
  /** The credentialVersion the change was authorised at (the old password verified, a reset token issued): it applies only if that is still current. */
  expectedCredentialVersion: number;
  /** The caller's session: it stays signed in, and the change applies only while it is live. None: every session ends. */
  keepSessionId?: string;
}

/** A confirmed change of address: from the one the change was asked for, to the new one. */
export interface EmailChange {
  /** The address the user had when the change was asked for: the change applies only if it still has it. */
  from: string;
  to: string;
}

/**
 * `changed`: done, the new address verified; `email_taken`: another account has it;
 * `email_changed`: the user's address is not `from` any more; `no_user`: no such user.
 */
export type EmailChangeResult = 'changed' | 'email_taken' | 'email_changed' | 'no_user';

export type PasswordReplacementResult =
  | { outcome: 'replaced'; endedSessions: number }
  /** Nothing changed: no such user, its credentials changed since the change was authorised, or the kept session ended. */
  | { outcome: 'no_user' | 'credentials_changed' | 'session_ended' };

export interface UpdateUserOptions {
  events?: readonly AccountEvent[];
}

/**
 * Where users live. Operations that change a user and their sessions together are methods
 * of their own here, atomic in every store.
 */
export interface UserStore {
  /** Creates the user unless another one has the same normalized email (atomic under concurrency). */
  createUser(user: UserRecord): Promise<CreateUserResult>;
  findUserById(userId: string): Promise<UserRecord | null>;
  findUserByEmail(email: string): Promise<UserRecord | null>;
  /**
   * Applies `change` to the user's current record and stores the result, retrying (calling
   * `change` again on the new record) if the record changed meanwhile: what `change` decides
   * holds for the record that is stored. `change` may decline by returning null, and nothing
   * is written. Returns the stored record, or null when there is no such user or it declined.
   * `options.events` join the account's audit trail in the same atomic step as the record
   * they describe, and only if it is stored.
   */
  updateUser(userId: string, change: (user: UserRecord) => UserRecord | null, options?: UpdateUserOptions): Promise<UserRecord | null>;
  /**
   * Replaces the password hash and moves the credentialVersion, only if it is still
   * `expectedCredentialVersion` (and `keepSessionId` is live), and in the same atomic step
   * ends every session of the user but `keepSessionId`.
   */
  replacePassword(userId: string, replacement: PasswordReplacement): Promise<PasswordReplacementResult>;
  /**
   * Moves the user to a new address, marked verified, under the uniqueness rule: of this and
   * a concurrent sign-up (or another change) to the same address, exactly one gets it.
   */
  changeEmail(userId: string, change: EmailChange): Promise<EmailChangeResult>;
  /**
   * Erases the user: the record, the address (free to sign up again), every session (each
   * end recorded as `end`, in the audit trail that stays, without personal data), the known
   * devices and the mailed tokens. Returns how many sessions ended, or null for no such user.
   */
  deleteUser(userId: string, end: SessionEnd): Promise<number | null>;
}
