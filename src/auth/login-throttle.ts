import { createHash } from 'node:crypto';
import { rateLimited } from '../shared/app-error';
import type { AttemptLimiter } from '../storage/attempt-limiter';
import type { Store } from '../storage/store';
import { normalizeEmail } from '../user/user.model';

export interface ThrottleSettings {
  maxConsecutiveFailures: number;
  maxFailuresPerEmailHour: number;
  maxFailuresPerIpDay: number;
  maxSignUpsPerIpHour: number;
}

/** After LOGIN_MAX_CONSECUTIVE_FAILURES, an email + IP pair is refused this long. */
export const CONSECUTIVE_FAILURES_BLOCK_SECONDS = 15 * 60;
/** Consecutive failures are forgotten after a day without a success resetting them. */
const CONSECUTIVE_FAILURES_WINDOW_SECONDS = 24 * 3600;

export interface PasswordAttempt {
  /** Refunds the attempt and resets the consecutive-failure count. */
  succeeded(): Promise<void>;
  /** Counts a consecutive failure; the last one allowed locks the email + IP pair out. */
  failed(): Promise<void>;
}

/**
 * Throttles password checks (login, and changePassword's current password) and sign-ups,
 * with attempt limiters kept in the store, so every server process shares them. A refused
 * attempt never reaches bcrypt.
 *
 * The per-email and per-IP budgets count an attempt *before* its password is checked and
 * refund it on success: counting only failures would let a burst of parallel guesses all
 * pass the check before any failure is recorded. The consecutive-failure lockout instead
 * counts failures only, after the check: counted up front, a user's own parallel correct
 * logins (an app opening several sessions at once) would lock them out.
 */
export class LoginThrottle {
  private readonly consecutiveFailures: AttemptLimiter;
  private readonly failuresPerEmail: AttemptLimiter;
  private readonly failuresPerIp: AttemptLimiter;
  private readonly signUpsPerIp: AttemptLimiter;

  constructor(store: Store, settings: ThrottleSettings) {
    this.consecutiveFailures = store.createAttemptLimiter({
      name: 'login-consecutive',
      points: settings.maxConsecutiveFailures,
      windowSeconds: CONSECUTIVE_FAILURES_WINDOW_SECONDS,
    });
    this.failuresPerEmail = store.createAttemptLimiter({ name: 'login-email', points: settings.maxFailuresPerEmailHour, windowSeconds: 3600 });
    this.failuresPerIp = store.createAttemptLimiter({ name: 'login-ip', points: settings.maxFailuresPerIpDay, windowSeconds: 86_400 });
    this.signUpsPerIp = store.createAttemptLimiter({ name: 'signup-ip', points: settings.maxSignUpsPerIpHour, windowSeconds: 3600 });
  }

  /**
   * Counts a password attempt against every limit; throws RATE_LIMITED (with
   * retryAfterSeconds) when one is exhausted. Call `succeeded` when the password was right.
   */
  async beginPasswordAttempt(email: string, ipAddress: string | null): Promise<PasswordAttempt> {
    const keys = attemptKeys(email, ipAddress);
    await this.refuseWhileLockedOut(keys.emailAndIp);
    await consumeAll([
      [this.failuresPerEmail, keys.email],
      [this.failuresPerIp, keys.ip],
    ]);
    return {
      succeeded: async () => {
        await settle([
          this.consecutiveFailures.reset(keys.emailAndIp),
          this.failuresPerEmail.refund(keys.email),
          this.failuresPerIp.refund(keys.ip),
        ]);
      },
      failed: async () => {
        const failure = await this.consecutiveFailures.consume(keys.emailAndIp);
        if (!failure.allowed || failure.consumed >= this.consecutiveFailures.points) {
          await this.consecutiveFailures.block(keys.emailAndIp, CONSECUTIVE_FAILURES_BLOCK_SECONDS);
        }
      },
    };
  }

  /** Counts a sign-up from this IP; throws RATE_LIMITED over the hourly limit. */
  async countSignUp(ipAddress: string | null): Promise<void> {
    await consumeAll([[this.signUpsPerIp, ipAddress ?? 'unknown']]);
  }

  private async refuseWhileLockedOut(key: string): Promise<void> {
    const state = await this.consecutiveFailures.peek(key);
    if (state && state.consumed >= this.consecutiveFailures.points) throw rateLimited(state.retryAfterMillis / 1000);
  }
}

/** Emails are hashed: limiter keys hold no personal data and have a bounded length. */
function attemptKeys(email: string, ipAddress: string | null) {
  const emailDigest = createHash('sha256').update(normalizeEmail(email)).digest('base64url');
  const ip = ipAddress ?? 'unknown';
  return { email: emailDigest, ip, emailAndIp: `${emailDigest}|${ip}` };
}

/**
 * Takes an attempt from each limiter. When any refuses, the attempts taken from the others
 * are given back (a refused attempt costs nothing more) and RATE_LIMITED says when the
 * longest wait ends. A store failure propagates as StoreUnavailableError, never "not limited".
 */
async function consumeAll(entries: Array<[AttemptLimiter, string]>): Promise<void> {
  const results = await Promise.allSettled(entries.map(([limiter, key]) => limiter.consume(key)));
  const failure = results.find((result) => result.status === 'rejected');
  const refusals = results.flatMap((result) => (result.status === 'fulfilled' && !result.value.allowed ? [result.value.retryAfterMillis] : []));
  if (!failure && refusals.length === 0) return;
  await settle(
    entries.filter((_, index) => {
      const result = results[index]!;
      return result.status === 'fulfilled' && result.value.allowed;
    }).map(([limiter, key]) => limiter.refund(key)),
  );
  if (failure) throw (failure as PromiseRejectedResult).reason;
  throw rateLimited(Math.max(...refusals) / 1000);
}

async function settle(operations: Array<Promise<unknown>>): Promise<void> {
  const results = await Promise.allSettled(operations);
  const failure = results.find((result) => result.status === 'rejected');
  if (failure) throw (failure as PromiseRejectedResult).reason;
}
