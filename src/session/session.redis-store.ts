import type { Clock } from '../shared/clock';
import type { RedisClient } from '../shared/redis-client';
import { callStore } from '../shared/redis-errors';
import type { RedisKeyspace } from '../shared/redis-keyspace';
import { scriptRunner, type ScriptRunner } from '../shared/redis-scripts';
import { decodeUserRecord } from '../user/user.redis-store';
import {
  CREATE_SESSION,
  LIST_SESSIONS,
  REVOKE_SESSION,
  REVOKE_USER_SESSIONS,
  SESSION_END_REASON_CODES,
  sessionEventArguments,
  TOUCH_SESSION,
} from './session.redis-scripts';
import {
  SESSION_END_REASONS,
  SESSION_EVENT_RETENTION,
  SessionTransport,
  type SessionEnd,
  type SessionEvent,
  type SessionRecord,
  type SessionStore,
  type SessionWithUser,
} from './session.store';

/**
 * A session is stored as a compact JSON array (memory per session matters at millions of
 * sessions); user and session ids live in the key, not the value. Positions are 1-based
 * for the Lua scripts that read lastSeenAt.
 */
type EncodedSession = [
  secretHash: string,
  transport: 'C' | 'H',
  createdAtMillis: number,
  lastSeenAtMillis: number,
  expiresAtMillis: number,
  absoluteExpiresAtMillis: number,
  ipAddress: string | null,
  userAgent: string | null,
];
const LAST_SEEN_LUA_POSITION = 4;

export function encodeSessionRecord(session: SessionRecord): string {
  const encoded: EncodedSession = [
    session.secretHash,
    session.transport === SessionTransport.COOKIE ? 'C' : 'H',
    session.createdAt.getTime(),
    session.lastSeenAt.getTime(),
    session.expiresAt.getTime(),
    session.absoluteExpiresAt.getTime(),
    session.ipAddress,
    session.userAgent,
  ];
  return JSON.stringify(encoded);
}

export function decodeSessionRecord(userId: string, sessionId: string, raw: string): SessionRecord {
  const [secretHash, transport, createdAt, lastSeenAt, expiresAt, absoluteExpiresAt, ipAddress, userAgent] =
    JSON.parse(raw) as EncodedSession;
  return {
    id: sessionId,
    userId,
    secretHash,
    transport: transport === 'C' ? SessionTransport.COOKIE : SessionTransport.HEADER,
    createdAt: new Date(createdAt),
    lastSeenAt: new Date(lastSeenAt),
    expiresAt: new Date(expiresAt),
    absoluteExpiresAt: new Date(absoluteExpiresAt),
    ipAddress,
    userAgent,
  };
}

const REASONS_BY_CODE = new Map(SESSION_END_REASONS.map((reason) => [SESSION_END_REASON_CODES[reason], reason]));

/** Reads one member of a user's session events and its score (see SESSION_EVENTS in the scripts). */
export function decodeSessionEvent(member: string, score: string): SessionEvent | null {
  const [sessionId, code, actorId] = member.split('|');
  const reason = REASONS_BY_CODE.get(code ?? '');
  if (!sessionId || !reason) return null;
  return { sessionId, reason, actorId: actorId || null, at: new Date(Number(score)) };
}

export class RedisSessionStore implements SessionStore {
  private readonly runScript: ScriptRunner;

  constructor(
    private readonly redis: RedisClient,
    private readonly keys: RedisKeyspace,
    private readonly clock: Clock,
  ) {
    this.runScript = scriptRunner(redis, [CREATE_SESSION, TOUCH_SESSION, LIST_SESSIONS, REVOKE_SESSION, REVOKE_USER_SESSIONS]);
  }

  async createSession(session: SessionRecord, maxSessionsPerUser: number): Promise<string[]> {
    const now = this.clock.now().getTime();
    const evicted = await callStore(() =>
      this.runScript(
        CREATE_SESSION,
        [this.keys.sessionIndex(session.userId), this.keys.session(session.userId, session.id), this.keys.sessionEvents(session.userId)],
        [
          session.id,
          encodeSessionRecord(session),
          session.expiresAt.getTime(),
          now,
          maxSessionsPerUser,
          this.keys.sessionKeyPrefix(session.userId),
          LAST_SEEN_LUA_POSITION,
          ...sessionEventArguments(now),
        ],
      ),
    );
    return evicted as string[];
  }

  async findSessionWithUser(userId: string, sessionId: string): Promise<SessionWithUser> {
    const [rawSession, rawUser] = await callStore(() =>
      this.redis.mget(this.keys.session(userId, sessionId), this.keys.user(userId)),
    );
    const session = rawSession ? decodeSessionRecord(userId, sessionId, rawSession) : null;
    // Redis expires the key by its own clock; the store's clock decides (they agree in production).
    const live = session && session.expiresAt > this.clock.now() ? session : null;
    return { session: live, user: rawUser ? decodeUserRecord(rawUser) : null };
  }

  async touchSession(session: SessionRecord): Promise<boolean> {
    const touched = await callStore(() =>
      this.runScript(
        TOUCH_SESSION,
        [this.keys.sessionIndex(session.userId), this.keys.session(session.userId, session.id)],
        [session.id, encodeSessionRecord(session), session.expiresAt.getTime(), this.clock.now().getTime()],
      ),
    );
    return touched === 1;
  }

  async listSessions(userId: string): Promise<SessionRecord[]> {
    const now = this.clock.now().getTime();
    const flat = (await callStore(() =>
      this.runScript(
        LIST_SESSIONS,
        [this.keys.sessionIndex(userId), this.keys.sessionEvents(userId)],
        [now, this.keys.sessionKeyPrefix(userId), ...sessionEventArguments(now)],
      ),
    )) as string[];
    const sessions: SessionRecord[] = [];
    for (let i = 0; i < flat.length; i += 2) {
      sessions.push(decodeSessionRecord(userId, flat[i]!, flat[i + 1]!));
    }
    return sessions;
  }

  async revokeSession(userId: string, sessionId: string, end: SessionEnd): Promise<boolean> {
    const now = this.clock.now().getTime();
    const ended = await callStore(() =>
      this.runScript(
        REVOKE_SESSION,
        [this.keys.sessionIndex(userId), this.keys.session(userId, sessionId), this.keys.sessionEvents(userId)],
        [sessionId, now, SESSION_END_REASON_CODES[end.reason], end.actorId ?? '', ...sessionEventArguments(now)],
      ),
    );
    return ended === 1;
  }

  async revokeUserSessions(userId: string, end: SessionEnd, exceptSessionId?: string): Promise<number> {
    const now = this.clock.now().getTime();
    const ended = (await callStore(() =>
      this.runScript(
        REVOKE_USER_SESSIONS,
        [this.keys.sessionIndex(userId), this.keys.sessionEvents(userId)],
        [exceptSessionId ?? '', now, this.keys.sessionKeyPrefix(userId), SESSION_END_REASON_CODES[end.reason], end.actorId ?? '', ...sessionEventArguments(now)],
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
