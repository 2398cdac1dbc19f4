import type { Logger } from 'pino';
import type { RedisStoreConfig } from '../../config';
import type { Clock } from '../../shared/clock';
import type { OpenedStore } from '../open-store';
import { warnAboutRedisDurability } from './durability-check';
import { connectRedisClient, createRedisClient } from './redis-client';
import { RedisKeyspace } from './keyspace';
import { createRedisStore } from './redis-store';
import { migrateSessionLayout } from './session-layout-migration';

const INITIAL_CONNECT_TIMEOUT_MILLIS = 5000;
const RESTART_DELAY_MILLIS = 100;

/**
 * Connects to the configured Redis (standalone, Sentinel or Cluster) and builds the store on
 * it. Starts even when Redis is down: requests get 503 and /readyz reports it until it is up.
 */
export async function openRedisStore(
  storeConfig: RedisStoreConfig,
  options: { keyPrefix: string; clock: Clock; logger: Logger },
): Promise<OpenedStore> {
  const { logger } = options;
  const redis = createRedisClient(storeConfig);
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
  const keys = new RedisKeyspace(options.keyPrefix);
  const prepare = async () => {
    await warnAboutRedisDurability(redis, logger);
    await migrateSessionLayout(redis, keys, options.clock, logger);
  };
  if (!(await connectRedisClient(redis, INITIAL_CONNECT_TIMEOUT_MILLIS))) {
    logger.warn('session store not reachable at start; requests get 503 and /readyz reports it until it is');
    redis.once('ready', () => {
      prepare().catch((error: unknown) => logger.error({ err: { message: error instanceof Error ? error.message : String(error) } }, 'could not move sessions to the current layout'));
    });
  } else {
    logger.info({ store: storeConfig.kind }, 'session store connected');
    await prepare();
  }
  return {
    store: createRedisStore({ redis, clock: options.clock, keyPrefix: options.keyPrefix }),
    redis,
    close: async () => {
      closing = true;
      await redis.quit().catch(() => {});
      // Also closes what QUIT leaves open: the Sentinel failover detector's subscriptions.
      redis.disconnect();
    },
  };
}
