import { RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import type { AttemptLimiter, AttemptVerdict } from './attempt-limiter';

/**
 * An AttemptLimiter over rate-limiter-flexible, whichever of its stores the adapter gives
 * it (RateLimiterRedis, RateLimiterMemory). The library rejects a refused consume with a
 * RateLimiterRes and a store failure with an Error; `storeError` turns the latter into the
 * store's StoreUnavailableError.
 */
export function rateLimiterAttemptLimiter(limiter: RateLimiterAbstract, storeError: (error: unknown) => unknown): AttemptLimiter {
  const call = async <T>(operation: () => Promise<T>): Promise<T> => {
    try {
      return await operation();
    } catch (error) {
      throw storeError(error);
    }
  };
  return {
    points: limiter.points,
    consume: async (key): Promise<AttemptVerdict> => {
      try {
        const result = await limiter.consume(key, 1);
        return { allowed: true, consumed: result.consumedPoints };
      } catch (error) {
        if (error instanceof RateLimiterRes) return { allowed: false, retryAfterMillis: error.msBeforeNext };
        throw storeError(error);
      }
    },
    refund: async (key) => {
      await call(() => limiter.reward(key, 1));
    },
    reset: async (key) => {
      await call(() => limiter.delete(key));
    },
    block: async (key, seconds) => {
      await call(() => limiter.block(key, seconds));
    },
    peek: async (key) => {
      const state = await call(() => limiter.get(key));
      return state ? { consumed: state.consumedPoints, retryAfterMillis: state.msBeforeNext } : null;
    },
  };
}
