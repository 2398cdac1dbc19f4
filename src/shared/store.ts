import { RateLimiterMemory, RateLimiterRedis, type RateLimiterAbstract } from 'rate-limiter-flexible';
import type { SessionStore } from '../session/session.store';
import { MemorySessionStore } from '../session/session.memory-store';
import { RedisSessionStore } from '../session/session.redis-store';
import type { UserStore } from '../user/user.store';
import { MemoryUserStore } from '../user/user.memory-store';
import { RedisUserStore } from '../user/user.redis-store';
import type { Clock } from './clock';
import { MemoryDatabase } from './memory-database';
import type { RedisClient } from './redis-client';
import { callStore } from './redis-errors';
import { RedisKeyspace } from './redis-keyspace';

/** Users and sessions in one keyspace, so that a user's keys can change together. */
export interface Store {
  kind: 'redis' | 'memory';
  users: UserStore;
  sessions: SessionStore;
  /** Resolves when the store answers; throws StoreUnavailableError when it does not. */
  checkHealth(): Promise<void>;
  /** A rate limiter kept in the same store (shared by every server process on Redis). */
  createRateLimiter(options: RateLimiterOptions): RateLimiterAbstract;
}

export interface RateLimiterOptions {
  /** Distinguishes this limiter's keys from every other's. */
  name: string;
  points: number;
  durationSeconds: number;
  /** How long a key stays refused once it went over its points (0: until the window ends). */
  blockSeconds?: number;
}

export function createRedisStore(options: { redis: RedisClient; clock: Clock; keyPrefix?: string }): Store {
  const keys = new RedisKeyspace(options.keyPrefix);
  return {
    kind: 'redis',
    users: new RedisUserStore(options.redis, keys, options.clock),
    sessions: new RedisSessionStore(options.redis, keys, options.clock),
    checkHealth: async () => {
      await callStore(() => options.redis.ping());
    },
    createRateLimiter: (limiter) =>
      new RateLimiterRedis({
        storeClient: options.redis,
        keyPrefix: `${keys.prefix}rl:${limiter.name}`,
        points: limiter.points,
        duration: limiter.durationSeconds,
        blockDuration: limiter.blockSeconds ?? 0,
      }),
  };
}

export function createMemoryStore(options: { clock: Clock }): Store & { close(): void } {
  const db = new MemoryDatabase(options.clock);
  return {
    kind: 'memory',
    users: new MemoryUserStore(db),
    sessions: new MemorySessionStore(db),
    checkHealth: async () => {},
    createRateLimiter: (limiter) =>
      new RateLimiterMemory({
        keyPrefix: limiter.name,
        points: limiter.points,
        duration: limiter.durationSeconds,
        blockDuration: limiter.blockSeconds ?? 0,
      }),
    close: () => db.close(),
  };
}
