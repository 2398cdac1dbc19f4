import type { SessionEnd } from '../../session/session-end-reason';
import { SESSION_EVENT_RETENTION, type SessionEvent, type SessionRecord } from '../../session/session.model';
import type { CreateSessionOptions, CreateSessionResult, RevokeSessionOptions, SessionStore, SessionUpdateResult, SessionWithUser } from '../session-store';
import { copySession, copyUser, sameSession, type MemoryDatabase } from './memory-database';

/** The in-process SessionStore: same contract as the Redis one, for a single process. */
export class MemorySessionStore implements SessionStore {
  constructor(private readonly db: MemoryDatabase) {}

  async createSession(session: SessionRecord, options: CreateSessionOptions): Promise<CreateSessionResult> {
    if (this.db.users.get(session.userId)?.credentialVersion !== options.credentialVersion) return { created: false };
    const sessions = this.db.liveSessionsOf(session.userId);
    sessions.set(session.id, copySession(session));
    this.db.sessionsByUser.set(session.userId, sessions);
    const evicted: string[] = [];
    // Waiting for a second factor first, then the least recently used; a waiting session
    // (whose owner may be someone with the password alone) never ends a signed-in one.
    const victims = [...sessions.values()]
      .filter((other) => other.id !== session.id && (other.secondFactorPending || !session.secondFactorPending))
      .sort((a, b) => Number(b.secondFactorPending) - Number(a.secondFactorPending) || a.lastSeenAt.getTime() - b.lastSeenAt.getTime());
    for (const victim of victims) {
      if (sessions.size <= options.maxSessionsPerUser) break;
      this.db.endSession(session.userId, victim.id, { reason: 'evicted_over_cap', actorId: null });
      evicted.push(victim.id);
    }
    return { created: true, evicted };
  }

  async findSessionWithUser(userId: string, sessionId: string): Promise<SessionWithUser> {
    const session = this.db.liveSessionsOf(userId).get(sessionId);
    const user = this.db.users.get(userId);
    return {
      session: session ? copySession(session) : null,
      user: user ? copyUser(user) : null,
    };
  }

  async updateSession(previous: SessionRecord, next: SessionRecord): Promise<SessionUpdateResult> {
    const sessions = this.db.liveSessionsOf(next.userId);
    const current = sessions.get(next.id);
    if (!current) return 'gone';
    if (!sameSession(current, previous)) return 'changed';
    sessions.set(next.id, copySession(next));
    return 'updated';
  }

  async listSessions(userId: string): Promise<SessionRecord[]> {
    return [...this.db.liveSessionsOf(userId).values()].map((session) => copySession(session));
  }

  async revokeSession(userId: string, sessionId: string, end: SessionEnd, options: RevokeSessionOptions = {}): Promise<boolean> {
    const session = this.db.liveSessionsOf(userId).get(sessionId);
    if (session && options.secretHash !== undefined && session.secretHash !== options.secretHash) return false;
    return this.db.endSession(userId, sessionId, end);
  }

  async revokeUserSessions(userId: string, end: SessionEnd, exceptSessionId?: string): Promise<number> {
    return this.db.endSessionsExcept(userId, end, exceptSessionId);
  }

  async listSessionEvents(userId: string, limit: number): Promise<SessionEvent[]> {
    const count = Math.max(0, Math.min(limit, SESSION_EVENT_RETENTION.maxEventsPerUser));
    return this.db.sessionEventsOf(userId).slice(0, count);
  }
}
