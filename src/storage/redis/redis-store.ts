import { RateLimiterRedis } from 'rate-limiter-flexible';
import type { Clock } from '../../shared/clock';
import { rateLimiterAttemptLimiter } from '../rate-limiter-attempt-limiter';
import type { Store } from '../store';
import { RedisAccountEventStore } from './redis-account-event-store';
import { callStore, toStoreError } from './errors';
import { RedisKeyspace } from './keyspace';
import type { RedisClient } from './redis-client';
import { RedisDeviceStore } from './redis-device-store';
import { RedisEmailTokenStore } from './redis-email-token-store';
import { RedisSessionStore } from './redis-session-store';
import { RedisUserStore } from './redis-user-store';

/** The store on a Redis (standalone, Sentinel or Cluster client); every key starts with `keyPrefix`. */
export function createRedisStore(options: { redis: RedisClient; clock: Clock; keyPrefix?: string }): Store {
  const keys = new RedisKeyspace(options.keyPrefix);
  return {
    kind: 'redis',
    users: new RedisUserStore(options.redis, keys, options.clock),
    sessions: new RedisSessionStore(options.redis, keys, options.clock),
    devices: new RedisDeviceStore(options.redis, keys, options.clock),
    tokens: new RedisEmailTokenStore(options.redis, keys, options.clock),
    accountEvents: new RedisAccountEventStore(options.redis, keys, options.clock),
    createAttemptLimiter: (limiter) =>
      rateLimiterAttemptLimiter(
        new RateLimiterRedis({
          storeClient: options.redis,
          keyPrefix: `${keys.prefix}rl:${limiter.name}`,
          points: limiter.points,
          duration: limiter.windowSeconds,
        }),
        toStoreError,
      ),
    checkHealth: async () => {
      await callStore(() => options.redis.ping());
    },
  };
}
