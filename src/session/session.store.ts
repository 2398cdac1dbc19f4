import type { UserRecord } from '../user/user.store';

export enum SessionTransport {
  COOKIE = 'COOKIE',
  HEADER = 'HEADER',
}

export interface SessionRecord {
  /** Public handle; also part of the token, but never enough to use it. */
  id: string;
  userId: string;
  /** SHA-256 of the token's secret: the store never holds a usable token. */
  secretHash: string;
  transport: SessionTransport;
  createdAt: Date;
  lastSeenAt: Date;
  /** Idle expiry: min(lastSeenAt + idle TTL, absoluteExpiresAt). */
  expiresAt: Date;
  absoluteExpiresAt: Date;
  ipAddress: string | null;
  userAgent: string | null;
}

/** Why a session ended; logged, and kept in the user's session events. */
export type SessionEndReason =
  | 'logout'
  | 'revoked_by_user'
  | 'revoked_by_admin'
  | 'password_change'
  | 'replaced_by_login'
  | 'evicted_over_cap'
  | 'expired';

export const SESSION_END_REASONS: readonly SessionEndReason[] = [
  'logout',
  'revoked_by_user',
  'revoked_by_admin',
  'password_change',
  'replaced_by_login',
  'evicted_over_cap',
  'expired',
];

/** Why a session is being ended, and by whom: a user's id, or null for the system. */
export interface SessionEnd {
  reason: SessionEndReason;
  actorId: string | null;
}

/** One entry of a user's audit trail: a session that ended, why, by whom and when. */
export interface SessionEvent {
  sessionId: string;
  reason: SessionEndReason;
  /** The user who ended it (the owner or an admin); null when the system did (expiry, the cap). */
  actorId: string | null;
  /** When it ended; for an expiry, the moment it expired (which the store may notice later). */
  at: Date;
}

/**
 * How much of the audit trail a store keeps per user: the newest `maxEventsPerUser`
 * events of the last `retentionSeconds`. Bounded, so that a user ending sessions in a loop
 * cannot grow it.
 */
export const SESSION_EVENT_RETENTION = {
  maxEventsPerUser: 100,
  retentionSeconds: 30 * 86_400,
} as const;

export interface SessionWithUser {
  session: SessionRecord | null;
  user: UserRecord | null;
}

/**
 * Where sessions live, with a per-user index kept exactly in step with them: every
 * method that changes both does so atomically. "Now" comes from the clock the store was
 * made with (injectable in tests), never from the store server's own.
 *
 * Every session end is recorded once in the user's session events, in the same atomic
 * step as the end itself: revocations with the SessionEnd given, evictions over the cap
 * and expiries (when the store prunes an expired session) as the system's.
 */
export interface SessionStore {
  /**
   * Stores a new session and indexes it. When the user then has more than
   * `maxSessionsPerUser` live sessions, the least recently used ones end in the same
   * atomic step; their ids are returned.
   */
  createSession(session: SessionRecord, maxSessionsPerUser: number): Promise<string[]>;
  /**
   * The session (null once expired by the store's clock, or gone) and its user's record,
   * in one round trip: the hot path of every authenticated request.
   */
  findSessionWithUser(userId: string, sessionId: string): Promise<SessionWithUser>;
  /**
   * Stores a new lastSeenAt/expiresAt for a session that still exists; never brings back
   * one that ended meanwhile. Returns false when the session is gone.
   */
  touchSession(session: SessionRecord): Promise<boolean>;
  /** The user's live sessions, in no particular order, in one round trip; prunes expired ones. */
  listSessions(userId: string): Promise<SessionRecord[]>;
  /** Ends one session of this user. False when the user has no such live session. */
  revokeSession(userId: string, sessionId: string, end: SessionEnd): Promise<boolean>;
  /** Ends all the user's sessions but `exceptSessionId`; returns how many ended. */
  revokeUserSessions(userId: string, end: SessionEnd, exceptSessionId?: string): Promise<number>;
  /**
   * The user's session events, newest first: at most `limit` (and at most
   * SESSION_EVENT_RETENTION.maxEventsPerUser), none older than the retention.
   */
  listSessionEvents(userId: string, limit: number): Promise<SessionEvent[]>;
}
