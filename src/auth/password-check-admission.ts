import { AppError, ErrorCode, rateLimited } from '../shared/app-error';

export interface PasswordCheckLimits {
  /** Password checks waiting or running in this process, in all. */
  maxQueued: number;
  /** ...for one client address (an IPv6 /64 counts as one). */
  maxPerClient: number;
  /** ...for one account (by normalized email, known or not). */
  maxPerAccount: number;
}

/** Who a password check is for. */
export interface PasswordClaimant {
  client: string;
  account: string;
}

/** A refused check can try again about this soon: a check takes a fraction of a second. */
const RETRY_AFTER_SECONDS = 1;

/**
 * Bounds the line of password checks waiting for bcrypt in this process (PasswordHasher
 * runs them a few at a time): no client or account can hold more than a few places, and
 * the whole line is bounded, so that one client keeping a hundred logins in flight cannot
 * make everyone else's wait seconds. What does not fit is refused at once: RATE_LIMITED
 * for a client or account over its share, SERVICE_UNAVAILABLE (503) when the line is full.
 */
export class PasswordCheckAdmission {
  private queued = 0;
  private readonly perClient = new Map<string, number>();
  private readonly perAccount = new Map<string, number>();

  constructor(private readonly limits: PasswordCheckLimits) {}

  /** Takes a place in the line, or refuses; the returned function gives it back (call it once). */
  enter(claimant: PasswordClaimant): () => void {
    if ((this.perClient.get(claimant.client) ?? 0) >= this.limits.maxPerClient || (this.perAccount.get(claimant.account) ?? 0) >= this.limits.maxPerAccount) {
      throw rateLimited(RETRY_AFTER_SECONDS);
    }
    if (this.queued >= this.limits.maxQueued) {
      throw new AppError(ErrorCode.SERVICE_UNAVAILABLE, 'The server is busy checking passwords. Try again shortly.', { retryAfterSeconds: RETRY_AFTER_SECONDS });
    }
    this.queued++;
    increment(this.perClient, claimant.client, 1);
    increment(this.perAccount, claimant.account, 1);
    let left = false;
    return () => {
      if (left) return;
      left = true;
      this.queued--;
      increment(this.perClient, claimant.client, -1);
      increment(this.perAccount, claimant.account, -1);
    };
  }
}

function increment(counts: Map<string, number>, key: string, by: number): void {
  const next = (counts.get(key) ?? 0) + by;
  if (next === 0) counts.delete(key);
  else counts.set(key, next);
}
