import type { Logger } from 'pino';
import type { Config } from '../config';
import type { Clock } from './clock';
import { connectRedisClient, createRedisClient, type RedisClient } from './redis-client';
import { warnAboutRedisDurability } from './redis-durability-check';
import { createMemoryStore, createRedisStore, type Store } from './store';

const INITIAL_CONNECT_TIMEOUT_MILLIS = 5000;
const RESTART_DELAY_MILLIS = 100;

export interface OpenedStore {
  store: Store;
  /** The Redis client under a Redis store (for operators' checks and tests); null in memory. */
  redis: RedisClient | null;
  close(): Promise<void>;
}

/** Opens the configured store; with Redis, starts even if it is down (readiness says so). */
export async function openStore(config: Config, clock: Clock, logger: Logger): Promise<OpenedStore> {
  if (config.store.kind === 'memory') {
    logger.warn(
      'no REDIS_URL, REDIS_CLUSTER_NODES or REDIS_SENTINELS: using the in-process store; sessions are lost on restart and not shared between processes',
    );
    const store = createMemoryStore({ clock });
    return { store, redis: null, close: async () => store.close() };
  }
  const redis = createRedisClient(config.store);
  let reachable = true;
  redis.on('error', (error: Error) => {
    if (reachable) logger.warn({ err: { message: error.message } }, 'session store connection failed; retrying');
    reachable = false;
  });
  redis.on('ready', () => {
    if (!reachable) logger.info('session store connection restored');
    reachable = true;
  });
  let closing = false;
  redis.on('end', () => {
    if (closing) return;
    /*
     * The retry strategies never give up, so an end we did not ask for is ioredis' Sentinel
     * failover detector closing the connector in the middle of a reconnection (a
     * +switch-master arriving between two attempts): the client would stay closed for
     * good. Start it again.
     */
    logger.warn('session store client closed unexpectedly; reconnecting');
    setTimeout(() => {
      if (!closing) redis.connect().catch(() => {});
    }, RESTART_DELAY_MILLIS).unref();
  });
  if (!(await connectRedisClient(redis, INITIAL_CONNECT_TIMEOUT_MILLIS))) {
    logger.warn('session store not reachable at start; requests get 503 and /readyz reports it until it is');
    redis.once('ready', () => void warnAboutRedisDurability(redis, logger));
  } else {
    logger.info({ store: config.store.kind }, 'session store connected');
    await warnAboutRedisDurability(redis, logger);
  }
  return {
    store: createRedisStore({ redis, clock, keyPrefix: config.redisKeyPrefix }),
    redis,
    close: async () => {
      closing = true;
      await redis.quit().catch(() => {});
      // Also closes what QUIT leaves open: the Sentinel failover detector's subscriptions.
      redis.disconnect();
    },
  };
}
