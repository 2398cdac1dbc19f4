import type { SessionEnd } from '../session/session-end-reason';
import type { SessionEvent, SessionRecord } from '../session/session.model';
import type { UserRecord } from '../user/user.model';

/** How a new session is created: with the user's cap, and only if the credentials it proves are still current. */
export interface CreateSessionOptions {
  maxSessionsPerUser: number;
  /** The user's credentialVersion when the credentials were verified; a session is created only while it is still the same. */
  credentialVersion: number;
}

export type CreateSessionResult =
  /** Stored; the ids of the sessions the cap ended in the same step. */
  | { created: true; evicted: string[] }
  /** Not stored: the user's credentials changed (or the user is gone) since they were verified. */
  | { created: false };

/** `changed`: the session lives, but someone else rewrote it since it was read; nothing was written. */
export type SessionUpdateResult = 'updated' | 'changed' | 'gone';

export interface SessionWithUser {
  session: SessionRecord | null;
  user: UserRecord | null;
}

/** Conditions on ending one session. */
export interface RevokeSessionOptions {
  /**
   * End it only if its stored secret hash is this one: a token presented at login is
   * ended by what it proves, without being authenticated first.
   */
  secretHash?: string;
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
   * Stores a new session and indexes it, atomically checking that the user's
   * credentialVersion is still `options.credentialVersion`. When the user then has more
   * than `maxSessionsPerUser` live sessions, others end in the same atomic step: those
   * waiting for a second factor first, then the least recently used. A new session that
   * waits for a second factor ends only others that wait (it may leave the user one over the
   * cap until it completes or expires): a password alone never signs anyone out.
   */
  createSession(session: SessionRecord, options: CreateSessionOptions): Promise<CreateSessionResult>;
  /**
   * The session (null once expired by the store's clock, or gone) and its user's record,
   * in one round trip: the hot path of every authenticated request.
   */
  findSessionWithUser(userId: string, sessionId: string): Promise<SessionWithUser>;
  /**
   * Replaces a live session's record with `next`, only if it is still exactly `previous`
   * (what the caller read): a slide of the idle expiry from a request that read the session
   * before a step-up can never undo it. Never brings back a session that ended meanwhile.
   */
  updateSession(previous: SessionRecord, next: SessionRecord): Promise<SessionUpdateResult>;
  /** The user's live sessions, in no particular order, in one round trip; prunes expired ones. */
  listSessions(userId: string): Promise<SessionRecord[]>;
  /** Ends one session of this user. False when the user has no such live session (or it fails `options`). */
  revokeSession(userId: string, sessionId: string, end: SessionEnd, options?: RevokeSessionOptions): Promise<boolean>;
  /** Ends all the user's sessions but `exceptSessionId`; returns how many ended. */
  revokeUserSessions(userId: string, end: SessionEnd, exceptSessionId?: string): Promise<number>;
  /**
   * The user's session events, newest first: at most `limit` (and at most
   * SESSION_EVENT_RETENTION.maxEventsPerUser), none older than the retention.
   */
  listSessionEvents(userId: string, limit: number): Promise<SessionEvent[]>;
}
