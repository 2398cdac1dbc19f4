import { SESSION_END_REASONS, type SessionEnd } from '../../session/session-end-reason';
import { SESSION_EVENT_RETENTION, type SessionEvent, type SessionRecord } from '../../session/session.model';
import type { Clock } from '../../shared/clock';
import type { CreateSessionOptions, CreateSessionResult, RevokeSessionOptions, SessionStore, SessionUpdateResult, SessionWithUser } from '../session-store';
import { callStore } from './errors';
import type { RedisKeyspace } from './keyspace';
import { decodeSessionEvent, decodeSessionRecord, decodeUserRecord, encodeSessionRecord } from './records';
import type { RedisClient } from './redis-client';
import { scriptRunner, type ScriptRunner } from './script-runner';
import {
  CREATE_SESSION,
  LIST_SESSIONS,
  READ_SESSION_WITH_USER,
  REVOKE_SESSION,
  REVOKE_USER_SESSIONS,
  sessionEventArguments,
  UPDATE_SESSION,
} from './session.scripts';

/**
 * The stored text each session record was decoded from. A rewrite applies only if the store
 * still holds what was read; comparing against the text read (rather than a fresh encoding
 * of the record) keeps that true for records an older version wrote in another layout.
 */
const storedText = new WeakMap<SessionRecord, string>();

function decodeStored(userId: string, sessionId: string, raw: string): SessionRecord {
  const session = decodeSessionRecord(userId, sessionId, raw);
  storedText.set(session, raw);
  return session;
}

export class RedisSessionStore implements SessionStore {
  private readonly runScript: ScriptRunner;

  constructor(
    private readonly redis: RedisClient,
    private readonly keys: RedisKeyspace,
    private readonly clock: Clock,
  ) {
    this.runScript = scriptRunner(redis, [CREATE_SESSION, READ_SESSION_WITH_USER, UPDATE_SESSION, LIST_SESSIONS, REVOKE_SESSION, REVOKE_USER_SESSIONS]);
  }

  async createSession(session: SessionRecord, options: CreateSessionOptions): Promise<CreateSessionResult> {
    const now = this.clock.now().getTime();
    const evicted = await callStore(() =>
      this.runScript(
        CREATE_SESSION,
        [this.keys.sessions(session.userId), this.keys.sessionEvents(session.userId), this.keys.user(session.userId)],
        [
          session.id,
          encodeSessionRecord(session),
          now,
          options.maxSessionsPerUser,
          ...sessionEventArguments(now),
          options.credentialVersion,
          session.secondFactorPending ? 1 : 0,
          session.expiresAt.getTime(),
        ],
      ),
    );
    return evicted === null ? { created: false } : { created: true, evicted: evicted as string[] };
  }

  async findSessionWithUser(userId: string, sessionId: string): Promise<SessionWithUser> {
    const [rawSession, rawUser] = (await callStore(() =>
      this.runScript(READ_SESSION_WITH_USER, [this.keys.sessions(userId), this.keys.user(userId)], [sessionId]),
    )) as [string | null, string | null];
    const session = rawSession ? decodeStored(userId, sessionId, rawSession) : null;
    // A record stays in its hash after its expiry until a write prunes it.
    const live = session && session.expiresAt > this.clock.now() ? session : null;
    return { session: live, user: rawUser ? decodeUserRecord(rawUser) : null };
  }

  async updateSession(previous: SessionRecord, next: SessionRecord): Promise<SessionUpdateResult> {
    const result = await callStore(() =>
      this.runScript(
        UPDATE_SESSION,
        [this.keys.sessions(next.userId)],
        [next.id, storedText.get(previous) ?? encodeSessionRecord(previous), encodeSessionRecord(next), next.expiresAt.getTime(), this.clock.now().getTime()],
      ),
    );
    return result === 1 ? 'updated' : result === 2 ? 'changed' : 'gone';
  }

  async listSessions(userId: string): Promise<SessionRecord[]> {
    const now = this.clock.now().getTime();
    const flat = (await callStore(() =>
      this.runScript(
        LIST_SESSIONS,
        [this.keys.sessions(userId), this.keys.sessionEvents(userId)],
        [now, ...sessionEventArguments(now)],
      ),
    )) as string[];
    const sessions: SessionRecord[] = [];
    for (let i = 0; i < flat.length; i += 2) {
      sessions.push(decodeStored(userId, flat[i]!, flat[i + 1]!));
    }
    return sessions;
  }

  async revokeSession(userId: string, sessionId: string, end: SessionEnd, options: RevokeSessionOptions = {}): Promise<boolean> {
    const now = this.clock.now().getTime();
    const ended = await callStore(() =>
      this.runScript(
        REVOKE_SESSION,
        [this.keys.sessions(userId), this.keys.sessionEvents(userId)],
        [
          sessionId,
          now,
          SESSION_END_REASONS[end.reason].storeCode,
          end.actorId ?? '',
          ...sessionEventArguments(now),
          options.secretHash ?? '',
        ],
      ),
    );
    return ended === 1;
  }

  async revokeUserSessions(userId: string, end: SessionEnd, exceptSessionId?: string): Promise<number> {
    const now = this.clock.now().getTime();
    const ended = (await callStore(() =>
      this.runScript(
        REVOKE_USER_SESSIONS,
        [this.keys.sessions(userId), this.keys.sessionEvents(userId)],
        [
          exceptSessionId ?? '',
          now,
          SESSION_END_REASONS[end.reason].storeCode,
          end.actorId ?? '',
          ...sessionEventArguments(now),
        ],
      ),
    )) as string[];
    return ended.length;
  }

  async listSessionEvents(userId: string, limit: number): Promise<SessionEvent[]> {
    const count = Math.max(0, Math.min(limit, SESSION_EVENT_RETENTION.maxEventsPerUser));
    if (count === 0) return [];
    const [cutoff] = sessionEventArguments(this.clock.now().getTime());
    const flat = await callStore(() =>
      this.redis.zrange(this.keys.sessionEvents(userId), '+inf', cutoff, 'BYSCORE', 'REV', 'LIMIT', 0, count, 'WITHSCORES'),
    );
    const events: SessionEvent[] = [];
    for (let i = 0; i < flat.length; i += 2) {
      const event = decodeSessionEvent(flat[i]!, flat[i + 1]!);
      if (event) events.push(event);
    }
    return events;
  }
}
