import type { Logger } from 'pino';
import QRCode from 'qrcode';
import type { AccountEvent, AccountEventKind } from '../account/account-event.model';
import type { AccountNotices } from '../account/account-notices';
import { noMetrics, type SecondFactorMetrics } from '../observability/metrics';
import type { Caller } from '../session/caller';
import { SessionTransport, type SessionRecord, type Viewer } from '../session/session.model';
import type { SessionService } from '../session/session.service';
import type { KnownDeviceRecord } from '../device/device.model';
import type { DeviceService } from '../device/device.service';
import { AppError, badUserInput, ErrorCode, forbidden } from '../shared/app-error';
import type { Clock } from '../shared/clock';
import type { AccountEventStore } from '../storage/account-event-store';
import type { UpdateUserOptions, UserStore } from '../storage/user-store';
import type { UserRecord } from '../user/user.model';
import { hashRecoveryCode, newRecoveryCode } from './recovery-codes';
import { checkSecondFactorCode, codeMethod, type SecondFactorMethod } from './second-factor-check';
import type { CodeAttempt, SecondFactorThrottle } from './second-factor-throttle';
import type { SecretBox } from './secret-box';
import { newTotpSecret, totpStepOf, totpUri } from './totp';
import { TWO_FACTOR_LIMITS, type SecondFactorRecord } from './two-factor.model';

export interface TotpEnrollmentStarted {
  /** Base32, for typing into an authenticator app. */
  secret: string;
  otpauthUri: string;
  /** The URI as an SVG QR code, drawn here (no third-party service sees the secret). */
  qrCodeSvg: string;
}

export interface SecondFactorVerified {
  user: UserRecord;
  session: SessionRecord;
  /** The session's new token (its secret was rotated). */
  token: string;
  /** A device token issued with a completed sign-in (a client not known before); null otherwise. */
  deviceToken: string | null;
}

export interface TwoFactorServiceDependencies {
  users: UserStore;
  sessions: SessionService;
  devices: DeviceService;
  events: AccountEventStore;
  notices: AccountNotices;
  throttle: SecondFactorThrottle;
  /** Null when the server has no TOTP_ENCRYPTION_KEY: nobody can enrol. */
  secretBox: SecretBox | null;
  /** Who authenticator apps say the code is for (APP_ORIGIN's host). */
  issuer: string;
  clock: Clock;
  logger: Logger;
  metrics?: SecondFactorMetrics;
}

const NOT_ENROLLED = 'Two-factor authentication is not on for this account.';
const CODE_REFUSED = 'The code is not valid: it is wrong, expired or already used.';

/**
 * TOTP two-factor: enrolment, the codes that complete a sign-in or step up a session,
 * recovery codes, turning it off. Every change to a user's second factor is one
 * compare-and-set of the user record (UserStore.updateUser), decided on the record it
 * stores: of two requests with one code only one finds it unused, and a code checked
 * against a factor that was just turned off finds none.
 */
export class TwoFactorService {
  private readonly metrics: SecondFactorMetrics;

  constructor(private readonly deps: TwoFactorServiceDependencies) {
    this.metrics = deps.metrics ?? noMetrics;
  }

  /**
   * A new TOTP secret for the caller, waiting (TWO_FACTOR_LIMITS.enrollmentSeconds) for a code
   * from it: nothing is on until confirmTotpEnrollment. A new call replaces the waiting one.
   */
  async beginEnrollment(caller: Caller): Promise<TotpEnrollmentStarted> {
    const { user } = await caller.signedInViewer();
    const box = this.deps.secretBox;
    if (!box) throw forbidden('Two-factor authentication is not available on this server yet (its operator has not set TOTP_ENCRYPTION_KEY).');
    const secret = newTotpSecret();
    const expiresAt = new Date(this.deps.clock.now().getTime() + TWO_FACTOR_LIMITS.enrollmentSeconds * 1000);
    const pendingTotp = { totpSecretCiphertext: box.seal(secret, user.id), expiresAt };
    const stored = await this.deps.users.updateUser(user.id, (current) => (current.secondFactor ? null : { ...current, pendingTotp }));
    if (!stored) throw badUserInput('Two-factor authentication is already on: turn it off first to enrol another authenticator.');
    const otpauthUri = totpUri(secret, { issuer: this.deps.issuer, account: stored.email });
    this.deps.logger.info({ userId: user.id }, 'TOTP enrolment started');
    return { secret, otpauthUri, qrCodeSvg: await QRCode.toString(otpauthUri, { type: 'svg', errorCorrectionLevel: 'M', margin: 2 }) };
  }

  /**
   * Turns TOTP on with a first code from the waiting secret: returns the recovery codes
   * (shown once, stored only as hashes), raises the caller's session to aal 2, and moves the
   * credentialVersion (a login that checked the password before this cannot open a session
   * that skips the new factor).
   */
  async confirmEnrollment(caller: Caller, code: string): Promise<string[]> {
    const viewer = await caller.signedInViewer();
    const { attempt } = await this.beginAttempt(caller, viewer, code);
    const recoveryCodes = Array.from({ length: TWO_FACTOR_LIMITS.recoveryCodes }, newRecoveryCode);
    let outcome = 'no_enrollment' as 'enabled' | 'already_on' | 'no_enrollment' | 'refused';
    const enabled = await this.deps.users.updateUser(viewer.user.id, (user) => {
      const now = this.deps.clock.now();
      const pending = user.pendingTotp;
      if (user.secondFactor) {
        outcome = 'already_on';
        return null;
      }
      const secret = pending && pending.expiresAt > now ? this.openSecret(pending.totpSecretCiphertext, user.id) : null;
      if (!pending || secret === null) {
        outcome = 'no_enrollment';
        return null;
      }
      const step = totpStepOf(code, secret, now);
      if (step === null) {
        outcome = 'refused';
        return null;
      }
      outcome = 'enabled';
      const secondFactor: SecondFactorRecord = {
        totpSecretCiphertext: pending.totpSecretCiphertext,
        lastUsedStep: step,
        recoveryCodeHashes: recoveryCodes.map(hashRecoveryCode),
        enabledAt: now,
      };
      return { ...user, secondFactor, pendingTotp: null, credentialVersion: user.credentialVersion + 1 };
    }, this.recording(viewer, 'second_factor_enabled'));
    if (outcome === 'refused') {
      this.counted('totp', 'failed');
      throw badUserInput(CODE_REFUSED, 'code');
    }
    await attempt.succeeded();
    if (outcome === 'already_on') throw badUserInput('Two-factor authentication is already on.');
    if (!enabled) throw badUserInput('No enrolment is waiting (or it expired): start again with beginTotpEnrollment.', 'code');
    this.counted('totp', 'ok');
    this.deps.logger.info({ userId: enabled.id }, 'two-factor enabled');
    this.deps.notices.twoFactorEnabled(enabled);
    await this.deps.sessions.renewAuthentication(caller, { aal: 2, rotateToken: viewer.session.transport === SessionTransport.COOKIE });
    return recoveryCodes;
  }

  /** New recovery codes replace the unused ones (shown once). */
  async regenerateRecoveryCodes(caller: Caller): Promise<string[]> {
    const viewer = await caller.signedInViewer();
    const recoveryCodes = Array.from({ length: TWO_FACTOR_LIMITS.recoveryCodes }, newRecoveryCode);
    const stored = await this.deps.users.updateUser(
      viewer.user.id,
      (user) => (user.secondFactor ? { ...user, secondFactor: { ...user.secondFactor, recoveryCodeHashes: recoveryCodes.map(hashRecoveryCode) } } : null),
      this.recording(viewer, 'recovery_codes_regenerated'),
    );
    if (!stored) throw badUserInput(NOT_ENROLLED);
    this.deps.logger.info({ userId: stored.id }, 'recovery codes regenerated');
    this.deps.notices.recoveryCodesRegenerated(stored);
    return recoveryCodes;
  }

  /**
   * Turns TOTP off, with a current code (or a recovery code) in the same atomic step: the
   * credentialVersion moves, and the user's sessions still waiting for a second factor end
   * (they could never complete). The caller's session keeps the aal 2 it proved.
   */
  async disable(caller: Caller, code: string): Promise<void> {
    const { user: disabled } = await this.useCode(caller, code, {
      alsoChange: (user) => ({ ...user, secondFactor: null, pendingTotp: null, credentialVersion: user.credentialVersion + 1 }),
      alsoRecord: 'second_factor_disabled',
    });
    const ended = await this.deps.sessions.endPendingSessions(disabled.id, { reason: 'revoked_by_user', actorId: disabled.id });
    this.deps.logger.info({ userId: disabled.id, endedPendingSessions: ended }, 'two-factor disabled');
    this.deps.notices.twoFactorDisabled(disabled);
  }

  /**
   * Completes a sign-in that waits for its second factor (or strengthens any session): the
   * code is used up, the session reaches aal 2, authenticatedAt moves to now, and it gets a
   * new token (whoever saw the token before holds nothing). A completed sign-in makes the
   * client a known device of the account (a password alone does not).
   */
  async verify(caller: Caller, code: string): Promise<SecondFactorVerified> {
    const viewer = await caller.signedInViewer();
    const { user, presentedDevice } = await this.useCode(caller, code);
    const renewed = await this.deps.sessions.renewAuthentication(caller, { aal: 2, rotateToken: true });
    const device = viewer.session.secondFactorPending ? await this.deps.devices.signedIn(user.id, { recognised: presentedDevice, client: caller.client }) : null;
    caller.deviceIssued(renewed.session, device && device.issued);
    return { user, session: renewed.session, token: renewed.token!, deviceToken: device?.issued?.token ?? null };
  }

  /** A code presented with stepUp: used up, or BAD_USER_INPUT (RATE_LIMITED past the budgets). Raising the session is stepUp's. */
  async presentCode(caller: Caller, code: string): Promise<void> {
    await this.useCode(caller, code);
  }

  /**
   * Checks a code against the caller's second factor and uses it up, with `alsoChange`
   * applied in the same compare-and-set, which also records the code's use (and
   * `alsoRecord`) in the audit trail; throttled per session and per user. Returns the
   * stored user record, and the known device the caller presented.
   */
  private async useCode(
    caller: Caller,
    code: string,
    { alsoChange = (user) => user, alsoRecord }: { alsoChange?: (user: UserRecord) => UserRecord; alsoRecord?: AccountEventKind } = {},
  ): Promise<{ user: UserRecord; presentedDevice: KnownDeviceRecord | null }> {
    const viewer = await caller.signedInViewer();
    const method = codeMethod(code);
    const { attempt, presentedDevice } = await this.beginAttempt(caller, viewer, code);
    let outcome = 'not_enrolled' as 'not_enrolled' | 'refused' | 'accepted';
    const used: AccountEventKind = method === 'totp' ? 'second_factor_verified' : 'recovery_code_used';
    const stored = await this.deps.users.updateUser(
      viewer.user.id,
      (user) => {
        outcome = 'not_enrolled';
        if (!user.secondFactor) return null;
        const secret = this.openSecret(user.secondFactor.totpSecretCiphertext, user.id);
        if (secret === null) throw new Error(`the TOTP secret of user ${user.id} does not decrypt: was TOTP_ENCRYPTION_KEY changed or removed?`);
        const check = checkSecondFactorCode(user.secondFactor, code, secret, this.deps.clock.now());
        outcome = check.accepted ? 'accepted' : 'refused';
        return check.accepted ? alsoChange({ ...user, secondFactor: check.secondFactor }) : null;
      },
      this.recording(viewer, used, ...(alsoRecord ? [alsoRecord] : [])),
    );
    if (outcome === 'refused') {
      this.counted(method, 'failed');
      this.deps.logger.info({ userId: viewer.user.id, sessionId: viewer.session.id, method }, 'second-factor code refused');
      await this.record(viewer, 'second_factor_failed');
      throw badUserInput(CODE_REFUSED, 'code');
    }
    if (!stored) {
      await attempt.succeeded();
      throw badUserInput(NOT_ENROLLED, 'code');
    }
    await attempt.succeeded();
    this.counted(method, 'ok');
    this.deps.logger.info({ userId: viewer.user.id, sessionId: viewer.session.id, method }, 'second-factor code accepted');
    return { user: stored, presentedDevice };
  }

  private openSecret(ciphertext: string, userId: string): string | null {
    return this.deps.secretBox?.open(ciphertext, userId) ?? null;
  }

  /** Reserves a code attempt, on the presented known device's own budgets when it has earned them. */
  private async beginAttempt(caller: Caller, viewer: Viewer, code: string): Promise<{ attempt: CodeAttempt; presentedDevice: KnownDeviceRecord | null }> {
    try {
      const { user, session } = viewer;
      // Without a second factor there is no code to check, and no budget a device could have earned.
      const presentedDevice = user.secondFactor ? await this.deps.devices.recognise(caller.presentedDevice, user.id) : null;
      const ownBudget = presentedDevice && completedSecondFactor(presentedDevice, user) ? presentedDevice.id : null;
      const attempt = await this.deps.throttle.begin({ userId: user.id, sessionId: session.id, knownDeviceId: ownBudget });
      return { attempt, presentedDevice };
    } catch (error) {
      if (error instanceof AppError && error.code === ErrorCode.RATE_LIMITED) this.counted(codeMethod(code), 'throttled');
      throw error;
    }
  }

  private counted(method: SecondFactorMethod, result: 'ok' | 'failed' | 'throttled'): void {
    this.metrics.secondFactorChecked(method, result);
  }

  /** A refused code changes nothing but the trail. */
  private record(viewer: Viewer, kind: AccountEventKind): Promise<void> {
    return this.deps.events.recordAccountEvent(viewer.user.id, this.event(viewer, kind));
  }

  /** Events to record with a change of the user record, in the same atomic step. */
  private recording(viewer: Viewer, ...kinds: AccountEventKind[]): UpdateUserOptions {
    return { events: kinds.map((kind) => this.event(viewer, kind)) };
  }

  private event(viewer: Viewer, kind: AccountEventKind): AccountEvent {
    return { kind, sessionId: viewer.session.id, at: this.deps.clock.now() };
  }
}

/**
 * Whether a known device has completed a sign-in with the user's current second factor since
 * it was turned on (devices become known, or are seen again, only when a sign-in completes):
 * its code attempts then have budgets of their own. A device known from before the factor
 * was turned on proved only a password, and gets none.
 */
function completedSecondFactor(device: KnownDeviceRecord, user: UserRecord): boolean {
  return user.secondFactor !== null && device.lastUsedAt.getTime() > user.secondFactor.enabledAt.getTime();
}
