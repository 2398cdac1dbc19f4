import type { UserRecord } from '../user/user.model';
import type { SessionEndReason } from './session-end-reason';

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
  /** The last time a credential was presented for this session (login, stepUp). */
  authenticatedAt: Date;
  /** Authenticator assurance level: 1 a password, 2 a password and a second factor. */
  aal: AssuranceLevel;
  /**
   * Made by a password login of a user with a second factor, and not yet completed by
   * verifySecondFactor: it can do nothing else but that, log out and read `me`, and it
   * expires in minutes.
   */
  secondFactorPending: boolean;
}

export type AssuranceLevel = 1 | 2;

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

/** A signed-in caller: the session a request presented and its user. */
export interface Viewer {
  user: UserRecord;
  session: SessionRecord;
}

/** Where a sign-in came from, recorded on the session. */
export interface ClientInfo {
  ipAddress: string | null;
  userAgent: string | null;
}
