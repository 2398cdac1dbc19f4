import type { Logger } from 'pino';
import { ID_PATTERN } from '../shared/ids';
import type { UserStore } from '../storage/user-store';
import { Role, type UserRecord } from './user.model';

export class UserService {
  constructor(
    private readonly users: UserStore,
    private readonly logger: Logger,
  ) {}

  /** The user with this id, or null (also for ids that cannot exist). */
  async findUser(userId: string): Promise<UserRecord | null> {
    return ID_PATTERN.test(userId) ? this.users.findUserById(userId) : null;
  }

  /** Adds the role; null when no user has this email. */
  async grantRole(email: string, role: Role): Promise<UserRecord | null> {
    return this.changeRoles(email, role, (roles) => (roles.includes(role) ? roles : [...roles, role]));
  }

  /** Removes the role (every user keeps USER); null when no user has this email. */
  async revokeRole(email: string, role: Role): Promise<UserRecord | null> {
    if (role === Role.USER) throw new Error('every user has the USER role; it cannot be revoked');
    return this.changeRoles(email, role, (roles) => roles.filter((held) => held !== role));
  }

  private async changeRoles(email: string, role: Role, change: (roles: Role[]) => Role[]): Promise<UserRecord | null> {
    const user = await this.users.findUserByEmail(email);
    if (!user) return null;
    const updated = await this.users.updateUser(user.id, (current) => ({ ...current, roles: change(current.roles) }));
    if (updated) this.logger.info({ userId: user.id, role, roles: updated.roles }, 'roles changed');
    return updated;
  }
}
