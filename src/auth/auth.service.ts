import { GraphQLError } from 'graphql';
import type { Logger } from 'pino';
import { noMetrics, type AuthMetrics } from '../observability/metrics';
import type { ClientInfo, SessionService, Viewer } from '../session/session.service';
import type { SessionRecord, SessionTransport } from '../session/session.store';
import type { Clock } from '../shared/clock';
import { badUserInput, ErrorCode, INVALID_CREDENTIALS_MESSAGE, unauthenticated } from '../shared/errors';
import { newId } from '../shared/ids';
import { Role } from '../user/role';
import type { UserRecord, UserStore } from '../user/user.store';
import { cleanDisplayName, emailProblem, PASSWORD_MAX_BYTES, passwordProblem } from './credentials-policy';
import type { LoginThrottle } from './login-throttle';
import type { PasswordHasher } from './password-hasher';

export interface SignUpRequest {
  email: string;
  password: string;
  displayName?: string | null;
  transport: SessionTransport;
}

export interface LoginRequest {
  email: string;
  password: string;
  transport: SessionTransport;
}

export interface SignedIn {
  user: UserRecord;
  session: SessionRecord;
  /** The bearer token; the caller decides whether it goes in a cookie or the response body. */
  token: string;
}

/** Proving who you are: sign-up, login, logout and password change. */
export class AuthService {
  constructor(
    private readonly users: UserStore,
    private readonly sessions: SessionService,
    private readonly hasher: PasswordHasher,
    private readonly throttle: LoginThrottle,
    private readonly clock: Clock,
    private readonly logger: Logger,
    private readonly metrics: AuthMetrics = noMetrics,
  ) {}

  /**
   * Creates the user and signs them in. A session presented with the request is ended
   * first: re-authentication replaces it.
   */
  async signUp(request: SignUpRequest, client: ClientInfo, presented: Viewer | null): Promise<SignedIn> {
    await this.throttle.countSignUp(client.ipAddress);
    const email = request.email.trim();
    const emailIssue = emailProblem(email);
    if (emailIssue) throw badUserInput(emailIssue, 'email');
    const passwordIssue = passwordProblem(request.password, email);
    if (passwordIssue) throw badUserInput(passwordIssue, 'password');
    const displayName = request.displayName == null ? defaultDisplayName(email) : cleanDisplayName(request.displayName);
    if (displayName === null) throw badUserInput('Display name must be 1 to 64 printable characters.', 'displayName');

    const user: UserRecord = {
      id: newId(),
      email,
      displayName,
      roles: [Role.USER],
      passwordHash: await this.hasher.hash(request.password),
      createdAt: this.clock.now(),
    };
    if ((await this.users.createUser(user)) === 'email_taken') {
      throw badUserInput('An account with this email already exists.', 'email');
    }
    this.logger.info({ userId: user.id }, 'user signed up');
    return this.signIn(user, request.transport, client, presented);
  }

  /**
   * Checks the credentials (same error and about the same time for unknown email and wrong
   * password), after the throttle: a refused attempt never reaches bcrypt.
   */
  async login(request: LoginRequest, client: ClientInfo, presented: Viewer | null): Promise<SignedIn> {
    const attempt = await this.throttle.beginPasswordAttempt(request.email, client.ipAddress).catch((error: unknown) => {
      if (isRateLimited(error)) this.metrics.loginAttempted('throttled');
      throw error;
    });
    // No account can have such a password: refuse without spending bcrypt time on it.
    if (Buffer.byteLength(request.password, 'utf8') > PASSWORD_MAX_BYTES) {
      this.metrics.loginAttempted('failed');
      await attempt.failed();
      throw unauthenticated(INVALID_CREDENTIALS_MESSAGE);
    }
    const user = await this.users.findUserByEmail(request.email);
    const valid = user
      ? await this.hasher.verify(request.password, user.passwordHash)
      : await this.hasher.verifyAgainstDummy(request.password);
    if (!user || !valid) {
      this.logger.info({ userId: user?.id ?? null }, 'login failed');
      this.metrics.loginAttempted('failed');
      await attempt.failed();
      throw unauthenticated(INVALID_CREDENTIALS_MESSAGE);
    }
    this.metrics.loginAttempted('ok');
    await attempt.succeeded();
    return this.signIn(user, request.transport, client, presented);
  }

  /** Ends the viewer's session; false when there was none. */
  async logout(viewer: Viewer | null): Promise<boolean> {
    if (!viewer) return false;
    return this.sessions.revokeSession(viewer.user.id, viewer.session.id, 'logout');
  }

  /**
   * Verifies the current password, stores the new one and, in the same atomic step, ends
   * every other session of the user; the current one stays signed in.
   */
  async changePassword(viewer: Viewer, client: ClientInfo, currentPassword: string, newPassword: string): Promise<number> {
    const attempt = await this.throttle.beginPasswordAttempt(viewer.user.email, client.ipAddress);
    if (!(await this.hasher.verify(currentPassword, viewer.user.passwordHash))) {
      await attempt.failed();
      throw badUserInput('Current password is incorrect.', 'currentPassword');
    }
    await attempt.succeeded();
    const passwordIssue = passwordProblem(newPassword, viewer.user.email);
    if (passwordIssue) throw badUserInput(passwordIssue, 'newPassword');
    const passwordHash = await this.hasher.hash(newPassword);
    const ended = await this.users.replacePasswordHash(viewer.user.id, passwordHash, viewer.session.id);
    if (ended === null) throw unauthenticated();
    this.logger.info({ userId: viewer.user.id, endedSessions: ended, reason: 'password_change' }, 'password changed');
    this.metrics.sessionsEnded('password_change', ended);
    return ended;
  }

  private async signIn(
    user: UserRecord,
    transport: SessionTransport,
    client: ClientInfo,
    presented: Viewer | null,
  ): Promise<SignedIn> {
    if (presented) await this.sessions.revokeSession(presented.user.id, presented.session.id, 'replaced_by_login');
    const { session, token } = await this.sessions.startSession(user.id, transport, client);
    return { user, session, token };
  }
}

function isRateLimited(error: unknown): boolean {
  return error instanceof GraphQLError && error.extensions.code === ErrorCode.RATE_LIMITED;
}

function defaultDisplayName(email: string): string {
  return cleanDisplayName(email.slice(0, email.lastIndexOf('@'))) ?? 'user';
}
