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

/** Why a session ended; logged with every revocation. */
export type SessionEndReason =
  | 'logout'
  | 'revoked_by_user'
  | 'revoked_by_admin'
  | 'password_change'
  | 'replaced_by_login'
  | 'evicted_over_cap'
  | 'expired';

export interface SessionWithUser {
  session: SessionRecord | null;
  user: UserRecord | null;
}

/**
 * Where sessions live, with a per-user index kept exactly in step with them: every
 * method that changes both does so atomically. "Now" comes from the clock the store was
 * made with (injectable in tests), never from the store server's own.
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
  revokeSession(userId: string, sessionId: string): Promise<boolean>;
  /** Ends all the user's sessions but `exceptSessionId`; returns how many ended. */
  revokeUserSessions(userId: string, exceptSessionId?: string): Promise<number>;
}
