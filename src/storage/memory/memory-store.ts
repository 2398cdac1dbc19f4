import { RateLimiterMemory } from 'rate-limiter-flexible';
import type { Clock } from '../../shared/clock';
import { MemoryAccountEventStore } from './memory-account-event-store';
import { rateLimiterAttemptLimiter } from '../rate-limiter-attempt-limiter';
import type { Store } from '../store';
import { MemoryDatabase } from './memory-database';
import { MemoryDeviceStore } from './memory-device-store';
import { MemoryEmailTokenStore } from './memory-email-token-store';
import { MemorySessionStore } from './memory-session-store';
import { MemoryUserStore } from './memory-user-store';

/** The in-process store: one process's Maps, lost on restart; the same contract as Redis. */
export function createMemoryStore(options: { clock: Clock }): Store & { close(): void } {
  const db = new MemoryDatabase(options.clock);
  return {
    kind: 'memory',
    users: new MemoryUserStore(db),
    sessions: new MemorySessionStore(db),
    devices: new MemoryDeviceStore(db),
    tokens: new MemoryEmailTokenStore(db),
    accountEvents: new MemoryAccountEventStore(db),
    createAttemptLimiter: (limiter) =>
      rateLimiterAttemptLimiter(
        new RateLimiterMemory({ keyPrefix: limiter.name, points: limiter.points, duration: limiter.windowSeconds }),
        (error) => error,
      ),
    checkHealth: async () => {},
    close: () => db.close(),
  };
}
