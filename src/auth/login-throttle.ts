import { createHash } from 'node:crypto';
import { isIPv6 } from 'node:net';
import type { AttemptLimiter } from '../storage/attempt-limiter';
import { reserveAll, settle } from './attempt-reservations';
import type { Store } from '../storage/store';
import { normalizeEmail } from '../user/user.model';

export interface ThrottleSettings {
  maxConsecutiveFailures: number;
  maxFailuresPerEmailHour: number;
  maxFailuresPerIpDay: number;
  maxSignUpsPerIpHour: number;
}

/** After LOGIN_MAX_CONSECUTIVE_FAILURES, an email + IP pair (or a known device) is refused this long. */
export const CONSECUTIVE_FAILURES_BLOCK_SECONDS = 15 * 60;
/** Consecutive failures are forgotten after a day without a success resetting them. */
const CONSECUTIVE_FAILURES_WINDOW_SECONDS = 24 * 3600;

/** Who is making a password attempt. */
export interface AttemptSubject {
  email: string;
  ipAddress: string | null;
  /** A known device of the account (it presented a valid device token): its attempts have their own budget. */
  knownDevice: { userId: string; deviceId: string } | null;
}

export interface PasswordAttempt {
  /** The password was right: the reservations are given back, the consecutive failures forgotten. */
  succeeded(): Promise<void>;
  /** The password was wrong: the reservations stand as failures; the last one allowed blocks for 15 minutes. */
  failed(): Promise<void>;
}

/**
 * Throttles password checks (login, and changePassword's current password) and sign-ups,
 * with attempt limiters kept in the store, so every server process shares them. A refused
 * attempt never reaches bcrypt.
 *
 * Every limit is reserved *before* the password is checked: a failure then keeps its
 * reservation, a success gives it back. Counted after the check, a burst of parallel
 * guesses would all be checked before any failure was recorded; reserved, at most the
 * limit get through, however many arrive at once.
 *
 * A client that presents a valid device token for the account (the OWASP "device cookie")
 * is counted on that device's budget alone: the per-email and per-IP budgets that an
 * attacker can exhaust from elsewhere never lock the account's owner out on their own
 * devices.
 */
export class LoginThrottle {
  private readonly consecutiveFailures: AttemptLimiter;
  private readonly failuresPerHour: AttemptLimiter;
  private readonly failuresPerIp: AttemptLimiter;
  private readonly signUpsPerIp: AttemptLimiter;

  constructor(store: Store, settings: ThrottleSettings) {
    this.consecutiveFailures = store.createAttemptLimiter({
      name: 'login-consecutive',
      points: settings.maxConsecutiveFailures,
      windowSeconds: CONSECUTIVE_FAILURES_WINDOW_SECONDS,
    });
    // Per email for unknown clients, per device for known ones.
    this.failuresPerHour = store.createAttemptLimiter({ name: 'login-email', points: settings.maxFailuresPerEmailHour, windowSeconds: 3600 });
    this.failuresPerIp = store.createAttemptLimiter({ name: 'login-ip', points: settings.maxFailuresPerIpDay, windowSeconds: 86_400 });
    this.signUpsPerIp = store.createAttemptLimiter({ name: 'signup-ip', points: settings.maxSignUpsPerIpHour, windowSeconds: 3600 });
  }

  /**
   * Reserves a password attempt on every limit that applies; throws RATE_LIMITED (with
   * retryAfterSeconds) when one is exhausted, reserving nothing.
   */
  async beginPasswordAttempt(subject: AttemptSubject): Promise<PasswordAttempt> {
    const email = digest(normalizeEmail(subject.email));
    const ip = throttledAddress(subject.ipAddress);
    const consecutiveKey = subject.knownDevice ? `device|${subject.knownDevice.userId}|${subject.knownDevice.deviceId}` : `${email}|${ip}`;
    const budgets: Array<[limiter: AttemptLimiter, key: string]> = subject.knownDevice
      ? [[this.failuresPerHour, consecutiveKey]]
      : [
          [this.failuresPerHour, email],
          [this.failuresPerIp, ip],
        ];
    await reserveAll([[this.consecutiveFailures, consecutiveKey, CONSECUTIVE_FAILURES_BLOCK_SECONDS * 1000], ...budgets]);
    return {
      succeeded: async () => {
        await settle([this.consecutiveFailures.reset(consecutiveKey), ...budgets.map(([limiter, key]) => limiter.refund(key))]);
      },
      failed: async () => {
        const state = await this.consecutiveFailures.peek(consecutiveKey);
        if (state && state.consumed >= this.consecutiveFailures.points) {
          await this.consecutiveFailures.block(consecutiveKey, CONSECUTIVE_FAILURES_BLOCK_SECONDS);
        }
      },
    };
  }

  /** Counts a sign-up from this IP; throws RATE_LIMITED over the hourly limit. */
  async countSignUp(ipAddress: string | null): Promise<void> {
    await reserveAll([[this.signUpsPerIp, throttledAddress(ipAddress)]]);
  }
}

/** Emails are hashed: limiter keys hold no personal data and have a bounded length. */
function digest(text: string): string {
  return createHash('sha256').update(text).digest('base64url');
}

/**
 * The address a client is throttled by: an IPv4 address, or an IPv6 address's /64 network
 * (one subscriber's whole allocation: counted per address, it would have 2^64 budgets).
 */
export function throttledAddress(ipAddress: string | null): string {
  if (ipAddress === null) return 'unknown';
  if (!isIPv6(ipAddress)) return ipAddress;
  const [head = '', tail = ''] = ipAddress.split('%')[0]!.toLowerCase().split('::');
  const headGroups = head === '' ? [] : head.split(':');
  const tailGroups = tail === '' ? [] : tail.split(':');
  const groups = ipAddress.includes('::') ? [...headGroups, ...Array<string>(8 - headGroups.length - tailGroups.length).fill('0'), ...tailGroups] : headGroups;
  return `${groups.slice(0, 4).map((group) => group.replace(/^0+(?=.)/, '')).join(':')}::/64`;
}
