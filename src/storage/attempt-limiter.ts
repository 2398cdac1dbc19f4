/** A budget of attempts per key (an email, a client IP, both) over a fixed window. */
export interface AttemptLimiterOptions {
  /** Distinguishes this limiter's keys from every other's. */
  name: string;
  /** Attempts allowed per key within the window. */
  points: number;
  windowSeconds: number;
}

export type AttemptVerdict =
  | { allowed: true; consumed: number }
  /** No attempt left: the earliest one could succeed after `retryAfterMillis`. */
  | { allowed: false; retryAfterMillis: number };

/**
 * Counts attempts in the store, so that every server process shares the counts. A store
 * failure is StoreUnavailableError: never "not limited".
 */
export interface AttemptLimiter {
  readonly points: number;
  /** Takes one attempt from the key's budget, or refuses when none is left (or it is blocked). */
  consume(key: string): Promise<AttemptVerdict>;
  /** Gives one attempt back (a success that should not count). */
  refund(key: string): Promise<void>;
  /** Forgets the key's attempts and any block. */
  reset(key: string): Promise<void>;
  /** Refuses the key for `seconds` whatever its count. */
  block(key: string, seconds: number): Promise<void>;
  /** The key's state without changing it: attempts used, and how long until the window (or block) ends. */
  peek(key: string): Promise<{ consumed: number; retryAfterMillis: number } | null>;
}
