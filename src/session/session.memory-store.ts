import { copySession, copyUser, type MemoryDatabase } from '../shared/memory-database';
import type { SessionRecord, SessionStore, SessionWithUser } from './session.store';

/** The in-process SessionStore: same contract as the Redis one, for a single process. */
export class MemorySessionStore implements SessionStore {
  constructor(private readonly db: MemoryDatabase) {}

  async createSession(session: SessionRecord, maxSessionsPerUser: number): Promise<string[]> {
    const sessions = this.db.liveSessionsOf(session.userId);
    sessions.set(session.id, copySession(session));
    this.db.sessionsByUser.set(session.userId, sessions);
    const evicted: string[] = [];
    const leastRecentlyUsedFirst = [...sessions.values()]
      .filter((other) => other.id !== session.id)
      .sort((a, b) => a.lastSeenAt.getTime() - b.lastSeenAt.getTime());
    for (const victim of leastRecentlyUsedFirst) {
      if (sessions.size <= maxSessionsPerUser) break;
      sessions.delete(victim.id);
      evicted.push(victim.id);
    }
    return evicted;
  }

  async findSessionWithUser(userId: string, sessionId: string): Promise<SessionWithUser> {
    const session = this.db.liveSessionsOf(userId).get(sessionId);
    const user = this.db.users.get(userId);
    return {
      session: session ? copySession(session) : null,
      user: user ? copyUser(user) : null,
    };
  }

  async touchSession(session: SessionRecord): Promise<boolean> {
    const sessions = this.db.liveSessionsOf(session.userId);
    if (!sessions.has(session.id)) return false;
    sessions.set(session.id, copySession(session));
    return true;
  }

  async listSessions(userId: string): Promise<SessionRecord[]> {
    return [...this.db.liveSessionsOf(userId).values()].map((session) => copySession(session));
  }

  async revokeSession(userId: string, sessionId: string): Promise<boolean> {
    return this.db.liveSessionsOf(userId).delete(sessionId);
  }

  async revokeUserSessions(userId: string, exceptSessionId?: string): Promise<number> {
    const sessions = this.db.liveSessionsOf(userId);
    let ended = 0;
    for (const sessionId of [...sessions.keys()]) {
      if (sessionId !== exceptSessionId) {
        sessions.delete(sessionId);
        ended++;
      }
    }
    return ended;
  }
}
