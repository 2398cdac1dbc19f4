import { normalizeEmail, type UserRecord } from '../../user/user.model';
import type { CreateUserResult, PasswordReplacement, UserStore } from '../user-store';
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

  async updateUser(userId: string, change: (user: UserRecord) => UserRecord): Promise<UserRecord | null> {
    const user = this.db.users.get(userId);
    if (!user) return null;
    const next = change(copyUser(user));
    this.db.users.set(userId, copyUser(next));
    return next;
  }

  async replacePassword(userId: string, replacement: PasswordReplacement): Promise<number | null> {
    const user = this.db.users.get(userId);
    if (!user) return null;
    this.db.users.set(userId, { ...user, passwordHash: replacement.passwordHash });
    return this.db.endSessionsExcept(userId, replacement.end, replacement.keepSessionId);
  }
}
