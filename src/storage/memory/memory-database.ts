import { ACCOUNT_EVENT_RETENTION, type AccountEvent } from '../../account/account-event.model';
import type { EmailTokenKind, EmailTokenRecord } from '../../account/email-token.model';
import type { KnownDeviceRecord } from '../../device/device.model';
import type { SessionEnd } from '../../session/session-end-reason';
import { SESSION_EVENT_RETENTION, type SessionEvent, type SessionRecord } from '../../session/session.model';
import type { Clock } from '../../shared/clock';
import type { UserRecord } from '../../user/user.model';

const SWEEP_INTERVAL_MILLIS = 60_000;

/**
 * The in-process store's state: what Redis holds in the Redis store, here in Maps.
 * JavaScript runs one callback at a time, so each store method, being synchronous on
 * this state, is atomic just as the Redis scripts are.
 */
export class MemoryDatabase {
  readonly users = new Map<string, UserRecord>();
  /** normalized email → user id */
  readonly userIdsByEmail = new Map<string, string>();
  /** user id → session id → session; the inner Map is the per-user index. */
  readonly sessionsByUser = new Map<string, Map<string, SessionRecord>>();
  /** user id → the user's session events, oldest first. */
  readonly sessionEventsByUser = new Map<string, SessionEvent[]>();
  /** user id → the user's account events, oldest first. */
  readonly accountEventsByUser = new Map<string, AccountEvent[]>();
  /** user id → device id → known device. */
  readonly devicesByUser = new Map<string, Map<string, KnownDeviceRecord>>();
  /** user id → the user's mailed token of each kind. */
  readonly emailTokensByUser = new Map<string, Map<EmailTokenKind, EmailTokenRecord>>();
  private readonly sweeper: NodeJS.Timeout;

  constructor(readonly clock: Clock) {
    // Sessions of users who never come back would otherwise stay forever.
    this.sweeper = setInterval(() => this.sweepExpiredSessions(), SWEEP_INTERVAL_MILLIS);
    this.sweeper.unref();
  }

  /** The user's sessions after removing (and recording) the expired ones. */
  liveSessionsOf(userId: string): Map<string, SessionRecord> {
    const sessions = this.sessionsByUser.get(userId) ?? new Map<string, SessionRecord>();
    const now = this.clock.now().getTime();
    for (const [sessionId, session] of sessions) {
      if (session.expiresAt.getTime() <= now) {
        sessions.delete(sessionId);
        this.recordSessionEnd(userId, sessionId, { reason: 'expired', actorId: null }, session.expiresAt);
      }
    }
    if (sessions.size === 0) this.sessionsByUser.delete(userId);
    return sessions;
  }

  /** Ends one of the user's live sessions and records why; false when there was none. */
  endSession(userId: string, sessionId: string, end: SessionEnd): boolean {
    const sessions = this.liveSessionsOf(userId);
    if (!sessions.delete(sessionId)) return false;
    if (sessions.size === 0) this.sessionsByUser.delete(userId);
    this.recordSessionEnd(userId, sessionId, end, this.clock.now());
    return true;
  }

  /** Ends every live session of the user but `exceptSessionId`; returns how many ended. */
  endSessionsExcept(userId: string, end: SessionEnd, exceptSessionId?: string): number {
    let ended = 0;
    for (const sessionId of [...this.liveSessionsOf(userId).keys()]) {
      if (sessionId !== exceptSessionId && this.endSession(userId, sessionId, end)) ended++;
    }
    return ended;
  }

  /** Appends to the user's session events, keeping only the newest within the retention. */
  recordSessionEnd(userId: string, sessionId: string, end: SessionEnd, at: Date): void {
    const events = this.sessionEventsByUser.get(userId) ?? [];
    events.push({ sessionId, reason: end.reason, actorId: end.actorId, at: new Date(at.getTime()) });
    events.sort((a, b) => a.at.getTime() - b.at.getTime());
    const cutoff = this.clock.now().getTime() - SESSION_EVENT_RETENTION.retentionSeconds * 1000;
    const kept = events.filter((event) => event.at.getTime() >= cutoff).slice(-SESSION_EVENT_RETENTION.maxEventsPerUser);
    this.sessionEventsByUser.set(userId, kept);
  }

  /** Appends to the user's account events, keeping only the newest within the retention. */
  recordAccountEvent(userId: string, event: AccountEvent): void {
    const cutoff = this.clock.now().getTime() - ACCOUNT_EVENT_RETENTION.retentionSeconds * 1000;
    const events = [...(this.accountEventsByUser.get(userId) ?? []), { ...event, at: new Date(event.at.getTime()) }];
    // Stable: events of one millisecond stay in the order they were recorded.
    events.sort((a, b) => a.at.getTime() - b.at.getTime());
    this.accountEventsByUser.set(
      userId,
      events.filter((kept) => kept.at.getTime() >= cutoff).slice(-ACCOUNT_EVENT_RETENTION.maxEventsPerUser),
    );
  }

  /** The user's session events, newest first, within the retention. */
  sessionEventsOf(userId: string): SessionEvent[] {
    const cutoff = this.clock.now().getTime() - SESSION_EVENT_RETENTION.retentionSeconds * 1000;
    return (this.sessionEventsByUser.get(userId) ?? [])
      .filter((event) => event.at.getTime() >= cutoff)
      .reverse()
      .map((event) => ({ ...event, at: new Date(event.at.getTime()) }));
  }

  /** The user's known devices after forgetting the expired ones. */
  liveDevicesOf(userId: string): Map<string, KnownDeviceRecord> {
    const devices = this.devicesByUser.get(userId) ?? new Map<string, KnownDeviceRecord>();
    const now = this.clock.now().getTime();
    for (const [deviceId, device] of devices) if (device.expiresAt.getTime() <= now) devices.delete(deviceId);
    if (devices.size === 0) this.devicesByUser.delete(userId);
    return devices;
  }

  sweepExpiredSessions(): void {
    for (const userId of [...this.sessionsByUser.keys()]) this.liveSessionsOf(userId);
    for (const userId of [...this.devicesByUser.keys()]) this.liveDevicesOf(userId);
    const now = this.clock.now();
    for (const [userId, tokens] of this.emailTokensByUser) {
      for (const [kind, token] of tokens) if (token.expiresAt <= now) tokens.delete(kind);
      if (tokens.size === 0) this.emailTokensByUser.delete(userId);
    }
    // Audit trails of users who ended nothing for the whole retention go, as Redis expires them.
    const cutoff = this.clock.now().getTime() - SESSION_EVENT_RETENTION.retentionSeconds * 1000;
    for (const [userId, events] of this.sessionEventsByUser) {
      if (events.every((event) => event.at.getTime() < cutoff)) this.sessionEventsByUser.delete(userId);
    }
    const accountEventCutoff = this.clock.now().getTime() - ACCOUNT_EVENT_RETENTION.retentionSeconds * 1000;
    for (const [userId, events] of this.accountEventsByUser) {
      if (events.every((event) => event.at.getTime() < accountEventCutoff)) this.accountEventsByUser.delete(userId);
    }
  }

  close(): void {
    clearInterval(this.sweeper);
  }
}

/*
 * Records are copied in and out so that callers never share mutable state with the
 * store, as with a real database. Explicit copies rather than structuredClone: Dates
 * must stay instances of this realm's Date (which structuredClone does not promise under
 * jest's VM contexts, and GraphQL's DateTime scalar checks `instanceof Date`).
 */
export function copySession(session: SessionRecord): SessionRecord {
  return {
    ...session,
    createdAt: new Date(session.createdAt.getTime()),
    lastSeenAt: new Date(session.lastSeenAt.getTime()),
    expiresAt: new Date(session.expiresAt.getTime()),
    absoluteExpiresAt: new Date(session.absoluteExpiresAt.getTime()),
    authenticatedAt: new Date(session.authenticatedAt.getTime()),
  };
}

/** Field by field, as the Redis store compares the records' encodings. */
export function sameSession(a: SessionRecord, b: SessionRecord): boolean {
  return (Object.keys(a) as Array<keyof SessionRecord>).every((field) => {
    const [left, right] = [a[field], b[field]];
    return left instanceof Date && right instanceof Date ? left.getTime() === right.getTime() : left === right;
  });
}

export function copyDevice(device: KnownDeviceRecord): KnownDeviceRecord {
  return {
    ...device,
    createdAt: new Date(device.createdAt.getTime()),
    lastUsedAt: new Date(device.lastUsedAt.getTime()),
    expiresAt: new Date(device.expiresAt.getTime()),
  };
}

export function copyUser(user: UserRecord): UserRecord {
  const { secondFactor, pendingTotp } = user;
  return {
    ...user,
    roles: [...user.roles],
    secondFactor: secondFactor && { ...secondFactor, recoveryCodeHashes: [...secondFactor.recoveryCodeHashes], enabledAt: new Date(secondFactor.enabledAt.getTime()) },
    pendingTotp: pendingTotp && { ...pendingTotp, expiresAt: new Date(pendingTotp.expiresAt.getTime()) },
    createdAt: new Date(user.createdAt.getTime()),
  };
}
