import type { SessionRecord } from '../session/session.store';
import type { UserRecord } from '../user/user.store';
import type { Clock } from './clock';

const SWEEP_INTERVAL_MILLIS = 60_000;

/**
 * The in-process store's state: what Redis holds in the Redis store, here in Maps.
 * JavaScript runs one callback at a time, so each store method, being synchronous on
 * this state, is atomic just as the Redis scripts are.
 */
export class MemoryDatabase {
  readonly users = new Map<string, UserRecord>();
  /** normalized email → user id */
  readonly userIdsByEmail = new Map<string, string>();
  /** user id → session id → session; the inner Map is the per-user index. */
  readonly sessionsByUser = new Map<string, Map<string, SessionRecord>>();
  private readonly sweeper: NodeJS.Timeout;

  constructor(readonly clock: Clock) {
    // Sessions of users who never come back would otherwise stay forever.
    this.sweeper = setInterval(() => this.sweepExpiredSessions(), SWEEP_INTERVAL_MILLIS);
    this.sweeper.unref();
  }

  /** The user's sessions after removing the expired ones (creating the index if asked). */
  liveSessionsOf(userId: string): Map<string, SessionRecord> {
    const sessions = this.sessionsByUser.get(userId) ?? new Map<string, SessionRecord>();
    const now = this.clock.now().getTime();
    for (const [sessionId, session] of sessions) {
      if (session.expiresAt.getTime() <= now) sessions.delete(sessionId);
    }
    if (sessions.size === 0) this.sessionsByUser.delete(userId);
    return sessions;
  }

  sweepExpiredSessions(): void {
    for (const userId of [...this.sessionsByUser.keys()]) this.liveSessionsOf(userId);
  }

  close(): void {
    clearInterval(this.sweeper);
  }
}

/*
 * Records are copied in and out so that callers never share mutable state with the
 * store, as with a real database. Explicit copies rather than structuredClone: Dates
 * must stay instances of this realm's Date (which structuredClone does not promise under
 * jest's VM contexts, and GraphQL's DateTime scalar checks `instanceof Date`).
 */
export function copySession(session: SessionRecord): SessionRecord {
  return {
    ...session,
    createdAt: new Date(session.createdAt.getTime()),
    lastSeenAt: new Date(session.lastSeenAt.getTime()),
    expiresAt: new Date(session.expiresAt.getTime()),
    absoluteExpiresAt: new Date(session.absoluteExpiresAt.getTime()),
  };
}

export function copyUser(user: UserRecord): UserRecord {
  return { ...user, roles: [...user.roles], createdAt: new Date(user.createdAt.getTime()) };
}
