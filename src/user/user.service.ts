import type { Logger } from 'pino';
import type { Clock } from '../shared/clock';
import { ID_PATTERN } from '../shared/ids';
import type { UserStore } from '../storage/user-store';
import { Role, type UserRecord } from './user.model';

export class UserService {
  constructor(
    private readonly users: UserStore,
    private readonly logger: Logger,
    /** When an operator's change to a second factor happened, for the audit trail. */
    private readonly clock: Clock,
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

  /**
   * An operator turns a user's two-factor off (the user lost the authenticator and the
   * recovery codes, and proved who they are some other way): the factor and any waiting
   * enrolment go, and the credential version moves. Recorded in the account's audit trail
   * without a session. The sign-ins still waiting for a code are the caller's to end.
   */
  async disableSecondFactor(email: string): Promise<{ outcome: 'disabled'; userId: string } | { outcome: 'not_on' } | { outcome: 'no_user' }> {
    const user = await this.users.findUserByEmail(email);
    if (!user) return { outcome: 'no_user' };
    const updated = await this.users.updateUser(
      user.id,
      (current) =>
        current.secondFactor || current.pendingTotp ? { ...current, secondFactor: null, pendingTotp: null, credentialVersion: current.credentialVersion + 1 } : null,
      { events: [{ kind: 'second_factor_disabled', sessionId: null, at: this.clock.now() }] },
    );
    if (!updated) return { outcome: 'not_on' };
    this.logger.info({ userId: user.id }, 'two-factor disabled by an operator');
    return { outcome: 'disabled', userId: user.id };
  }
}
