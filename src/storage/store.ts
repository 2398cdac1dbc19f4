import type { AccountEventStore } from './account-event-store';
import type { AttemptLimiter, AttemptLimiterOptions } from './attempt-limiter';
import type { DeviceStore } from './device-store';
import type { EmailTokenStore } from './email-token-store';
import type { SessionStore } from './session-store';
import type { UserStore } from './user-store';

export type StoreKind = 'redis' | 'memory';

/**
 * The storage port: users, sessions, known devices, mailed tokens, account audit trails and attempt counters in one keyspace, so that a
 * user's records can change together. Implementations live in storage/redis and
 * storage/memory; every one passes the same contract suite (test/contracts).
 */
export interface Store {
  kind: StoreKind;
  users: UserStore;
  sessions: SessionStore;
  devices: DeviceStore;
  tokens: EmailTokenStore;
  accountEvents: AccountEventStore;
  /** A limiter kept in this store (shared by every server process on Redis). */
  createAttemptLimiter(options: AttemptLimiterOptions): AttemptLimiter;
  /** Resolves when the store answers; throws StoreUnavailableError when it does not. */
  checkHealth(): Promise<void>;
}
