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
  };
}

export function createMemoryStore(options: { clock: Clock }): Store & { close(): void } {
  const db = new MemoryDatabase(options.clock);
  return {
    kind: 'memory',
    users: new MemoryUserStore(db),
    sessions: new MemorySessionStore(db),
    checkHealth: async () => {},
    close: () => db.close(),
  };
}
