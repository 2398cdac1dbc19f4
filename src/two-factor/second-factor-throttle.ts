import { reserveAll, settle } from '../auth/attempt-reservations';
import type { AttemptLimiter } from '../storage/attempt-limiter';
import type { Store } from '../storage/store';
import { TWO_FACTOR_LIMITS } from './two-factor.model';

/** A reserved code attempt: a wrong code keeps the reservation, a right one gives it back. */
export interface CodeAttempt {
  /** The code was right: the reservations are given back (only failures count). */
  succeeded(): Promise<void>;
}

/**
 * Throttles second-factor codes per session and per user (an hourly and a daily budget),
 * reserved before the code is checked, as LoginThrottle does for passwords: a burst of
 * parallel guesses gets no more through than the budget. Kept in the store, so shared by
 * every server process. One guess in about 330,000 is right (three TOTP codes are valid
 * at a time): a year of guessing at the daily budget has about a 5% chance, and needs the
 * password for every new session.
 *
 * A known device that has completed a sign-in with this second factor has the hourly and
 * daily budgets of its own, as for passwords: someone who has only the password can spend
 * the account's budgets, but not hold back the owner's own browsers and apps. Such a device
 * cannot be made with the password alone (devices become known when a sign-in completes).
 */
export class SecondFactorThrottle {
  private readonly perSession: AttemptLimiter;
  private readonly perUserHour: AttemptLimiter;
  private readonly perUserDay: AttemptLimiter;

  constructor(store: Store) {
    this.perSession = store.createAttemptLimiter({
      name: 'second-factor-session',
      points: TWO_FACTOR_LIMITS.attemptsPerSession,
      windowSeconds: TWO_FACTOR_LIMITS.attemptsPerSessionWindowSeconds,
    });
    this.perUserHour = store.createAttemptLimiter({ name: 'second-factor-user-hour', points: TWO_FACTOR_LIMITS.attemptsPerUserHour, windowSeconds: 3600 });
    this.perUserDay = store.createAttemptLimiter({ name: 'second-factor-user-day', points: TWO_FACTOR_LIMITS.attemptsPerUserDay, windowSeconds: 86_400 });
  }

  /** Reserves an attempt for this session and user (or device); RATE_LIMITED (retryAfterSeconds) when a budget is spent. */
  async begin(subject: { userId: string; sessionId: string; knownDeviceId: string | null }): Promise<CodeAttempt> {
    const budget = subject.knownDeviceId ? `device|${subject.userId}|${subject.knownDeviceId}` : subject.userId;
    const entries: Array<[AttemptLimiter, string]> = [
      [this.perSession, subject.sessionId],
      [this.perUserHour, budget],
      [this.perUserDay, budget],
    ];
    await reserveAll(entries);
    return { succeeded: () => settle(entries.map(([limiter, key]) => limiter.refund(key))) };
  }
}
