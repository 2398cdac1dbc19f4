import { normalizeEmail, type UserRecord } from '../../user/user.model';
import type { SessionEnd } from '../../session/session-end-reason';
import type { CreateUserResult, EmailChange, EmailChangeResult, PasswordReplacement, PasswordReplacementResult, UpdateUserOptions, UserStore } from '../user-store';
import { copyUser, type MemoryDatabase } from './memory-database';

/** The in-process UserStore: same contract as the Redis one, for a single process. */
export class MemoryUserStore implements UserStore {
  constructor(private readonly db: MemoryDatabase) {}

  async createUser(user: UserRecord): Promise<CreateUserResult> {
    const email = normalizeEmail(user.email);
    if (this.db.userIdsByEmail.has(email)) return 'email_taken';
    if (this.db.users.has(user.id)) throw new Error('user id collision');
    this.db.users.set(user.id, copyUser(user));
    this.db.userIdsByEmail.set(email, user.id);
    return 'created';
  }

  async findUserById(userId: string): Promise<UserRecord | null> {
    const user = this.db.users.get(userId);
    return user ? copyUser(user) : null;
  }

  async findUserByEmail(email: string): Promise<UserRecord | null> {
    const userId = this.db.userIdsByEmail.get(normalizeEmail(email));
    return userId ? this.findUserById(userId) : null;
  }

  async updateUser(userId: string, change: (user: UserRecord) => UserRecord | null, options: UpdateUserOptions = {}): Promise<UserRecord | null> {
    const user = this.db.users.get(userId);
    if (!user) return null;
    const next = change(copyUser(user));
    if (!next) return null;
    this.db.users.set(userId, copyUser(next));
    for (const event of options.events ?? []) this.db.recordAccountEvent(userId, event);
    return next;
  }

  async replacePassword(userId: string, replacement: PasswordReplacement): Promise<PasswordReplacementResult> {
    const user = this.db.users.get(userId);
    if (!user) return { outcome: 'no_user' };
    if (user.credentialVersion !== replacement.expectedCredentialVersion) return { outcome: 'credentials_changed' };
    const { keepSessionId } = replacement;
    if (keepSessionId !== undefined && !this.db.liveSessionsOf(userId).has(keepSessionId)) return { outcome: 'session_ended' };
    this.db.users.set(userId, { ...user, passwordHash: replacement.passwordHash, credentialVersion: user.credentialVersion + 1 });
    return { outcome: 'replaced', endedSessions: this.db.endSessionsExcept(userId, replacement.end, keepSessionId) };
  }

  async changeEmail(userId: string, change: EmailChange): Promise<EmailChangeResult> {
    const user = this.db.users.get(userId);
    if (!user) return 'no_user';
    if (user.email !== change.from) return 'email_changed';
    const to = normalizeEmail(change.to);
    const holder = this.db.userIdsByEmail.get(to);
    if (holder !== undefined && holder !== userId) return 'email_taken';
    this.db.userIdsByEmail.delete(normalizeEmail(change.from));
    this.db.userIdsByEmail.set(to, userId);
    this.db.users.set(userId, { ...user, email: change.to, emailVerified: true });
    return 'changed';
  }

  async deleteUser(userId: string, end: SessionEnd): Promise<number | null> {
    const user = this.db.users.get(userId);
    if (!user) return null;
    const ended = this.db.endSessionsExcept(userId, end);
    this.db.users.delete(userId);
    this.db.userIdsByEmail.delete(normalizeEmail(user.email));
    this.db.devicesByUser.delete(userId);
    this.db.emailTokensByUser.delete(userId);
    return ended;
  }
}
