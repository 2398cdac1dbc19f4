import type { Logger } from 'pino';
import { noMetrics, type AuthMetrics } from '../observability/metrics';
import type { Caller, SignedIn } from '../session/caller';
import type { SessionTransport, Viewer } from '../session/session.model';
import type { SessionService } from '../session/session.service';
import { AppError, badUserInput, ErrorCode, INVALID_CREDENTIALS_MESSAGE, unauthenticated } from '../shared/app-error';
import type { Clock } from '../shared/clock';
import { newId } from '../shared/ids';
import type { UserStore } from '../storage/user-store';
import { rolesForNewUser, type UserRecord } from '../user/user.model';
import { cleanDisplayName, parseEmail, PASSWORD_MAX_BYTES, passwordEncodingProblem, passwordProblem } from './credentials-policy';
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

export interface ChangePasswordRequest {
  currentPassword: string;
  newPassword: string;
}

export interface AuthServiceDependencies {
  users: UserStore;
  sessions: SessionService;
  hasher: PasswordHasher;
  throttle: LoginThrottle;
  clock: Clock;
  logger: Logger;
  metrics?: AuthMetrics;
  /** ADMIN_EMAILS: who is made ADMIN at sign-up. */
  adminEmails?: readonly string[];
}

/**
 * Proving who you are: sign-up, login and password change. The whole story of each is
 * here; sessions and cookies are told what happened (SessionService, Caller).
 */
export class AuthService {
  private readonly metrics: AuthMetrics;

  constructor(private readonly deps: AuthServiceDependencies) {
    this.metrics = deps.metrics ?? noMetrics;
  }

  /**
   * Creates the user and signs them in. A session presented with the request is ended
   * first: re-authentication replaces it.
   */
  async signUp(request: SignUpRequest, caller: Caller): Promise<SignedIn> {
    await this.deps.throttle.countSignUp(caller.client.ipAddress);
    const { email, problem: emailIssue } = parseEmail(request.email);
    if (emailIssue !== undefined) throw badUserInput(emailIssue, 'email');
    const passwordIssue = passwordProblem(request.password, email);
    if (passwordIssue) throw badUserInput(passwordIssue, 'password');
    const displayName = request.displayName == null ? defaultDisplayName(email) : cleanDisplayName(request.displayName);
    if (displayName === null) throw badUserInput('Display name must be 1 to 64 printable characters.', 'displayName');

    const user: UserRecord = {
      id: newId(),
      email,
      displayName,
      roles: rolesForNewUser(email, this.deps.adminEmails ?? []),
      passwordHash: await this.deps.hasher.hash(request.password),
      createdAt: this.deps.clock.now(),
    };
    if ((await this.deps.users.createUser(user)) === 'email_taken') {
      throw badUserInput('An account with this email already exists.', 'email');
    }
    this.deps.logger.info({ userId: user.id }, 'user signed up');
    return this.signIn(user, request.transport, caller);
  }

  /**
   * Checks the credentials (same error and about the same time for unknown email and wrong
   * password), after the throttle: a refused attempt never reaches bcrypt.
   */
  async login(request: LoginRequest, caller: Caller): Promise<SignedIn> {
    const encodingIssue = passwordEncodingProblem(request.password);
    if (encodingIssue) throw badUserInput(encodingIssue, 'password');
    const attempt = await this.deps.throttle.beginPasswordAttempt(request.email, caller.client.ipAddress).catch((error: unknown) => {
      if (error instanceof AppError && error.code === ErrorCode.RATE_LIMITED) this.metrics.loginAttempted('throttled');
      throw error;
    });
    // No account can have such a password: refuse without spending bcrypt time on it.
    if (Buffer.byteLength(request.password, 'utf8') > PASSWORD_MAX_BYTES) {
      this.metrics.loginAttempted('failed');
      await attempt.failed();
      throw unauthenticated(INVALID_CREDENTIALS_MESSAGE);
    }
    const user = await this.deps.users.findUserByEmail(request.email);
    const valid = user
      ? await this.deps.hasher.verify(request.password, user.passwordHash)
      : await this.deps.hasher.verifyAgainstDummy(request.password);
    if (!user || !valid) {
      this.deps.logger.info({ userId: user?.id ?? null }, 'login failed');
      this.metrics.loginAttempted('failed');
      await attempt.failed();
      throw unauthenticated(INVALID_CREDENTIALS_MESSAGE);
    }
    this.metrics.loginAttempted('ok');
    await attempt.succeeded();
    return this.signIn(user, request.transport, caller);
  }

  /**
   * Verifies the current password, stores the new one and, in the same atomic step, ends
   * every other session of the user; the caller's session stays signed in.
   */
  async changePassword(request: ChangePasswordRequest, caller: Caller): Promise<void> {
    const viewer: Viewer = await caller.signedInViewer();
    const { user } = viewer;
    const encodingIssue = passwordEncodingProblem(request.currentPassword);
    if (encodingIssue) throw badUserInput(encodingIssue, 'currentPassword');
    const attempt = await this.deps.throttle.beginPasswordAttempt(user.email, caller.client.ipAddress);
    if (!(await this.deps.hasher.verify(request.currentPassword, user.passwordHash))) {
      await attempt.failed();
      throw badUserInput('Current password is incorrect.', 'currentPassword');
    }
    await attempt.succeeded();
    const passwordIssue = passwordProblem(request.newPassword, user.email);
    if (passwordIssue) throw badUserInput(passwordIssue, 'newPassword');
    const ended = await this.deps.users.replacePassword(user.id, {
      passwordHash: await this.deps.hasher.hash(request.newPassword),
      end: { reason: 'password_change', actorId: user.id },
      keepSessionId: viewer.session.id,
    });
    if (ended === null) throw unauthenticated();
    this.deps.logger.info({ userId: user.id }, 'password changed');
    this.deps.sessions.recordSessionsEnded(user.id, 'password_change', ended);
  }

  /** A new session for the user; a session the caller presented is ended, not reused. */
  private async signIn(user: UserRecord, transport: SessionTransport, caller: Caller): Promise<SignedIn> {
    if (caller.presented) await this.deps.sessions.endPresentedSession(caller.presented.token, 'replaced_by_login');
    const { session, token } = await this.deps.sessions.startSession(user.id, { transport, client: caller.client });
    const signedIn = { user, session, token };
    caller.sessionStarted(signedIn);
    return signedIn;
  }
}

function defaultDisplayName(email: string): string {
  return cleanDisplayName(email.slice(0, email.lastIndexOf('@'))) ?? 'user';
}
