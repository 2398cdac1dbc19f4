import type { Logger } from 'pino';
import type { AuthService } from '../auth/auth.service';
import { cleanDisplayName, parseEmail, passwordProblem } from '../auth/credentials-policy';
import { throttledAddress } from '../auth/login-throttle';
import type { Caller } from '../session/caller';
import type { SessionService } from '../session/session.service';
import { badUserInput, rateLimited, unauthenticated } from '../shared/app-error';
import { ID_PATTERN } from '../shared/ids';
import type { AttemptLimiter } from '../storage/attempt-limiter';
import type { Store } from '../storage/store';
import type { UserStore } from '../storage/user-store';
import { normalizeEmail, type UserRecord } from '../user/user.model';
import type { AccountEvent } from './account-event.model';
import type { AccountNotices } from './account-notices';
import type { EmailTokens } from './email-tokens';

/** Mails a client can ask for, per hour: per address mailed to, and per client address. */
export const MAIL_REQUEST_LIMITS = { perEmailHour: 3, perClientHour: 20 } as const;

const INVALID_LINK_MESSAGE = 'This link is invalid, was already used, or has expired: ask for a new one.';
/** Another request rewrote the user meanwhile: try again from the new record, this many times at most. */
const MAX_RESET_ATTEMPTS = 5;

export interface AccountServiceDependencies {
  users: UserStore;
  sessions: SessionService;
  auth: AuthService;
  tokens: EmailTokens;
  notices: AccountNotices;
  /** Where the mail-request throttles and the account audit trails live. */
  store: Pick<Store, 'createAttemptLimiter' | 'accountEvents'>;
  logger: Logger;
}

/**
 * The account around the session: password reset, email verification, email change, profile
 * and deletion. Everything a link in a mail does is here; the mail itself goes out queued,
 * never delaying or failing the answer.
 */
export class AccountService {
  private readonly mailsPerEmail: AttemptLimiter;
  private readonly mailsPerClient: AttemptLimiter;
  /** Work that answers after the request did (reset requests), so that shutdown can wait for it. */
  private readonly pending = new Set<Promise<void>>();

  constructor(private readonly deps: AccountServiceDependencies) {
    this.mailsPerEmail = deps.store.createAttemptLimiter({ name: 'mail-email', points: MAIL_REQUEST_LIMITS.perEmailHour, windowSeconds: 3600 });
    this.mailsPerClient = deps.store.createAttemptLimiter({ name: 'mail-client', points: MAIL_REQUEST_LIMITS.perClientHour, windowSeconds: 3600 });
  }

  /** The user's account audit trail (second-factor events), newest first; none for ids that cannot exist. */
  async listAccountEvents(userId: string, limit: number): Promise<AccountEvent[]> {
    if (!ID_PATTERN.test(userId)) return [];
    return this.deps.store.accountEvents.listAccountEvents(userId, limit);
  }

  /**
   * Mails a reset link if an account has this address, and answers the same, in the same
   * time, whether or not one does: after the throttle (which counts known and unknown
   * addresses alike), the lookup and the mail happen after the answer.
   */
  async requestPasswordReset(rawEmail: string, caller: Caller): Promise<true> {
    const { email, problem } = parseEmail(rawEmail);
    if (problem !== undefined) throw badUserInput(problem, 'email');
    await this.countMailRequest(email, caller);
    this.inBackground(async () => {
      const user = await this.deps.users.findUserByEmail(email);
      if (user) await this.deps.tokens.issueAndMail('password_reset', user, user.email);
    }, 'password reset mail');
    return true;
  }

  /**
   * Sets a new password from a reset link: the token is used up, every session of the user
   * ends (PASSWORD_RESET), the credential version moves (a login that verified the old
   * password makes no session afterwards), and a notice is mailed.
   */
  async resetPassword(request: { token: string; newPassword: string }, caller: Caller): Promise<true> {
    const userId = this.deps.tokens.userIdOf('password_reset', request.token);
    const user = userId ? await this.deps.users.findUserById(userId) : null;
    if (!user) throw badUserInput(INVALID_LINK_MESSAGE, 'token');
    const passwordIssue = passwordProblem(request.newPassword, user.email);
    if (passwordIssue) throw badUserInput(passwordIssue, 'newPassword');
    // Hashed before the token is used up: a request refused by the line of password checks keeps its link good.
    const passwordHash = await this.deps.auth.hashPassword(caller, user.email, request.newPassword);
    if (!(await this.deps.tokens.consume('password_reset', request.token))) throw badUserInput(INVALID_LINK_MESSAGE, 'token');
    for (let attempt = 0, current: UserRecord | null = user; attempt < MAX_RESET_ATTEMPTS && current; attempt++) {
      // The link proves the mailbox: the reset applies over whatever credentials the account has now.
      const replaced = await this.deps.users.replacePassword(current.id, {
        passwordHash,
        end: { reason: 'password_reset', actorId: current.id },
        expectedCredentialVersion: current.credentialVersion,
      });
      if (replaced.outcome === 'replaced') {
        this.deps.logger.info({ userId: current.id }, 'password reset');
        this.deps.sessions.recordSessionsEnded(current.id, 'password_reset', replaced.endedSessions);
        if ((await caller.viewer())?.user.id === current.id) caller.signedOut();
        this.deps.notices.passwordChanged(current, 'reset');
        return true;
      }
      current = await this.deps.users.findUserById(current.id);
    }
    throw badUserInput(INVALID_LINK_MESSAGE, 'token');
  }

  /** Mails the signed-in user a new verification link (their older one stops working). */
  async requestEmailVerification(caller: Caller): Promise<true> {
    const { user } = await caller.signedInViewer();
    if (user.emailVerified) return true;
    await this.countMailRequest(user.email, caller);
    await this.deps.tokens.issueAndMail('email_verification', user, user.email);
    return true;
  }

  /** Marks the address a verification link was mailed to as verified, if the account still has it. */
  async verifyEmail(token: string, caller: Caller): Promise<true> {
    const verification = await this.deps.tokens.consume('email_verification', token);
    if (!verification) throw badUserInput(INVALID_LINK_MESSAGE, 'token');
    const verified = await this.deps.users.updateUser(verification.userId, (user) => (user.email === verification.email ? { ...user, emailVerified: true } : user));
    if (!verified?.emailVerified || verified.email !== verification.email) throw badUserInput(INVALID_LINK_MESSAGE, 'token');
    this.deps.logger.info({ userId: verified.id }, 'email verified');
    await this.userChanged(caller, verified);
    return true;
  }

  /**
   * After the current password (and a fresh authentication, by the field's rule): mails a
   * confirmation link to the new address and a notice to the current one. Nothing changes
   * until the link is used.
   */
  async requestEmailChange(request: { newEmail: string; currentPassword: string }, caller: Caller): Promise<true> {
    const { user } = await this.deps.auth.verifyCurrentPassword(caller, request.currentPassword);
    const { email: newEmail, problem } = parseEmail(request.newEmail);
    if (problem !== undefined) throw badUserInput(problem, 'newEmail');
    if (normalizeEmail(newEmail) === normalizeEmail(user.email)) throw badUserInput('This is already your address.', 'newEmail');
    if (await this.deps.users.findUserByEmail(newEmail)) throw badUserInput('An account with this email already exists.', 'newEmail');
    await this.countMailRequest(newEmail, caller);
    await this.deps.tokens.issueAndMail('email_change', user, newEmail);
    this.deps.notices.emailChangeRequested(user, newEmail);
    return true;
  }

  /** Moves the account to the address the link was mailed to (verified), keeping every session. */
  async confirmEmailChange(token: string, caller: Caller): Promise<true> {
    const change = await this.deps.tokens.consume('email_change', token);
    if (!change) throw badUserInput(INVALID_LINK_MESSAGE, 'token');
    const before = await this.deps.users.findUserById(change.userId);
    if (!before) throw badUserInput(INVALID_LINK_MESSAGE, 'token');
    const result = await this.deps.users.changeEmail(before.id, { from: before.email, to: change.email });
    if (result === 'email_taken') throw badUserInput('An account with this email already exists.', 'token');
    if (result !== 'changed') throw badUserInput(INVALID_LINK_MESSAGE, 'token');
    this.deps.logger.info({ userId: before.id }, 'email changed');
    const after = await this.deps.users.findUserById(before.id);
    if (after) await this.userChanged(caller, after);
    return true;
  }

  /** Changes what the signed-in user shows of themself (the display name, under the sign-up policy). */
  async updateProfile(request: { displayName?: string | null }, caller: Caller): Promise<UserRecord> {
    const { user } = await caller.signedInViewer();
    if (request.displayName == null) return user;
    const displayName = cleanDisplayName(request.displayName);
    if (displayName === null) throw badUserInput('Display name must be 1 to 64 characters with something visible, and no control or bidi characters.', 'displayName');
    const updated = await this.deps.users.updateUser(user.id, (current) => ({ ...current, displayName }));
    if (!updated) throw unauthenticated();
    await this.userChanged(caller, updated);
    return updated;
  }

  /**
   * After the current password (and a fresh authentication, by the field's rule): ends every
   * session and erases the account (record, address, sessions, devices, mailed tokens); only
   * the audit trail of its sessions stays, which holds ids, not personal data. The address
   * can sign up again.
   */
  async deleteAccount(currentPassword: string, caller: Caller): Promise<true> {
    const { user } = await this.deps.auth.verifyCurrentPassword(caller, currentPassword);
    const ended = await this.deps.users.deleteUser(user.id, { reason: 'account_deleted', actorId: user.id });
    if (ended === null) throw unauthenticated();
    this.deps.logger.info({ userId: user.id }, 'account deleted');
    this.deps.sessions.recordSessionsEnded(user.id, 'account_deleted', ended);
    caller.signedOut({ clearSiteData: true });
    caller.deviceForgotten();
    this.deps.notices.accountDeleted(user);
    return true;
  }

  /** Resolves once the work started after answers (reset requests) is done. For shutdown and tests. */
  async idle(): Promise<void> {
    while (this.pending.size > 0) await Promise.allSettled([...this.pending]);
  }

  /** A mail asked for by a client: throttled per address mailed to and per client address. */
  private async countMailRequest(email: string, caller: Caller): Promise<void> {
    const emailKey = normalizeEmail(email);
    const clientKey = throttledAddress(caller.client.ipAddress);
    const [perEmail, perClient] = await Promise.all([this.mailsPerEmail.consume(emailKey), this.mailsPerClient.consume(clientKey)]);
    if (perEmail.allowed && perClient.allowed) return;
    await Promise.all([perEmail.allowed ? this.mailsPerEmail.refund(emailKey) : null, perClient.allowed ? this.mailsPerClient.refund(clientKey) : null]);
    throw rateLimited(Math.max(perEmail.allowed ? 0 : perEmail.retryAfterMillis, perClient.allowed ? 0 : perClient.retryAfterMillis) / 1000);
  }

  /** Runs `work` once the current answer is on its way (setImmediate: after the response is written), never failing it. */
  private inBackground(work: () => Promise<void>, what: string): void {
    const running = new Promise<void>((resolve) => setImmediate(resolve))
      .then(work)
      .catch((error: unknown) => this.deps.logger.error({ err: error }, `${what} failed`));
    this.pending.add(running);
    void running.finally(() => this.pending.delete(running));
  }

  /** The caller's own user changed: later fields of the operation see the new record. */
  private async userChanged(caller: Caller, user: UserRecord): Promise<void> {
    const viewer = await caller.viewer();
    if (viewer?.user.id === user.id) caller.viewerUpdated({ user, session: viewer.session });
  }
}
