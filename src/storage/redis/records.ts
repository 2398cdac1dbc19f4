import { SESSION_END_REASON_NAMES, SESSION_END_REASONS } from '../../session/session-end-reason';
import { SessionTransport, type AssuranceLevel, type SessionEvent, type SessionRecord } from '../../session/session.model';
import { ACCOUNT_EVENT_KIND_NAMES, ACCOUNT_EVENT_KINDS, type AccountEvent, type AccountEventKind } from '../../account/account-event.model';
import type { EmailTokenKind, EmailTokenRecord } from '../../account/email-token.model';
import { randomBytes } from 'node:crypto';
import type { KnownDeviceRecord } from '../../device/device.model';
import type { SecondFactorRecord } from '../../two-factor/two-factor.model';
import type { Role, UserRecord } from '../../user/user.model';

/*
 * How records are written in Redis. The layout is part of the stored data: a change here
 * is a migration.
 */

/**
 * A session is a compact JSON array (memory per session matters at millions of sessions),
 * stored as one field of its user's sessions hash; user and session ids live in the key and
 * the field name, not the value. Positions are 1-based for the Lua scripts that read a field.
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
  /** Absent: createdAt (never stepped up), as in records written before step-up existed. */
  authenticatedAtMillis?: number,
  /** Absent: 1. */
  aal?: AssuranceLevel,
  /** 1 while the session waits for its second factor; absent: 0. */
  secondFactorPending?: 0 | 1,
];
export const SESSION_LUA_POSITIONS = { secretHash: 1, lastSeenAt: 4, expiresAt: 5, secondFactorPending: 11 } as const;

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
    session.authenticatedAt.getTime(),
    session.aal,
    session.secondFactorPending ? 1 : 0,
  ];
  // Trailing fields at their defaults are left out: most sessions are never stepped up, and
  // their records stay as small as before those fields existed (memory is per session).
  if (!session.secondFactorPending) {
    encoded.pop();
    if (session.aal === 1) {
      encoded.pop();
      if (session.authenticatedAt.getTime() === session.createdAt.getTime()) encoded.pop();
    }
  }
  return JSON.stringify(encoded);
}

export function decodeSessionRecord(userId: string, sessionId: string, raw: string): SessionRecord {
  const [secretHash, transport, createdAt, lastSeenAt, expiresAt, absoluteExpiresAt, ipAddress, userAgent, authenticatedAt, aal, secondFactorPending] =
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
    authenticatedAt: new Date(authenticatedAt ?? createdAt),
    aal: aal ?? 1,
    secondFactorPending: secondFactorPending === 1,
  };
}

interface EncodedUser {
  id: string;
  email: string;
  /** Absent from records written before it existed: false. */
  emailVerified?: boolean;
  displayName: string;
  roles: Role[];
  passwordHash: string;
  /** Absent from records written before it existed: 0. Read by the session-creation script. */
  credentialVersion?: number;
  /** Absent: none. */
  secondFactor?: (Omit<SecondFactorRecord, 'enabledAt'> & { enabledAt: number }) | null;
  pendingTotp?: { totpSecretCiphertext: string; expiresAt: number } | null;
  createdAt: number;
}

export function encodeUserRecord(user: UserRecord): string {
  const { secondFactor, pendingTotp } = user;
  const encoded: EncodedUser = {
    ...user,
    secondFactor: secondFactor && { ...secondFactor, enabledAt: secondFactor.enabledAt.getTime() },
    pendingTotp: pendingTotp && { ...pendingTotp, expiresAt: pendingTotp.expiresAt.getTime() },
    createdAt: user.createdAt.getTime(),
  };
  return JSON.stringify(encoded);
}

export function decodeUserRecord(raw: string): UserRecord {
  const encoded = JSON.parse(raw) as EncodedUser;
  const { secondFactor, pendingTotp } = encoded;
  return {
    ...encoded,
    emailVerified: encoded.emailVerified ?? false,
    credentialVersion: encoded.credentialVersion ?? 0,
    secondFactor: secondFactor ? { ...secondFactor, enabledAt: new Date(secondFactor.enabledAt) } : null,
    pendingTotp: pendingTotp ? { ...pendingTotp, expiresAt: new Date(pendingTotp.expiresAt) } : null,
    createdAt: new Date(encoded.createdAt),
  };
}

const REASONS_BY_STORE_CODE = new Map(SESSION_END_REASON_NAMES.map((reason) => [SESSION_END_REASONS[reason].storeCode as string, reason]));

/** Reads one member of a user's session events and its score (see SESSION_EVENTS in session.scripts.ts). */
export function decodeSessionEvent(member: string, score: string): SessionEvent | null {
  const [sessionId, code, actorId] = member.split('|');
  const reason = REASONS_BY_STORE_CODE.get(code ?? '');
  if (!sessionId || !reason) return null;
  return { sessionId, reason, actorId: actorId || null, at: new Date(Number(score)) };
}

/** A known device is a compact JSON array in its user's devices hash; ids live in the key and field. Position 3 (lastUsedAt) and 4 (expiresAt) are read by Lua. */
type EncodedDevice = [
  secretHash: string,
  createdAtMillis: number,
  lastUsedAtMillis: number,
  expiresAtMillis: number,
  ipAddress: string | null,
  userAgent: string | null,
];
export const DEVICE_LAST_USED_LUA_POSITION = 3;
export const DEVICE_EXPIRES_LUA_POSITION = 4;

export function encodeDeviceRecord(device: KnownDeviceRecord): string {
  const encoded: EncodedDevice = [
    device.secretHash,
    device.createdAt.getTime(),
    device.lastUsedAt.getTime(),
    device.expiresAt.getTime(),
    device.ipAddress,
    device.userAgent,
  ];
  return JSON.stringify(encoded);
}

export function decodeDeviceRecord(userId: string, deviceId: string, raw: string): KnownDeviceRecord {
  const [secretHash, createdAt, lastUsedAt, expiresAt, ipAddress, userAgent] = JSON.parse(raw) as EncodedDevice;
  return {
    id: deviceId,
    userId,
    secretHash,
    createdAt: new Date(createdAt),
    lastUsedAt: new Date(lastUsedAt),
    expiresAt: new Date(expiresAt),
    ipAddress,
    userAgent,
  };
}

/** A mailed token, at its user's key for its kind. Positions read by Lua: id 1, secret hash 2, expires-at 3. */
type EncodedEmailToken = [id: string, secretHash: string, expiresAtMillis: number, email: string];

export function encodeEmailTokenRecord(token: EmailTokenRecord): string {
  const encoded: EncodedEmailToken = [token.id, token.secretHash, token.expiresAt.getTime(), token.email];
  return JSON.stringify(encoded);
}

export function decodeEmailTokenRecord(kind: EmailTokenKind, userId: string, raw: string): EmailTokenRecord {
  const [id, secretHash, expiresAt, email] = JSON.parse(raw) as EncodedEmailToken;
  return { kind, userId, id, secretHash, expiresAt: new Date(expiresAt), email };
}

const ACCOUNT_EVENT_KINDS_BY_STORE_CODE = new Map<string, AccountEventKind>(ACCOUNT_EVENT_KIND_NAMES.map((kind) => [ACCOUNT_EVENT_KINDS[kind].storeCode, kind]));

/**
 * An account event is a member of its user's sorted set, scored by its time:
 * `<nonce>|<kind code>|<session id>`. The nonce keeps two events of one kind in the same
 * millisecond apart (a sorted set holds each member once), and orders the events of one
 * millisecond (members of one score sort by their bytes) as this process recorded them.
 */
export function encodeAccountEventMember(event: AccountEvent): string {
  const sequence = process.hrtime.bigint().toString().padStart(20, '0');
  return `${sequence}${randomBytes(3).toString('hex')}|${ACCOUNT_EVENT_KINDS[event.kind].storeCode}|${event.sessionId ?? ''}`;
}

export function decodeAccountEvent(member: string, score: string): AccountEvent | null {
  const [, code, sessionId] = member.split('|');
  const kind = ACCOUNT_EVENT_KINDS_BY_STORE_CODE.get(code ?? '');
  return kind ? { kind, sessionId: sessionId || null, at: new Date(Number(score)) } : null;
}
