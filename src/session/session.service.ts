import type { Logger } from 'pino';
import { noMetrics, type SessionMetrics } from '../observability/metrics';
import type { Clock } from '../shared/clock';
import { ID_PATTERN, newId } from '../shared/ids';
import type { UserRecord } from '../user/user.store';
import {
  hashTokenSecret,
  newTokenSecret,
  secretHashesMatch,
  signSessionToken,
  verifySessionToken,
} from './session-token';
import type { SessionEndReason, SessionEvent, SessionRecord, SessionStore, SessionTransport } from './session.store';

export interface SessionSettings {
  /** The first signs new tokens; all verify. */
  secrets: readonly string[];
  idleTtlSeconds: number;
  absoluteTtlSeconds: number;
  maxSessionsPerUser: number;
}

/** Where a sign-in came from, recorded on the session. */
export interface ClientInfo {
  ipAddress: string | null;
  userAgent: string | null;
}

export interface Viewer {
  user: UserRecord;
  session: SessionRecord;
}

/** What a presented token turned out to be: a viewer, or a token to forget. */
export type Authentication = { kind: 'valid'; viewer: Viewer } | { kind: 'rejected' };

const MAX_USER_AGENT_LENGTH = 256;
const MAX_TOUCH_INTERVAL_SECONDS = 60;

/**
 * How long a session's lastSeenAt may lag before a request writes it again. Sliding the
 * idle expiry on every request would cost a write per request; at most once a minute
 * (or a tenth of the idle TTL, when that is shorter) keeps expiry within 10% of exact.
 */
export function touchIntervalSeconds(idleTtlSeconds: number): number {
  return Math.min(MAX_TOUCH_INTERVAL_SECONDS, idleTtlSeconds / 10);
}

export class SessionService {
  constructor(
    private readonly sessions: SessionStore,
    private readonly settings: SessionSettings,
    private readonly clock: Clock,
    private readonly logger: Logger,
    private readonly metrics: SessionMetrics = noMetrics,
  ) {}

  /** Starts a new session with a new token (never one presented before). */
  async startSession(
    userId: string,
    transport: SessionTransport,
    client: ClientInfo,
  ): Promise<{ session: SessionRecord; token: string }> {
    const now = this.clock.now();
    const secret = newTokenSecret();
    const absoluteExpiresAt = new Date(now.getTime() + this.settings.absoluteTtlSeconds * 1000);
    const session: SessionRecord = {
      id: newId(),
      userId,
      secretHash: hashTokenSecret(secret),
      transport,
      createdAt: now,
      lastSeenAt: now,
      expiresAt: this.idleExpiry(now, absoluteExpiresAt),
      absoluteExpiresAt,
      ipAddress: client.ipAddress,
      userAgent: client.userAgent?.slice(0, MAX_USER_AGENT_LENGTH) || null,
    };
    const evicted = await this.sessions.createSession(session, this.settings.maxSessionsPerUser);
    this.logger.info({ userId, sessionId: session.id, transport }, 'session started');
    this.metrics.sessionStarted(transport);
    for (const sessionId of evicted) this.logEnded(userId, sessionId, 'evicted_over_cap');
    const token = signSessionToken({ userId, sessionId: session.id, secret }, this.settings.secrets[0]!);
    return { session, token };
  }

  /**
   * Resolves a presented token into a viewer. A malformed, forged, expired or revoked
   * token is 'rejected' (never an exception); only an unreachable store throws.
   * Common case: one store round trip.
   */
  async authenticate(token: string): Promise<Authentication> {
    const parts = verifySessionToken(token, this.settings.secrets);
    if (!parts) return { kind: 'rejected' };
    const { session, user } = await this.sessions.findSessionWithUser(parts.userId, parts.sessionId);
    if (!session || !user || !secretHashesMatch(session.secretHash, hashTokenSecret(parts.secret))) {
      return { kind: 'rejected' };
    }
    const now = this.clock.now();
    // The store already hides expired sessions; this guards the absolute cap on its own.
    if (now >= session.expiresAt || now >= session.absoluteExpiresAt) return { kind: 'rejected' };
    const current = await this.slideIdleExpiry(session, now);
    return current ? { kind: 'valid', viewer: { user, session: current } } : { kind: 'rejected' };
  }

  /** The user's live sessions, newest first. */
  async listSessions(userId: string): Promise<SessionRecord[]> {
    const sessions = await this.sessions.listSessions(userId);
    return sessions.sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime() || a.id.localeCompare(b.id));
  }

  /**
   * Ends one of the user's sessions; false when it is not theirs or does not exist. The end
   * is recorded in the user's session events, by `actorId` (the user themself unless said).
   */
  async revokeSession(userId: string, sessionId: string, reason: SessionEndReason, actorId: string | null = userId): Promise<boolean> {
    if (!ID_PATTERN.test(sessionId)) return false;
    const ended = await this.sessions.revokeSession(userId, sessionId, { reason, actorId });
    if (ended) this.logEnded(userId, sessionId, reason);
    return ended;
  }

  /**
   * Ends every session of the user except `exceptSessionId`; returns how many ended. Each
   * end is recorded by `actorId` (the user themself unless said, e.g. an admin's id).
   */
  async revokeUserSessions(
    userId: string,
    reason: SessionEndReason,
    options: { exceptSessionId?: string; actorId?: string | null } = {},
  ): Promise<number> {
    if (!ID_PATTERN.test(userId)) return 0;
    const { exceptSessionId } = options;
    const actorId = options.actorId === undefined ? userId : options.actorId;
    const ended = await this.sessions.revokeUserSessions(userId, { reason, actorId }, exceptSessionId);
    if (ended > 0) this.logger.info({ userId, ended, reason, actorId, keptSessionId: exceptSessionId }, 'sessions ended');
    this.metrics.sessionsEnded(reason, ended);
    return ended;
  }

  /** The user's recent session events, newest first (none for ids that cannot exist). */
  async listSessionEvents(userId: string, limit: number): Promise<SessionEvent[]> {
    if (!ID_PATTERN.test(userId)) return [];
    return this.sessions.listSessionEvents(userId, limit);
  }

  private async slideIdleExpiry(session: SessionRecord, now: Date): Promise<SessionRecord | null> {
    const sinceLastSeenSeconds = (now.getTime() - session.lastSeenAt.getTime()) / 1000;
    if (sinceLastSeenSeconds < touchIntervalSeconds(this.settings.idleTtlSeconds)) return session;
    const touched: SessionRecord = {
      ...session,
      lastSeenAt: now,
      expiresAt: this.idleExpiry(now, session.absoluteExpiresAt),
    };
    return (await this.sessions.touchSession(touched)) ? touched : null;
  }

  private idleExpiry(now: Date, absoluteExpiresAt: Date): Date {
    const slid = now.getTime() + this.settings.idleTtlSeconds * 1000;
    return new Date(Math.min(slid, absoluteExpiresAt.getTime()));
  }

  private logEnded(userId: string, sessionId: string, reason: SessionEndReason): void {
    this.logger.info({ userId, sessionId, reason }, 'session ended');
    this.metrics.sessionsEnded(reason, 1);
  }
}
