import type { Logger } from 'pino';
import type { Config } from '../config';
import type { Clock } from '../shared/clock';
import { createMemoryStore } from './memory/memory-store';
import { openRedisStore } from './redis/open-redis-store';
import type { RedisClient } from './redis/redis-client';
import type { Store } from './store';

export interface OpenedStore {
  store: Store;
  /** The Redis client under a Redis store (for operators' checks and tests); null otherwise. */
  redis: RedisClient | null;
  close(): Promise<void>;
}

/** Opens the store the configuration names: the one place that knows every kind of store. */
export async function openStore(config: Config, clock: Clock, logger: Logger): Promise<OpenedStore> {
  if (config.store.kind === 'memory') {
    logger.warn(
      'no REDIS_URL, REDIS_CLUSTER_NODES or REDIS_SENTINELS: using the in-process store; sessions are lost on restart and not shared between processes',
    );
    const store = createMemoryStore({ clock });
    return { store, redis: null, close: async () => store.close() };
  }
  return openRedisStore(config.store, { keyPrefix: config.redisKeyPrefix, clock, logger });
}
