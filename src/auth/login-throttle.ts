import { createHash } from 'node:crypto';
import { RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import { rateLimited } from '../shared/errors';
import { toStoreError } from '../shared/redis-errors';
import type { Store } from '../shared/store';
import { normalizeEmail } from '../user/user.store';

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

/**
 * Throttles password checks (login, and changePassword's current password) and sign-ups,
 * with rate-limiter-flexible on the session store, so every server process shares it.
 * A refused attempt never reaches bcrypt.
 *
 * The per-email and per-IP budgets count an attempt *before* its password is checked and
 * refund it on success: counting only failures would let a burst of parallel guesses all
 * pass the check before any failure is recorded. The consecutive-failure lockout instead
 * counts failures only, after the check: counted up front, a user's own parallel correct
 * logins (an app opening several sessions at once) would lock them out.
 */
export class LoginThrottle {
  private readonly consecutiveFailures: RateLimiterAbstract;
  private readonly failuresPerEmail: RateLimiterAbstract;
  private readonly failuresPerIp: RateLimiterAbstract;
  private readonly signUpsPerIp: RateLimiterAbstract;

  constructor(store: Store, settings: ThrottleSettings) {
    this.consecutiveFailures = store.createRateLimiter({
      name: 'login-consecutive',
      points: settings.maxConsecutiveFailures,
      durationSeconds: CONSECUTIVE_FAILURES_WINDOW_SECONDS,
    });
    this.failuresPerEmail = store.createRateLimiter({ name: 'login-email', points: settings.maxFailuresPerEmailHour, durationSeconds: 3600 });
    this.failuresPerIp = store.createRateLimiter({ name: 'login-ip', points: settings.maxFailuresPerIpDay, durationSeconds: 86_400 });
    this.signUpsPerIp = store.createRateLimiter({ name: 'signup-ip', points: settings.maxSignUpsPerIpHour, durationSeconds: 3600 });
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
          this.consecutiveFailures.delete(keys.emailAndIp),
          this.failuresPerEmail.reward(keys.email, 1),
          this.failuresPerIp.reward(keys.ip, 1),
        ]);
      },
      failed: async () => {
        const failures = await this.consecutiveFailures.consume(keys.emailAndIp, 1).catch((reason: unknown) => {
          if (reason instanceof RateLimiterRes) return reason;
          throw toStoreError(reason);
        });
        if (failures.consumedPoints >= this.consecutiveFailures.points) {
          await this.consecutiveFailures.block(keys.emailAndIp, CONSECUTIVE_FAILURES_BLOCK_SECONDS).catch((reason: unknown) => {
            throw toStoreError(reason);
          });
        }
      },
    };
  }

  private async refuseWhileLockedOut(key: string): Promise<void> {
    const state = await this.consecutiveFailures.get(key).catch((reason: unknown) => {
      throw toStoreError(reason);
    });
    if (state && state.consumedPoints >= this.consecutiveFailures.points) {
      throw rateLimited(state.msBeforeNext / 1000);
    }
  }

  /** Counts a sign-up from this IP; throws RATE_LIMITED over the hourly limit. */
  async countSignUp(ipAddress: string | null): Promise<void> {
    await consumeAll([[this.signUpsPerIp, ipAddress ?? 'unknown']]);
  }
}

export interface PasswordAttempt {
  /** Refunds the attempt and resets the consecutive-failure count. */
  succeeded(): Promise<void>;
  /** Counts a consecutive failure; the last one allowed locks the email + IP pair out. */
  failed(): Promise<void>;
}

/** Emails are hashed: limiter keys hold no personal data and have a bounded length. */
function attemptKeys(email: string, ipAddress: string | null) {
  const emailDigest = createHash('sha256').update(normalizeEmail(email)).digest('base64url');
  const ip = ipAddress ?? 'unknown';
  return { email: emailDigest, ip, emailAndIp: `${emailDigest}|${ip}` };
}

/**
 * Consumes a point from each limiter. When any refuses, the points taken from the others
 * are given back (a refused attempt costs nothing more) and RATE_LIMITED says when the
 * longest block ends. A store failure is SERVICE_UNAVAILABLE, never "not limited".
 */
async function consumeAll(entries: Array<[RateLimiterAbstract, string]>): Promise<void> {
  const results = await Promise.allSettled(entries.map(([limiter, key]) => limiter.consume(key, 1)));
  const refusals = results.flatMap((result) => (result.status === 'rejected' ? [result.reason as unknown] : []));
  if (refusals.length === 0) return;
  await settle(entries.filter((_, index) => results[index]!.status === 'fulfilled').map(([limiter, key]) => limiter.reward(key, 1)));
  const failure = refusals.find((reason) => !(reason instanceof RateLimiterRes));
  if (failure !== undefined) throw toStoreError(failure);
  const waitMillis = Math.max(...refusals.map((reason) => (reason as RateLimiterRes).msBeforeNext));
  throw rateLimited(waitMillis / 1000);
}

async function settle(operations: Array<Promise<unknown>>): Promise<void> {
  const results = await Promise.allSettled(operations);
  const failure = results.find((result) => result.status === 'rejected');
  if (failure) throw toStoreError((failure as PromiseRejectedResult).reason);
}
