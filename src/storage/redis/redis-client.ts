import { Cluster, Redis, type ClusterOptions, type RedisOptions } from 'ioredis';
import type { RedisStoreConfig } from '../../config';

export type RedisClient = Redis | Cluster;

/** How long one command may take before the request fails with SERVICE_UNAVAILABLE. */
const COMMAND_TIMEOUT_MILLIS = 1000;
const CONNECT_TIMEOUT_MILLIS = 1000;
const MAX_RECONNECT_DELAY_MILLIS = 1000;

/**
 * ioredis' defaults queue commands while disconnected and retry them for a long time
 * (a minute or more when Redis is down). A session server must instead answer 503 at
 * once and reconnect in the background, so: no offline queue, one retry, a command
 * timeout for a stalled server, and reconnection that never gives up.
 */
const FAIL_FAST_OPTIONS: RedisOptions = {
  enableOfflineQueue: false,
  maxRetriesPerRequest: 1,
  commandTimeout: COMMAND_TIMEOUT_MILLIS,
  connectTimeout: CONNECT_TIMEOUT_MILLIS,
  // Shutdown should not wait seconds on a server that is already gone.
  disconnectTimeout: 200,
  retryStrategy: (attempt) => Math.min(attempt * 100, MAX_RECONNECT_DELAY_MILLIS),
  /*
   * A master demoted to replica by a failover answers writes with READONLY while the
   * connection stays open: reconnect (through Sentinel, to the new master). The command
   * itself fails (SERVICE_UNAVAILABLE) rather than being resent: no offline queue.
   */
  reconnectOnError: (error) => (error.message.startsWith('READONLY') ? 1 : false),
  enableAutoPipelining: true,
  lazyConnect: true,
};

export function createRedisClient(store: RedisStoreConfig): RedisClient {
  switch (store.kind) {
    case 'redis':
      return new Redis(store.url, FAIL_FAST_OPTIONS);
    case 'sentinel':
      return new Redis({
        ...FAIL_FAST_OPTIONS,
        ...credentialsFrom(store.credentialsUrl),
        sentinels: store.sentinels,
        name: store.masterName,
        sentinelRetryStrategy: (attempt) => Math.min(attempt * 100, MAX_RECONNECT_DELAY_MILLIS),
        // Sentinels announce +switch-master: leave a master that stalled rather than crashed at once.
        failoverDetector: true,
      });
    case 'cluster': {
      const options: ClusterOptions = {
        enableOfflineQueue: false,
        enableAutoPipelining: true,
        lazyConnect: true,
        clusterRetryStrategy: (attempt) => Math.min(attempt * 100, MAX_RECONNECT_DELAY_MILLIS),
        redisOptions: { ...FAIL_FAST_OPTIONS, ...credentialsFrom(store.credentialsUrl) },
      };
      return new Cluster(store.nodes, options);
    }
  }
}

/** The nodes that hold the data: every master of a Cluster, or the one server. */
export function masterNodes(client: RedisClient): Redis[] {
  return client instanceof Cluster ? client.nodes('master') : [client];
}

/** Opens the connection, giving up (without throwing) after `timeoutMillis`. */
export async function connectRedisClient(client: RedisClient, timeoutMillis: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), timeoutMillis);
  });
  const connected = client.connect().then(
    () => true,
    () => false,
  );
  try {
    return await Promise.race([connected, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

function credentialsFrom(url: string | undefined): Pick<RedisOptions, 'username' | 'password' | 'db' | 'tls'> {
  if (!url) return {};
  const parsed = new URL(url);
  const database = parsed.pathname.replace(/^\//, '');
  return {
    ...(parsed.username ? { username: decodeURIComponent(parsed.username) } : {}),
    ...(parsed.password ? { password: decodeURIComponent(parsed.password) } : {}),
    ...(database ? { db: Number(database) } : {}),
    ...(parsed.protocol === 'rediss:' ? { tls: {} } : {}),
  };
}
