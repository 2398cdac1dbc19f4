import { rateLimited } from '../shared/app-error';
import type { AttemptLimiter } from '../storage/attempt-limiter';

/**
 * Reserves an attempt on each limiter. When any refuses, the reservations taken from the
 * others are given back (a refused attempt costs nothing more) and RATE_LIMITED says when
 * the longest wait ends: at most an entry's cap (the consecutive-failure limiter's is its
 * block, since a window full of attempts still in flight frees up long before it ends). A
 * store failure propagates as StoreUnavailableError, never "not limited".
 */
export async function reserveAll(entries: Array<[limiter: AttemptLimiter, key: string, maxRetryMillis?: number]>): Promise<void> {
  const results = await Promise.allSettled(entries.map(([limiter, key]) => limiter.consume(key)));
  const failure = results.find((result) => result.status === 'rejected');
  const refusals = results.flatMap((result, index) =>
    result.status === 'fulfilled' && !result.value.allowed ? [Math.min(result.value.retryAfterMillis, entries[index]![2] ?? Number.POSITIVE_INFINITY)] : [],
  );
  if (!failure && refusals.length === 0) return;
  await settle(
    entries
      .filter((_, index) => {
        const result = results[index]!;
        return result.status === 'fulfilled' && result.value.allowed;
      })
      .map(([limiter, key]) => limiter.refund(key)),
  );
  if (failure) throw (failure as PromiseRejectedResult).reason;
  throw rateLimited(Math.max(...refusals) / 1000);
}

/** Runs the operations to the end, then throws the first failure, if any. */
export async function settle(operations: Array<Promise<unknown>>): Promise<void> {
  const results = await Promise.allSettled(operations);
  const failure = results.find((result) => result.status === 'rejected');
  if (failure) throw (failure as PromiseRejectedResult).reason;
}
