import { randomBytes } from 'node:crypto';
import { Redis, type Cluster } from 'ioredis';
import { globEscape } from '../../src/storage/redis/keyspace';
import { masterNodes } from '../../src/storage/redis/redis-client';

/** The URL of the Redis that jest's global setup provisioned for this run. */
export function testRedisUrl(): string {
  const url = process.env.REDIS_URL_FOR_TESTS;
  // Without this check ioredis would fall back to 127.0.0.1:6379: a Redis tests do not own.
  if (!url) throw new Error('REDIS_URL_FOR_TESTS is not set: run the tests through jest, whose global setup provisions Redis');
  return url;
}

/**
 * An ioredis client for the test Redis, connected. Fails fast (one retry per command, a
 * few reconnection attempts) so that a lost Redis fails the test rather than hanging it.
 * Call `disconnect()` (or `quit()`) when done.
 */
export async function connectTestRedis(): Promise<Redis> {
  const client = new Redis(testRedisUrl(), {
    lazyConnect: true,
    maxRetriesPerRequest: 1,
    connectTimeout: 2000,
    commandTimeout: 5000,
    retryStrategy: (attempt) => (attempt > 5 ? null : attempt * 100),
  });
  await client.connect();
  return client;
}

/**
 * A key prefix no other test (or run, or other user of a shared REDIS_URL) uses:
 * `test:<label>:<random>:`. It has no hash-tag braces, which the keyspace refuses.
 */
export function uniqueKeyPrefix(label: string): string {
  const safeLabel = label.replace(/[^A-Za-z0-9_-]+/g, '-');
  return `test:${safeLabel}:${randomBytes(6).toString('hex')}:`;
}

/**
 * Every key that starts with `prefix`, sorted. SCAN, not KEYS: the Redis may be shared
 * and KEYS blocks it for as long as it walks the whole keyspace. On a Cluster, every
 * master is scanned (SCAN sees one node's keys only).
 */
export async function listKeys(redis: Redis | Cluster, prefix: string): Promise<string[]> {
  const keys = new Set<string>();
  for (const node of masterNodes(redis)) {
    let cursor = '0';
    do {
      const [next, batch] = await node.scan(cursor, 'MATCH', `${globEscape(prefix)}*`, 'COUNT', 1000);
      for (const key of batch) keys.add(key);
      cursor = next;
    } while (cursor !== '0');
  }
  return [...keys].sort();
}

/**
 * Deletes this test's keys and nothing else (never FLUSHDB: a Redis given through
 * REDIS_URL may hold other data). Returns how many keys were deleted.
 */
export async function deleteKeysWithPrefix(redis: Redis | Cluster, prefix: string): Promise<number> {
  const keys = await listKeys(redis, prefix);
  let deleted = 0;
  // One key per command (on a Cluster the keys live in different slots), pipelined in batches.
  for (let start = 0; start < keys.length; start += 500) {
    const counts = await Promise.all(keys.slice(start, start + 500).map((key) => redis.unlink(key)));
    deleted += counts.reduce((sum, count) => sum + count, 0);
  }
  return deleted;
}

/** Every value under the prefix (strings, sorted sets, and any other type), as one text. */
export async function dumpValues(redis: Redis | Cluster, prefix: string): Promise<string> {
  const parts: string[] = [];
  for (const key of await listKeys(redis, prefix)) {
    const type = await redis.type(key);
    switch (type) {
      case 'string':
        parts.push(key, (await redis.get(key)) ?? '');
        break;
      case 'zset':
        parts.push(key, ...(await redis.zrange(key, 0, -1, 'WITHSCORES')));
        break;
      case 'hash':
        parts.push(key, ...Object.entries(await redis.hgetall(key)).flat());
        break;
      case 'set':
        parts.push(key, ...(await redis.smembers(key)));
        break;
      case 'list':
        parts.push(key, ...(await redis.lrange(key, 0, -1)));
        break;
      default:
        throw new Error(`unexpected ${type} at ${key}: teach dumpValues to read it`);
    }
  }
  return parts.join('\n');
}
