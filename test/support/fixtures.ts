import { SessionTransport, type SessionRecord } from '../../src/session/session.model';
import { hashTokenSecret, newTokenSecret } from '../../src/session/session-token';
import type { Clock } from '../../src/shared/clock';
import { newId } from '../../src/shared/ids';
import type { Store } from '../../src/storage/store';
import { Role, type UserRecord } from '../../src/user/user.model';

export const TEST_IDLE_TTL_SECONDS = 3600;

/**
 * For tests of the login throttles with parallel attempts of one account from one address:
 * the line of password checks (2 places per account) would refuse most of a burst at once,
 * and how many got a place would depend on how fast the machine checks passwords.
 */
export const WIDE_PASSWORD_CHECK_LINE: Readonly<Record<string, string>> = {
  PASSWORD_QUEUE_MAX: '1000',
  PASSWORD_QUEUE_MAX_PER_IP: '1000',
  PASSWORD_QUEUE_MAX_PER_ACCOUNT: '1000',
};

/**
 * For tests of something else that run many parallel logins of one account from one
 * address: the throttles and the line of password checks would refuse most of them.
 */
export const UNTHROTTLED_PASSWORD_CHECKS: Readonly<Record<string, string>> = {
  LOGIN_MAX_CONSECUTIVE_FAILURES: '1000',
  LOGIN_MAX_FAILURES_PER_EMAIL_HOUR: '10000',
  LOGIN_MAX_FAILURES_PER_IP_DAY: '10000',
  ...WIDE_PASSWORD_CHECK_LINE,
};
export const TEST_ABSOLUTE_TTL_SECONDS = 7 * 86_400;

/** A bcrypt-shaped hash; stores treat it as opaque text. */
export const TEST_PASSWORD_HASH = '$2b$04$abcdefghijklmnopqrstuuJ0ZjVt8fVGBbxVqQm8KQ5xKmF8lLh1u';

/** A user with a fresh id and a unique email, created "now" by the clock. */
export function buildUserRecord(clock: Clock, overrides: Partial<UserRecord> = {}): UserRecord {
  const id = overrides.id ?? newId();
  return {
    id,
    email: `user-${id}@example.com`,
    emailVerified: false,
    displayName: 'Test User',
    roles: [Role.USER],
    passwordHash: TEST_PASSWORD_HASH,
    credentialVersion: 0,
    secondFactor: null,
    pendingTotp: null,
    createdAt: clock.now(),
    ...overrides,
  };
}

/**
 * A session of `userId` starting "now" by the clock, expiring after the test idle TTL.
 * Its secretHash is the hash of a real token secret (the secret itself is discarded).
 */
export function buildSessionRecord(clock: Clock, userId: string, overrides: Partial<SessionRecord> = {}): SessionRecord {
  const now = clock.now();
  return {
    id: newId(),
    userId,
    secretHash: hashTokenSecret(newTokenSecret()),
    transport: SessionTransport.COOKIE,
    createdAt: now,
    lastSeenAt: now,
    expiresAt: secondsAfter(now, TEST_IDLE_TTL_SECONDS),
    absoluteExpiresAt: secondsAfter(now, TEST_ABSOLUTE_TTL_SECONDS),
    ipAddress: '203.0.113.7',
    userAgent: 'jest/30 (sessionql tests)',
    authenticatedAt: now,
    aal: 1,
    secondFactorPending: false,
    ...overrides,
  };
}

/** The session as a request "now" would leave it: seen now, idle expiry pushed back. */
export function touchedAt(clock: Clock, session: SessionRecord): SessionRecord {
  const now = clock.now();
  const idleExpiry = secondsAfter(now, TEST_IDLE_TTL_SECONDS);
  return {
    ...session,
    lastSeenAt: now,
    expiresAt: idleExpiry < session.absoluteExpiresAt ? idleExpiry : session.absoluteExpiresAt,
  };
}

export function secondsAfter(date: Date, seconds: number): Date {
  return new Date(date.getTime() + seconds * 1000);
}

/**
 * Stores a session as a login at the user's current credentials would (credentialVersion 0,
 * as every fixture user starts); returns the ids the cap evicted. Fails the test when the
 * store refuses it.
 */
export async function storeSession(store: Store, session: SessionRecord, maxSessionsPerUser: number): Promise<string[]> {
  const result = await store.sessions.createSession(session, { maxSessionsPerUser, credentialVersion: 0 });
  if (!result.created) throw new Error(`the store refused session ${session.id}: the user is missing or its credentials moved`);
  return result.evicted;
}
