import { Redis } from 'ioredis';
import { findOnPath, startRedisServer } from '../../test/support/global-setup';

export interface BenchRedis {
  url: string;
  /** A plain client for the benchmark's own measurements (INFO, MONITOR), never for the server's work. */
  admin: Redis;
  stop(): Promise<void>;
}

/**
 * A private redis-server on a free loopback port, started the way the test suite starts
 * one: a benchmark must never touch (or be disturbed by) a Redis it does not own.
 */
export async function startBenchRedis(): Promise<BenchRedis> {
  const executable = await findOnPath('redis-server');
  if (!executable) throw new Error('the benchmarks start their own Redis: install redis-server (apt-get install -y redis-server)');
  const server = await startRedisServer(executable);
  const admin = new Redis(server.url, { maxRetriesPerRequest: 1, commandTimeout: 30_000 });
  return {
    url: server.url,
    admin,
    stop: async () => {
      admin.disconnect();
      await server.stop();
    },
  };
}

/** One INFO section as numbers and strings by field name. */
export async function readInfo(redis: Redis, section: string): Promise<Map<string, string>> {
  const fields = new Map<string, string>();
  for (const line of (await redis.info(section)).split('\r\n')) {
    const separator = line.indexOf(':');
    if (separator > 0 && !line.startsWith('#')) fields.set(line.slice(0, separator), line.slice(separator + 1));
  }
  return fields;
}

export async function usedMemoryBytes(redis: Redis): Promise<number> {
  return Number((await readInfo(redis, 'memory')).get('used_memory'));
}
