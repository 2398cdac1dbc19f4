import type { Logger } from 'pino';
import { noMetrics, type SessionMetrics } from '../observability/metrics';
import type { Clock } from '../shared/clock';
import { unauthenticated } from '../shared/app-error';
import { ID_PATTERN, newId } from '../shared/ids';
import type { SessionStore } from '../storage/session-store';
import type { Caller } from './caller';
import type { SessionEnd, SessionEndReason } from './session-end-reason';
import { hashTokenSecret, newTokenSecret, secretHashesMatch, signSessionToken, verifySessionToken } from './session-token';
import type { AssuranceLevel, ClientInfo, SessionEvent, SessionRecord, SessionTransport, Viewer } from './session.model';
import { TWO_FACTOR_LIMITS } from '../two-factor/two-factor.model';

export interface SessionSettings {
  /** The first signs new tokens; all verify. */
  secrets: readonly string[];
  idleTtlSeconds: number;
  absoluteTtlSeconds: number;
  maxSessionsPerUser: number;
}

/**
 * What a presented token turned out to be: a viewer (and whether its idle expiry is due to
 * slide), or a token to forget.
 */
export type Authentication = { kind: 'valid'; viewer: Viewer; idleExpirySlideDue: boolean } | { kind: 'rejected' };

export interface StartedSession {
  session: SessionRecord;
  token: string;
}

export interface RenewedSession {
  session: SessionRecord;
  /** The new token when the secret was rotated; null otherwise (the client's token still holds). */
  token: string | null;
}

export const MAX_USER_AGENT_LENGTH = 256;
/** A session rewritten by other requests this many times in a row is left alone. */
const MAX_RENEW_ATTEMPTS = 5;
const MAX_TOUCH_INTERVAL_SECONDS = 60;

/**
 * How long a session's lastSeenAt may lag before a request writes it again. Sliding the
 * idle expiry on every request would cost a write per request; at most once a minute
 * (or a tenth of the idle TTL, when that is shorter) keeps expiry within 10% of exact.
 */
export function touchIntervalSeconds(idleTtlSeconds: number): number {
  return Math.min(MAX_TOUCH_INTERVAL_SECONDS, idleTtlSeconds / 10);
}

export interface SessionServiceDependencies {
  store: SessionStore;
  settings: SessionSettings;
  clock: Clock;
  logger: Logger;
  metrics?: SessionMetrics;
}

/** Sessions: starting them, turning tokens into viewers, listing and ending them. */
export class SessionService {
  private readonly store: SessionStore;
  private readonly settings: SessionSettings;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly metrics: SessionMetrics;

  constructor(dependencies: SessionServiceDependencies) {
    this.store = dependencies.store;
    this.settings = dependencies.settings;
    this.clock = dependencies.clock;
    this.logger = dependencies.logger;
    this.metrics = dependencies.metrics ?? noMetrics;
  }

  /**
   * Starts a new session with a new token (never one presented before), for credentials
   * verified at `credentialVersion`; null when they changed meanwhile (a password change or
   * reset finished first), and nothing is stored. With `secondFactorPending` (a password
   * login of a user with two-factor) the session waits for verifySecondFactor, and expires
   * a few minutes after it started unless that comes: it never slides.
   */
  async startSession(
    userId: string,
    options: { transport: SessionTransport; client: ClientInfo; credentialVersion: number; secondFactorPending: boolean },
  ): Promise<StartedSession | null> {
    const now = this.clock.now();
    const secret = newTokenSecret();
    const absoluteExpiresAt = new Date(now.getTime() + this.settings.absoluteTtlSeconds * 1000);
    const idleExpiresAt = this.idleExpiry(now, absoluteExpiresAt);
    const pendingExpiresAt = new Date(Math.min(idleExpiresAt.getTime(), now.getTime() + TWO_FACTOR_LIMITS.pendingSessionSeconds * 1000));
    const session: SessionRecord = {
      id: newId(),
      userId,
      secretHash: hashTokenSecret(secret),
      transport: options.transport,
      createdAt: now,
      lastSeenAt: now,
      expiresAt: options.secondFactorPending ? pendingExpiresAt : idleExpiresAt,
      absoluteExpiresAt,
      ipAddress: options.client.ipAddress,
      userAgent: options.client.userAgent?.slice(0, MAX_USER_AGENT_LENGTH) || null,
      authenticatedAt: now,
      aal: 1,
      secondFactorPending: options.secondFactorPending,
    };
    const created = await this.store.createSession(session, {
      maxSessionsPerUser: this.settings.maxSessionsPerUser,
      credentialVersion: options.credentialVersion,
    });
    if (!created.created) {
      this.logger.info({ userId }, 'session refused: the credentials changed since they were verified');
      return null;
    }
    const { evicted } = created;
    this.logger.info({ userId, sessionId: session.id, transport: options.transport, secondFactorPending: session.secondFactorPending }, 'session started');
    this.metrics.sessionStarted(options.transport);
    for (const sessionId of evicted) this.logEnded(userId, sessionId, 'evicted_over_cap');
    const token = signSessionToken({ userId, sessionId: session.id, secret }, this.settings.secrets[0]!);
    return { session, token };
  }

  /**
   * Resolves a presented token into a viewer, reading only (one store round trip). A
   * malformed, forged, expired or revoked token is 'rejected' (never an exception); only an
   * unreachable store throws.
   */
  async authenticate(token: string): Promise<Authentication> {
    const parts = verifySessionToken(token, this.settings.secrets);
    if (!parts) return { kind: 'rejected' };
    const { session, user } = await this.store.findSessionWithUser(parts.userId, parts.sessionId);
    if (!session || !user || !secretHashesMatch(session.secretHash, hashTokenSecret(parts.secret))) {
      return { kind: 'rejected' };
    }
    const now = this.clock.now();
    // The store already hides expired sessions; this guards the absolute cap on its own.
    if (now >= session.expiresAt || now >= session.absoluteExpiresAt) return { kind: 'rejected' };
    const sinceLastSeenSeconds = (now.getTime() - session.lastSeenAt.getTime()) / 1000;
    // A session waiting for its second factor keeps the short expiry it started with.
    const idleExpirySlideDue = !session.secondFactorPending && sinceLastSeenSeconds >= touchIntervalSeconds(this.settings.idleTtlSeconds);
    return { kind: 'valid', viewer: { user, session }, idleExpirySlideDue };
  }

  /**
   * Moves the session's lastSeenAt and idle expiry to now; null when it ended meanwhile. When
   * another request rewrote it since it was read (a step-up), the slide is skipped: the next
   * request slides it.
   */
  async slideIdleExpiry(viewer: Viewer): Promise<Viewer | null> {
    const now = this.clock.now();
    const session: SessionRecord = { ...viewer.session, lastSeenAt: now, expiresAt: this.idleExpiry(now, viewer.session.absoluteExpiresAt) };
    const result = await this.store.updateSession(viewer.session, session);
    if (result === 'gone') return null;
    return result === 'updated' ? { user: viewer.user, session } : viewer;
  }

  /**
   * Credentials were presented again on the caller's own session (stepUp, a second factor):
   * authenticatedAt moves to now, the assurance level rises to `aal` (never falls), the idle
   * expiry slides, and with `rotateToken` the session gets a new secret (and so a new token:
   * whoever held the old one holds nothing). A second factor (aal 2) completes a session
   * that was waiting for one. Retries when a concurrent request rewrote the session
   * meanwhile; throws UNAUTHENTICATED when the session ended.
   */
  async renewAuthentication(caller: Caller, options: { aal: AssuranceLevel; rotateToken: boolean }): Promise<RenewedSession> {
    const viewer = await caller.signedInViewer();
    for (let attempt = 0; attempt < MAX_RENEW_ATTEMPTS; attempt++) {
      const { session: current } = attempt === 0 ? viewer : await this.store.findSessionWithUser(viewer.user.id, viewer.session.id);
      if (!current) break;
      const now = this.clock.now();
      const secret = options.rotateToken ? newTokenSecret() : null;
      const stillPending = current.secondFactorPending && options.aal < 2;
      const renewed: SessionRecord = {
        ...current,
        ...(secret ? { secretHash: hashTokenSecret(secret) } : {}),
        authenticatedAt: now,
        aal: Math.max(current.aal, options.aal) as AssuranceLevel,
        lastSeenAt: now,
        expiresAt: stillPending ? current.expiresAt : this.idleExpiry(now, current.absoluteExpiresAt),
        secondFactorPending: stillPending,
      };
      const result = await this.store.updateSession(current, renewed);
      if (result === 'gone') break;
      if (result === 'changed') continue;
      const token = secret ? signSessionToken({ userId: renewed.userId, sessionId: renewed.id, secret }, this.settings.secrets[0]!) : null;
      this.logger.info({ userId: renewed.userId, sessionId: renewed.id, aal: renewed.aal, rotated: token !== null }, 'session authentication renewed');
      caller.viewerUpdated({ user: viewer.user, session: renewed }, token);
      return { session: renewed, token };
    }
    caller.signedOut();
    throw unauthenticated();
  }

  /**
   * Ends the session a token names, by what the token proves (its MAC, then its secret
   * inside the store's atomic step) rather than by authenticating it: a token presented
   * with login is replaced, not used. False when it names no live session.
   */
  async endPresentedSession(token: string, reason: SessionEndReason): Promise<boolean> {
    const parts = verifySessionToken(token, this.settings.secrets);
    if (!parts) return false;
    const ended = await this.store.revokeSession(
      parts.userId,
      parts.sessionId,
      { reason, actorId: parts.userId },
      { secretHash: hashTokenSecret(parts.secret) },
    );
    if (ended) this.logEnded(parts.userId, parts.sessionId, reason);
    return ended;
  }

  /** The user's live sessions, newest first; read once per request however often the operation asks. */
  listSessions(userId: string, caller: Caller): Promise<readonly SessionRecord[]> {
    return caller.readOnce(`sessions:${userId}`, async () => {
      const sessions = await this.store.listSessions(userId);
      return sessions.sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime() || a.id.localeCompare(b.id));
    });
  }

  /** The caller's own session ends (logout); false when there was none. */
  async logout(caller: Caller): Promise<boolean> {
    const viewer = await caller.viewer();
    const ended = viewer ? await this.endSession(viewer.user.id, viewer.session.id, { reason: 'logout', actorId: viewer.user.id }) : false;
    caller.signedOut({ clearSiteData: ended });
    return ended;
  }

  /** Ends one of the caller's sessions (the current one included); false for ids that are not theirs. */
  async revokeSession(caller: Caller, sessionId: string): Promise<boolean> {
    const viewer = await caller.signedInViewer();
    if (!ID_PATTERN.test(sessionId)) return false;
    const ended = await this.endSession(viewer.user.id, sessionId, { reason: 'revoked_by_user', actorId: viewer.user.id });
    if (ended) await caller.sessionEnded(sessionId);
    return ended;
  }

  /** Ends every session of the caller but the current one; returns how many ended. */
  async revokeOtherSessions(caller: Caller): Promise<number> {
    const viewer = await caller.signedInViewer();
    caller.forgetReads();
    return this.endUserSessions(viewer.user.id, 'revoked_by_user', { actorId: viewer.user.id, exceptSessionId: viewer.session.id });
  }

  /** An admin ends every session of a user (their own included); returns how many ended. */
  async revokeUserSessions(caller: Caller, userId: string): Promise<number> {
    const admin = await caller.signedInViewer();
    if (!ID_PATTERN.test(userId)) return 0;
    caller.forgetReads();
    const ended = await this.endUserSessions(userId, 'revoked_by_admin', { actorId: admin.user.id });
    if (userId === admin.user.id) caller.signedOut();
    return ended;
  }

  /**
   * Ends the user's sessions that still wait for a second factor (it was just turned off:
   * they could never complete). Each ends only if it is still the pending session that was
   * listed: one that verified meanwhile has a new secret, and stays.
   */
  async endPendingSessions(userId: string, end: SessionEnd): Promise<number> {
    const pending = (await this.store.listSessions(userId)).filter((session) => session.secondFactorPending);
    const ended = await Promise.all(pending.map((session) => this.store.revokeSession(userId, session.id, end, { secretHash: session.secretHash })));
    for (const [index, session] of pending.entries()) if (ended[index]) this.logEnded(userId, session.id, end.reason);
    return ended.filter(Boolean).length;
  }

  /** The user's recent session events, newest first (none for ids that cannot exist). */
  async listSessionEvents(userId: string, limit: number): Promise<SessionEvent[]> {
    if (!ID_PATTERN.test(userId)) return [];
    return this.store.listSessionEvents(userId, limit);
  }

  /** Logs and counts sessions that another store operation ended (a password change). */
  recordSessionsEnded(userId: string, reason: SessionEndReason, count: number): void {
    if (count > 0) this.logger.info({ userId, ended: count, reason }, 'sessions ended');
    this.metrics.sessionsEnded(reason, count);
  }

  private async endSession(userId: string, sessionId: string, end: { reason: SessionEndReason; actorId: string | null }): Promise<boolean> {
    const ended = await this.store.revokeSession(userId, sessionId, end);
    if (ended) this.logEnded(userId, sessionId, end.reason);
    return ended;
  }

  private async endUserSessions(
    userId: string,
    reason: SessionEndReason,
    options: { actorId: string | null; exceptSessionId?: string },
  ): Promise<number> {
    const ended = await this.store.revokeUserSessions(userId, { reason, actorId: options.actorId }, options.exceptSessionId);
    if (ended > 0) this.logger.info({ userId, ended, reason, actorId: options.actorId, keptSessionId: options.exceptSessionId }, 'sessions ended');
    this.metrics.sessionsEnded(reason, ended);
    return ended;
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
