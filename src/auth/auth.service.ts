import type { Logger } from 'pino';
import { noMetrics, type AuthMetrics } from '../observability/metrics';
import type { AccountNotices } from '../account/account-notices';
import type { EmailTokens } from '../account/email-tokens';
import type { KnownDeviceRecord } from '../device/device.model';
import type { DeviceService } from '../device/device.service';
import type { Caller, SignedIn } from '../session/caller';
import { SessionTransport, type SessionRecord, type Viewer } from '../session/session.model';
import type { SessionService } from '../session/session.service';
import { AppError, badUserInput, ErrorCode, INVALID_CREDENTIALS_MESSAGE, unauthenticated } from '../shared/app-error';
import type { Clock } from '../shared/clock';
import { newId } from '../shared/ids';
import type { UserStore } from '../storage/user-store';
import type { TwoFactorService } from '../two-factor/two-factor.service';
import { normalizeEmail, rolesForNewUser, type UserRecord } from '../user/user.model';
import { cleanDisplayName, parseEmail, PASSWORD_MAX_BYTES, passwordEncodingProblem, passwordProblem } from './credentials-policy';
import { throttledAddress, type LoginThrottle } from './login-throttle';
import type { PasswordCheckAdmission } from './password-check-admission';
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
  devices: DeviceService;
  hasher: PasswordHasher;
  throttle: LoginThrottle;
  admission: PasswordCheckAdmission;
  notices: AccountNotices;
  emailTokens: EmailTokens;
  twoFactor: TwoFactorService;
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
      emailVerified: false,
      displayName,
      roles: rolesForNewUser(email, this.deps.adminEmails ?? []),
      passwordHash: await this.hashPassword(caller, email, request.password),
      credentialVersion: 0,
      secondFactor: null,
      pendingTotp: null,
      createdAt: this.deps.clock.now(),
    };
    if ((await this.deps.users.createUser(user)) === 'email_taken') {
      throw badUserInput('An account with this email already exists.', 'email');
    }
    this.deps.logger.info({ userId: user.id }, 'user signed up');
    const signedIn = await this.signIn(user, { transport: request.transport, caller, knownDevice: null });
    // The account exists either way: a failure here leaves the user to ask for a new link.
    await this.deps.emailTokens.issueAndMail('email_verification', user, user.email).catch((error: unknown) => {
      this.deps.logger.warn({ err: error, userId: user.id }, 'verification mail not sent at sign-up');
    });
    return signedIn;
  }

  /**
   * Checks the credentials (same error and about the same time for unknown email and wrong
   * password), after the password-check line and the throttle: a refused attempt never
   * reaches bcrypt. A known device of the account is throttled on its own budget.
   */
  async login(request: LoginRequest, caller: Caller): Promise<SignedIn> {
    const encodingIssue = passwordEncodingProblem(request.password);
    if (encodingIssue) throw badUserInput(encodingIssue, 'password');
    const { user, knownDevice } = await this.inLine(caller, request.email, async () => {
      const found = await this.deps.users.findUserByEmail(request.email);
      const device = found ? await this.deps.devices.recognise(caller.presentedDevice, found.id) : null;
      const attempt = await this.deps.throttle
        .beginPasswordAttempt({ email: request.email, ipAddress: caller.client.ipAddress, knownDevice: device && { userId: device.userId, deviceId: device.id } })
        .catch((error: unknown) => {
          if (error instanceof AppError && error.code === ErrorCode.RATE_LIMITED) this.metrics.loginAttempted('throttled');
          throw error;
        });
      // No account can have an over-long password: refused without spending bcrypt time on it.
      const valid =
        Buffer.byteLength(request.password, 'utf8') <= PASSWORD_MAX_BYTES &&
        (found ? await this.deps.hasher.verify(request.password, found.passwordHash) : await this.deps.hasher.verifyAgainstDummy(request.password));
      if (!found || !valid) {
        this.deps.logger.info({ userId: found?.id ?? null }, 'login failed');
        this.metrics.loginAttempted('failed');
        await attempt.failed();
        throw unauthenticated(INVALID_CREDENTIALS_MESSAGE);
      }
      this.metrics.loginAttempted('ok');
      await attempt.succeeded();
      return { user: found, knownDevice: device };
    });
    return this.signIn(user, { transport: request.transport, caller, knownDevice });
  }

  /**
   * Verifies the current password, stores the new one and, in the same atomic step, ends
   * every other session of the user; the caller's session stays signed in.
   */
  async changePassword(request: ChangePasswordRequest, caller: Caller): Promise<void> {
    const viewer = await this.verifyCurrentPassword(caller, request.currentPassword);
    const { user } = viewer;
    const passwordIssue = passwordProblem(request.newPassword, user.email);
    if (passwordIssue) throw badUserInput(passwordIssue, 'newPassword');
    // Applies only if the password just verified is still the current one and this session
    // still lives: of two changes from the same old password, or a change racing a
    // revocation of its own session, at most one outcome stands.
    const replaced = await this.deps.users.replacePassword(user.id, {
      passwordHash: await this.hashPassword(caller, user.email, request.newPassword),
      end: { reason: 'password_change', actorId: user.id },
      expectedCredentialVersion: user.credentialVersion,
      keepSessionId: viewer.session.id,
    });
    caller.forgetReads();
    if (replaced.outcome !== 'replaced') {
      this.deps.logger.info({ userId: user.id, outcome: replaced.outcome }, 'password change refused');
      throw unauthenticated();
    }
    this.deps.logger.info({ userId: user.id }, 'password changed');
    this.deps.sessions.recordSessionsEnded(user.id, 'password_change', replaced.endedSessions);
    this.deps.notices.passwordChanged(user, 'change');
  }

  /**
   * Presents credentials again on the caller's own session: the password, a second-factor
   * code, or both. authenticatedAt moves to now (for the operations that need a fresh
   * authentication), a code raises the session to aal 2, and a COOKIE session gets a new
   * token.
   */
  async stepUp(request: { password?: string | null; code?: string | null }, caller: Caller): Promise<SessionRecord> {
    const { password, code } = request;
    if (password == null && code == null) throw badUserInput('Give your password, a second-factor code, or both.', 'password');
    const { session } = password == null ? await caller.signedInViewer() : await this.verifyCurrentPassword(caller, password, 'password');
    if (code != null) await this.deps.twoFactor.presentCode(caller, code);
    const renewed = await this.deps.sessions.renewAuthentication(caller, {
      aal: code == null ? 1 : 2,
      rotateToken: session.transport === SessionTransport.COOKIE,
    });
    return renewed.session;
  }

  /**
   * Checks the signed-in caller's own password, in the line of password checks and on the
   * throttle (the caller's device's budget when it presents one): BAD_USER_INPUT on `field`
   * when it is wrong. Returns the caller.
   */
  async verifyCurrentPassword(caller: Caller, password: string, field = 'currentPassword'): Promise<Viewer> {
    const viewer = await caller.signedInViewer();
    const { user } = viewer;
    const encodingIssue = passwordEncodingProblem(password);
    if (encodingIssue) throw badUserInput(encodingIssue, field);
    await this.inLine(caller, user.email, async () => {
      const device = await this.deps.devices.recognise(caller.presentedDevice, user.id);
      const attempt = await this.deps.throttle.beginPasswordAttempt({
        email: user.email,
        ipAddress: caller.client.ipAddress,
        knownDevice: device && { userId: device.userId, deviceId: device.id },
      });
      if (!(await this.deps.hasher.verify(password, user.passwordHash))) {
        await attempt.failed();
        throw badUserInput('The password is incorrect.', field);
      }
      await attempt.succeeded();
    });
    return viewer;
  }

  /** A new password's bcrypt hash, computed in the line of password checks. */
  hashPassword(caller: Caller, email: string, password: string): Promise<string> {
    return this.inLine(caller, email, () => this.deps.hasher.hash(password));
  }


  /**
   * A new session for the user, whose credentials were verified as of `user` (its
   * credentialVersion); a session the caller presented is ended, not reused. The client
   * becomes (or stays) a known device of the account once it has proved all the account
   * asks for: here for a password account, at verifySecondFactor for one with a second
   * factor (the password alone must neither take one of the account's device places nor
   * earn a throttling budget of its own).
   */
  private async signIn(
    user: UserRecord,
    options: { transport: SessionTransport; caller: Caller; knownDevice: KnownDeviceRecord | null },
  ): Promise<SignedIn> {
    const { caller } = options;
    if (caller.presented) await this.deps.sessions.endPresentedSession(caller.presented.token, 'replaced_by_login');
    // With a second factor, the password alone opens a session that can only complete it.
    const started = await this.deps.sessions.startSession(user.id, {
      transport: options.transport,
      client: caller.client,
      credentialVersion: user.credentialVersion,
      secondFactorPending: user.secondFactor !== null,
    });
    if (!started) throw unauthenticated(INVALID_CREDENTIALS_MESSAGE);
    const device = started.session.secondFactorPending ? null : await this.deps.devices.signedIn(user.id, { recognised: options.knownDevice, client: caller.client });
    const signedIn: SignedIn = { user, session: started.session, token: started.token, device: device && device.issued };
    caller.sessionStarted(signedIn);
    return signedIn;
  }

  /** Runs password work holding a place in the bounded line of password checks (refused at once when there is none). */
  private async inLine<T>(caller: Caller, email: string, work: () => Promise<T>): Promise<T> {
    const leave = this.deps.admission.enter({ client: throttledAddress(caller.client.ipAddress), account: normalizeEmail(email) });
    try {
      return await work();
    } finally {
      leave();
    }
  }
}

function defaultDisplayName(email: string): string {
  return cleanDisplayName(email.slice(0, email.lastIndexOf('@'))) ?? 'user';
}
