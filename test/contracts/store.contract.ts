import { ACCOUNT_EVENT_RETENTION, type AccountEventKind } from '../../src/account/account-event.model';
import type { EmailTokenKind, EmailTokenRecord } from '../../src/account/email-token.model';
import type { KnownDeviceRecord } from '../../src/device/device.model';
import type { SessionEnd } from '../../src/session/session-end-reason';
import { SESSION_EVENT_RETENTION, SessionTransport, type SessionEvent, type SessionRecord } from '../../src/session/session.model';
import { ManualClock } from '../../src/shared/clock';
import { newId } from '../../src/shared/ids';
import type { Cluster, Redis } from 'ioredis';
import { RedisKeyspace } from '../../src/storage/redis/keyspace';
import { createRedisStore } from '../../src/storage/redis/redis-store';
import type { Store } from '../../src/storage/store';
import type { AttemptLimiter } from '../../src/storage/attempt-limiter';
import type { PasswordReplacement } from '../../src/storage/user-store';
import { Role, type UserRecord } from '../../src/user/user.model';
import { hashTokenSecret, newTokenSecret } from '../../src/session/session-token';
import { buildSessionRecord, buildUserRecord, secondsAfter, touchedAt, storeSession } from '../support/fixtures';
import { decodeSessionRecord } from '../../src/storage/redis/records';

/** One store under test, made fresh for every test. */
export interface StoreUnderTest {
  store: Store;
  /**
   * Stores with a raw keyspace (Redis) expose one user's session keys and index entries,
   * so that the suite can check that they never drift apart.
   */
  /** What the user's sessions hash holds: its session ids, the latest expiry among its records, and the hash's own expiry (null without one). */
  readSessionKeyspace?(userId: string): Promise<{ storedIds: string[]; latestRecordExpiry: number | null; keyExpiresAt: number | null }>;
  close(): Promise<void>;
}

export type StoreFactory = (clock: ManualClock) => Promise<StoreUnderTest>;

const NO_CAP = 1000;

/** A revocation by the user themself, as mySessions' revokeSession makes it. */
function revokedBy(userId: string): SessionEnd {
  return { reason: 'revoked_by_user', actorId: userId };
}

/** Fresh ids, largest first. */
function descendingIds(count: number): string[] {
  return Array.from({ length: count }, () => newId()).sort((a, b) => (a < b ? 1 : a > b ? -1 : 0));
}

/**
 * The contract every Store implementation must pass (src/user/user.store.ts,
 * src/session/session.store.ts). Time only moves when a test advances the ManualClock.
 */
/**
 * The factory for a Redis store on `redis()` (standalone or Cluster, connected in the
 * caller's beforeAll). Each test gets its own key prefix under `runPrefix`, so that fixed
 * emails such as alice@example.com never collide.
 */
export function redisStoreFactory(redis: () => Redis | Cluster, runPrefix: string): StoreFactory {
  let testNumber = 0;
  return async (clock) => {
    const client = redis();
    const keyPrefix = `${runPrefix}t${++testNumber}:`;
    const keys = new RedisKeyspace(keyPrefix);
    return {
      store: createRedisStore({ redis: client, clock, keyPrefix }),
      readSessionKeyspace: async (userId) => {
        const key = keys.sessions(userId);
        const records = await client.hgetall(key);
        const expiries = Object.values(records).map((raw) => decodeSessionRecord(userId, 'id', raw).expiresAt.getTime());
        const keyExpiresAt = Number(await client.call('PEXPIRETIME', key));
        return {
          storedIds: Object.keys(records),
          latestRecordExpiry: expiries.length > 0 ? Math.max(...expiries) : null,
          keyExpiresAt: keyExpiresAt > 0 ? keyExpiresAt : null,
        };
      },
      close: async () => {},
    };
  };
}

export function describeStoreContract(name: string, factory: StoreFactory): void {
  describe(`${name} store contract`, () => {
    let clock: ManualClock;
    let subject: StoreUnderTest;
    let store: Store;

    beforeEach(async () => {
      clock = new ManualClock();
      subject = await factory(clock);
      store = subject.store;
    });

    afterEach(async () => {
      await subject.close();
    });

    async function createUser(overrides: Partial<UserRecord> = {}): Promise<UserRecord> {
      const user = buildUserRecord(clock, overrides);
      expect(await store.users.createUser(user)).toBe('created');
      return user;
    }

    async function createSession(userId: string, overrides: Partial<SessionRecord> = {}): Promise<SessionRecord> {
      const session = buildSessionRecord(clock, userId, overrides);
      expect(await storeSession(store, session, NO_CAP)).toEqual([]);
      return session;
    }

    async function liveSessionIds(userId: string): Promise<string[]> {
      return (await store.sessions.listSessions(userId)).map((session) => session.id).sort();
    }

    /**
     * Redis only: the user's sessions hash holds exactly the expected sessions (no stale
     * record), and lives at least as long as the longest-lived of them (none lost early).
     */
    async function expectKeyspaceInStep(userId: string, expectedIds: string[]): Promise<void> {
      if (!subject.readSessionKeyspace) return;
      const { storedIds, latestRecordExpiry, keyExpiresAt } = await subject.readSessionKeyspace(userId);
      expect(storedIds.sort()).toEqual([...expectedIds].sort());
      if (latestRecordExpiry === null) expect(keyExpiresAt).toBeNull();
      else expect(keyExpiresAt).toBeGreaterThanOrEqual(latestRecordExpiry);
    }

    it('answers a health check', async () => {
      await expect(store.checkHealth()).resolves.toBeUndefined();
    });

    describe('users', () => {
      it('creates a user and finds it by id and by email, case-insensitively', async () => {
        const user = await createUser({ email: 'Alice@Example.com', roles: [Role.USER, Role.ADMIN] });

        expect(await store.users.findUserById(user.id)).toEqual(user);
        expect(await store.users.findUserByEmail('alice@example.com')).toEqual(user);
        expect(await store.users.findUserByEmail('ALICE@EXAMPLE.COM')).toEqual(user);
        expect(await store.users.findUserByEmail('  Alice@Example.com ')).toEqual(user);
        // The email is kept as typed; only uniqueness and lookup ignore case.
        expect((await store.users.findUserByEmail('alice@example.com'))?.email).toBe('Alice@Example.com');
      });

      it('finds nothing for an unknown id or email', async () => {
        await createUser({ email: 'alice@example.com' });
        expect(await store.users.findUserById(newId())).toBeNull();
        expect(await store.users.findUserByEmail('bob@example.com')).toBeNull();
      });

      it('refuses a second user with the same email in another case and leaves the first untouched', async () => {
        const first = await createUser({ email: 'Alice@Example.com' });
        const second = buildUserRecord(clock, { email: 'alice@EXAMPLE.com', displayName: 'Impostor' });

        expect(await store.users.createUser(second)).toBe('email_taken');

        expect(await store.users.findUserByEmail('alice@example.com')).toEqual(first);
        expect(await store.users.findUserById(first.id)).toEqual(first);
        expect(await store.users.findUserById(second.id)).toBeNull();
      });

      it('creates exactly one of 20 concurrent users with the same email', async () => {
        const candidates = Array.from({ length: 20 }, (_, i) =>
          buildUserRecord(clock, { email: i % 2 === 0 ? 'race@example.com' : 'RACE@example.com', displayName: `candidate ${i}` }),
        );

        const results = await Promise.all(candidates.map((candidate) => store.users.createUser(candidate)));

        expect(results.filter((result) => result === 'created')).toHaveLength(1);
        expect(results.filter((result) => result === 'email_taken')).toHaveLength(19);
        const winner = candidates[results.indexOf('created')]!;
        expect(await store.users.findUserByEmail('race@example.com')).toEqual(winner);
        for (const loser of candidates.filter((candidate) => candidate !== winner)) {
          expect(await store.users.findUserById(loser.id)).toBeNull();
        }
      });

      it('applies an update and returns the stored record', async () => {
        const user = await createUser({ displayName: 'Alice' });

        const updated = await store.users.updateUser(user.id, (current) => ({ ...current, displayName: 'Alice Liddell' }));

        expect(updated).toEqual({ ...user, displayName: 'Alice Liddell' });
        expect(await store.users.findUserById(user.id)).toEqual({ ...user, displayName: 'Alice Liddell' });
      });

      it('returns null when updating an unknown user, and creates nothing', async () => {
        const userId = newId();
        expect(await store.users.updateUser(userId, (current) => ({ ...current, displayName: 'Ghost' }))).toBeNull();
        expect(await store.users.findUserById(userId)).toBeNull();
      });

      it('writes nothing when the change declines (returns null), and answers null', async () => {
        const user = await createUser({ displayName: 'Alice' });
        let calls = 0;
        expect(
          await store.users.updateUser(user.id, () => {
            calls++;
            return null;
          }),
        ).toBeNull();
        expect(calls).toBe(1);
        expect(await store.users.findUserById(user.id)).toEqual(user);
      });

      it('keeps a second factor and a waiting enrolment, every field intact', async () => {
        const enrolled = await createUser({
          secondFactor: { totpSecretCiphertext: 'v1.iv.tag.ciphertext', lastUsedStep: 59_666_666, recoveryCodeHashes: ['hash-a', 'hash-b'], enabledAt: clock.now() },
          pendingTotp: null,
        });
        const enrolling = await createUser({ pendingTotp: { totpSecretCiphertext: 'v1.iv2.tag2.ciphertext2', expiresAt: secondsAfter(clock.now(), 600) } });
        expect(await store.users.findUserById(enrolled.id)).toEqual(enrolled);
        expect(await store.users.findUserById(enrolling.id)).toEqual(enrolling);
        const found = await store.users.findUserById(enrolled.id);
        found!.secondFactor!.recoveryCodeHashes.pop();
        expect((await store.users.findUserById(enrolled.id))!.secondFactor!.recoveryCodeHashes).toHaveLength(2);
      });

      it('decides on the record it stores: of 10 concurrent changes that each use up one code, exactly one succeeds', async () => {
        const user = await createUser({
          secondFactor: { totpSecretCiphertext: 'sealed', lastUsedStep: 0, recoveryCodeHashes: ['only-code'], enabledAt: clock.now() },
        });
        const results = await Promise.all(
          Array.from({ length: 10 }, () =>
            store.users.updateUser(user.id, (current) =>
              current.secondFactor?.recoveryCodeHashes.includes('only-code') ? { ...current, secondFactor: { ...current.secondFactor, recoveryCodeHashes: [] } } : null,
            ),
          ),
        );
        expect(results.filter((result) => result !== null)).toHaveLength(1);
        expect((await store.users.findUserById(user.id))!.secondFactor!.recoveryCodeHashes).toEqual([]);
      });

      it('applies every one of 10 concurrent updates (none is lost)', async () => {
        const user = await createUser({ displayName: 'base' });
        const markers = Array.from({ length: 10 }, (_, i) => `[m${i}]`);

        const results = await Promise.all(
          markers.map((marker) =>
            store.users.updateUser(user.id, (current) => ({ ...current, displayName: current.displayName + marker })),
          ),
        );

        expect(results.every((result) => result !== null)).toBe(true);
        const stored = await store.users.findUserById(user.id);
        for (const marker of markers) {
          expect(stored?.displayName.split(marker)).toHaveLength(2);
        }
        expect(stored?.displayName).toHaveLength('base'.length + markers.join('').length);
      });
    });

    describe('sessions', () => {
      it('creates a session and finds it with its user, every field intact', async () => {
        const user = await createUser();
        const cookieSession = await createSession(user.id);
        const headerSession = await createSession(user.id, {
          transport: SessionTransport.HEADER,
          ipAddress: null,
          userAgent: null,
        });

        for (const session of [cookieSession, headerSession]) {
          const found = await store.sessions.findSessionWithUser(user.id, session.id);
          expect(found.session).toEqual(session);
          expect(found.session?.expiresAt.getTime()).toBe(session.expiresAt.getTime());
          expect(found.user).toEqual(user);
        }
      });

      it('shares no mutable state with callers, and returns real Dates', async () => {
        const user = await createUser({ displayName: 'Alice' });
        const session = await createSession(user.id);
        const original = { user: structuredClone(user), session: structuredClone(session) };

        // Changing what was passed in, or what came out, must not change what is stored.
        user.roles.push(Role.ADMIN);
        user.displayName = 'Mallory';
        session.expiresAt.setTime(0);
        const found = await store.sessions.findSessionWithUser(user.id, session.id);
        found.user?.roles.push(Role.ADMIN);
        found.session?.lastSeenAt.setTime(0);
        (await store.users.findUserById(user.id))?.createdAt.setTime(0);

        const again = await store.sessions.findSessionWithUser(user.id, session.id);
        expect(again).toEqual(original);
        // GraphQL's DateTime scalar checks `instanceof Date` in the server's own realm.
        expect(again.session?.createdAt).toBeInstanceOf(Date);
        expect(again.user?.createdAt).toBeInstanceOf(Date);
        expect((await store.sessions.listSessions(user.id))[0]?.expiresAt).toBeInstanceOf(Date);
      });

      it('finds no session for an unknown session id or user', async () => {
        const user = await createUser();
        const session = await createSession(user.id);

        expect(await store.sessions.findSessionWithUser(user.id, newId())).toEqual({ session: null, user });
        expect(await store.sessions.findSessionWithUser(newId(), session.id)).toEqual({ session: null, user: null });
      });

      it('stores the new lastSeenAt and expiresAt of a touched session', async () => {
        const user = await createUser();
        const session = await createSession(user.id);
        clock.advanceBySeconds(600);
        const touched = touchedAt(clock, session);
        expect(touched.expiresAt.getTime()).toBeGreaterThan(session.expiresAt.getTime());

        expect(await store.sessions.updateSession(session, touched)).toBe('updated');

        expect((await store.sessions.findSessionWithUser(user.id, session.id)).session).toEqual(touched);
        expect(await store.sessions.listSessions(user.id)).toEqual([touched]);
      });

      it('rewrites a session only while it holds the record the writer read', async () => {
        const user = await createUser();
        const session = await createSession(user.id);
        const steppedUp = { ...session, secretHash: hashTokenSecret(newTokenSecret()), authenticatedAt: secondsAfter(clock.now(), 1), aal: 2 as const };
        expect(await store.sessions.updateSession(session, steppedUp)).toBe('updated');
        clock.advanceBySeconds(600);

        // A request that read the session before the step-up cannot undo it by sliding the expiry.
        expect(await store.sessions.updateSession(session, touchedAt(clock, session))).toBe('changed');
        expect((await store.sessions.findSessionWithUser(user.id, session.id)).session).toEqual(steppedUp);
        expect(await store.sessions.updateSession(steppedUp, touchedAt(clock, steppedUp))).toBe('updated');
      });

      it('lets exactly one of 10 concurrent rewrites from the same read through', async () => {
        const user = await createUser();
        const session = await createSession(user.id);
        const rewrites = Array.from({ length: 10 }, (_, i) => ({ ...session, authenticatedAt: secondsAfter(clock.now(), i + 1) }));
        const results = await Promise.all(rewrites.map((next) => store.sessions.updateSession(session, next)));
        expect(results.filter((result) => result === 'updated')).toHaveLength(1);
        expect(results.filter((result) => result === 'changed')).toHaveLength(9);
      });

      it('keeps a touched session alive past its first expiry', async () => {
        const user = await createUser();
        const session = await createSession(user.id);
        clock.advanceBySeconds(3000);
        expect(await store.sessions.updateSession(session, touchedAt(clock, session))).toBe('updated');

        clock.advanceBySeconds(1200); // Past the original expiresAt, within the new one.

        expect(await liveSessionIds(user.id)).toEqual([session.id]);
        expect(await store.sessions.revokeSession(user.id, session.id, revokedBy(user.id))).toBe(true);
      });

      it('does not bring back a revoked session when it is touched afterwards', async () => {
        const user = await createUser();
        const session = await createSession(user.id);
        expect(await store.sessions.revokeSession(user.id, session.id, revokedBy(user.id))).toBe(true);
        clock.advanceBySeconds(60);

        expect(await store.sessions.updateSession(session, touchedAt(clock, session))).toBe('gone');

        await expectKeyspaceInStep(user.id, []);
        expect((await store.sessions.findSessionWithUser(user.id, session.id)).session).toBeNull();
        expect(await store.sessions.listSessions(user.id)).toEqual([]);
      });

      it('lists only live sessions and drops those whose expiresAt has passed', async () => {
        const user = await createUser();
        const shortLived = await createSession(user.id, { expiresAt: secondsAfter(clock.now(), 3600) });
        const longLived = await createSession(user.id, { expiresAt: secondsAfter(clock.now(), 3 * 3600) });

        expect(await liveSessionIds(user.id)).toEqual([shortLived.id, longLived.id].sort());

        clock.advanceBySeconds(2 * 3600);

        expect(await liveSessionIds(user.id)).toEqual([longLived.id]);
        expect(await store.sessions.revokeSession(user.id, shortLived.id, revokedBy(user.id))).toBe(false);
        await expectKeyspaceInStep(user.id, [longLived.id]);
      });

      it('finds no session once its expiresAt has passed by the store clock', async () => {
        const user = await createUser();
        const session = await createSession(user.id, { expiresAt: secondsAfter(clock.now(), 60) });

        clock.advanceBySeconds(120);

        expect(await store.sessions.findSessionWithUser(user.id, session.id)).toEqual({ session: null, user });
      });

      it('does not bring back an expired session when it is touched', async () => {
        const user = await createUser();
        const session = await createSession(user.id, { expiresAt: secondsAfter(clock.now(), 60) });
        clock.advanceBySeconds(120);

        expect(await store.sessions.updateSession(session, touchedAt(clock, session))).toBe('gone');

        expect(await store.sessions.listSessions(user.id)).toEqual([]);
        expect((await store.sessions.findSessionWithUser(user.id, session.id)).session).toBeNull();
      });

      it('treats a session as expired exactly at its expiresAt', async () => {
        const user = await createUser();
        await createSession(user.id, { expiresAt: secondsAfter(clock.now(), 60) });

        clock.advanceBySeconds(60);

        expect(await store.sessions.listSessions(user.id)).toEqual([]);
      });

      it('revokes a session once: true, then false', async () => {
        const user = await createUser();
        const session = await createSession(user.id);
        const kept = await createSession(user.id);

        expect(await store.sessions.revokeSession(user.id, session.id, revokedBy(user.id))).toBe(true);
        expect(await store.sessions.revokeSession(user.id, session.id, revokedBy(user.id))).toBe(false);

        await expectKeyspaceInStep(user.id, [kept.id]);
        expect((await store.sessions.findSessionWithUser(user.id, session.id)).session).toBeNull();
        expect(await liveSessionIds(user.id)).toEqual([kept.id]);
      });

      it('answers false for an unknown session id and for another user\'s session, which stays live', async () => {
        const alice = await createUser();
        const bob = await createUser();
        const bobSession = await createSession(bob.id);

        expect(await store.sessions.revokeSession(alice.id, newId(), revokedBy(alice.id))).toBe(false);
        expect(await store.sessions.revokeSession(alice.id, bobSession.id, revokedBy(alice.id))).toBe(false);

        expect((await store.sessions.findSessionWithUser(bob.id, bobSession.id)).session).toEqual(bobSession);
        expect(await liveSessionIds(bob.id)).toEqual([bobSession.id]);
      });

      it('ends a session only when it still has the secret hash asked for', async () => {
        const user = await createUser();
        const session = await createSession(user.id);

        expect(await store.sessions.revokeSession(user.id, session.id, revokedBy(user.id), { secretHash: hashTokenSecret(newTokenSecret()) })).toBe(false);
        expect(await liveSessionIds(user.id)).toEqual([session.id]);
        expect(await store.sessions.listSessionEvents(user.id, 10)).toEqual([]);

        expect(await store.sessions.revokeSession(user.id, session.id, revokedBy(user.id), { secretHash: session.secretHash })).toBe(true);
        await expectKeyspaceInStep(user.id, []);
      });

      it('revokes all of a user\'s sessions and returns how many ended', async () => {
        const user = await createUser();
        await createSession(user.id);
        await createSession(user.id);
        await createSession(user.id);
        const other = await createUser();
        const otherSession = await createSession(other.id);

        expect(await store.sessions.revokeUserSessions(user.id, revokedBy(user.id))).toBe(3);

        await expectKeyspaceInStep(user.id, []);
        expect(await store.sessions.listSessions(user.id)).toEqual([]);
        expect(await store.sessions.revokeUserSessions(user.id, revokedBy(user.id))).toBe(0);
        expect(await liveSessionIds(other.id)).toEqual([otherSession.id]);
      });

      it('revokes all of a user\'s sessions but the one kept', async () => {
        const user = await createUser();
        await createSession(user.id);
        const kept = await createSession(user.id);
        await createSession(user.id);

        expect(await store.sessions.revokeUserSessions(user.id, revokedBy(user.id), kept.id)).toBe(2);

        await expectKeyspaceInStep(user.id, [kept.id]);
        expect(await liveSessionIds(user.id)).toEqual([kept.id]);
        expect((await store.sessions.findSessionWithUser(user.id, kept.id)).session).toEqual(kept);
      });

      it('counts only live sessions when revoking all of them', async () => {
        const user = await createUser();
        await createSession(user.id, { expiresAt: secondsAfter(clock.now(), 60) });
        await createSession(user.id, { expiresAt: secondsAfter(clock.now(), 3600) });
        clock.advanceBySeconds(120);

        expect(await store.sessions.revokeUserSessions(user.id, revokedBy(user.id))).toBe(1);
        await expectKeyspaceInStep(user.id, []);
      });

      it('evicts the least recently used sessions when a new one goes over the cap', async () => {
        // Ids in the reverse of the eviction order, so that evicting by id cannot pass.
        const [firstVictimId, secondVictimId, ...otherIds] = descendingIds(5);
        const user = await createUser();
        const oldestButRecentlyUsed = await createSession(user.id, { id: otherIds[0] });
        clock.advanceBySeconds(60);
        const leastRecentlyUsed = await createSession(user.id, { id: firstVictimId });
        clock.advanceBySeconds(60);
        const middle = await createSession(user.id, { id: secondVictimId });
        clock.advanceBySeconds(60);
        expect(await store.sessions.updateSession(oldestButRecentlyUsed, touchedAt(clock, oldestButRecentlyUsed))).toBe('updated');
        clock.advanceBySeconds(60);

        const fourth = buildSessionRecord(clock, user.id, { id: otherIds[1] });
        expect(await storeSession(store, fourth, 3)).toEqual([leastRecentlyUsed.id]);

        await expectKeyspaceInStep(user.id, [oldestButRecentlyUsed.id, middle.id, fourth.id]);
        expect(await liveSessionIds(user.id)).toEqual([oldestButRecentlyUsed.id, middle.id, fourth.id].sort());
        expect((await store.sessions.findSessionWithUser(user.id, leastRecentlyUsed.id)).session).toBeNull();

        clock.advanceBySeconds(60);
        const fifth = buildSessionRecord(clock, user.id, { id: otherIds[2] });
        expect(await storeSession(store, fifth, 3)).toEqual([middle.id]);
        expect(await liveSessionIds(user.id)).toEqual([oldestButRecentlyUsed.id, fourth.id, fifth.id].sort());
      });

      it('keeps a session waiting for its second factor as such, and lets a rewrite complete it', async () => {
        const user = await createUser();
        const pending = await createSession(user.id, { secondFactorPending: true, expiresAt: secondsAfter(clock.now(), 300) });
        expect((await store.sessions.findSessionWithUser(user.id, pending.id)).session).toEqual(pending);
        const completed = { ...pending, secondFactorPending: false, aal: 2 as const, expiresAt: secondsAfter(clock.now(), 3600) };
        expect(await store.sessions.updateSession(pending, completed)).toBe('updated');
        expect((await store.sessions.findSessionWithUser(user.id, pending.id)).session).toEqual(completed);
        // The old record (what a request that read it before would write back) is refused.
        expect(await store.sessions.updateSession(pending, touchedAt(clock, pending))).toBe('changed');
      });

      it('ends sessions waiting for a second factor first when over the cap, and never a signed-in one for a waiting one', async () => {
        const user = await createUser();
        const ids = descendingIds(5);
        const signedIn = [await createSession(user.id, { id: ids[0] })];
        clock.advanceBySeconds(10);
        signedIn.push(await createSession(user.id, { id: ids[1] }));
        clock.advanceBySeconds(10);
        // The most recently used, but waiting: it goes first.
        const waiting = await createSession(user.id, { id: ids[2], secondFactorPending: true, expiresAt: secondsAfter(clock.now(), 300) });
        clock.advanceBySeconds(10);

        // A waiting session over the cap ends the other waiting one, never a signed-in one: it
        // leaves the user one over the cap rather than sign anyone out.
        const secondWaiting = buildSessionRecord(clock, user.id, { id: ids[3], secondFactorPending: true, expiresAt: secondsAfter(clock.now(), 300) });
        expect(await storeSession(store, secondWaiting, 2)).toEqual([waiting.id]);
        expect(await liveSessionIds(user.id)).toEqual([...signedIn.map((session) => session.id), secondWaiting.id].sort());

        // A signed-in session over the cap ends the waiting ones first, then the least recently used.
        clock.advanceBySeconds(10);
        const newest = buildSessionRecord(clock, user.id, { id: ids[4] });
        expect((await storeSession(store, newest, 2)).sort()).toEqual([secondWaiting.id, signedIn[0]!.id].sort());
        expect(await liveSessionIds(user.id)).toEqual([signedIn[1]!.id, newest.id].sort());
        await expectKeyspaceInStep(user.id, [signedIn[1]!.id, newest.id]);
      });

      it('evicts several sessions at once when the cap went down', async () => {
        const user = await createUser();
        const ids = descendingIds(5);
        const sessions: SessionRecord[] = [];
        for (let i = 0; i < 4; i++) {
          sessions.push(await createSession(user.id, { id: ids[i] }));
          clock.advanceBySeconds(10);
        }

        const newest = buildSessionRecord(clock, user.id, { id: ids[4] });
        const evicted = await storeSession(store, newest, 2);

        expect(evicted.sort()).toEqual(sessions.slice(0, 3).map((session) => session.id).sort());
        expect(await liveSessionIds(user.id)).toEqual([sessions[3]!.id, newest.id].sort());
      });

      it('does not count expired sessions against the cap', async () => {
        const user = await createUser();
        await createSession(user.id, { expiresAt: secondsAfter(clock.now(), 60) });
        const live = await createSession(user.id);
        clock.advanceBySeconds(120);

        const newest = buildSessionRecord(clock, user.id);
        expect(await storeSession(store, newest, 2)).toEqual([]);
        expect(await liveSessionIds(user.id)).toEqual([live.id, newest.id].sort());
      });
    });

    describe('password replacement', () => {
      const NEW_HASH = '$2b$04$new-hash';

      function newPassword(userId: string, options: { keepSessionId?: string; expectedCredentialVersion?: number } = {}): PasswordReplacement {
        return { passwordHash: NEW_HASH, end: { reason: 'password_change', actorId: userId }, expectedCredentialVersion: 0, ...options };
      }

      it('replaces the hash, moves the credential version, and ends every session but the kept one', async () => {
        const user = await createUser();
        await createSession(user.id);
        const kept = await createSession(user.id);
        await createSession(user.id);

        expect(await store.users.replacePassword(user.id, newPassword(user.id, { keepSessionId: kept.id }))).toEqual({ outcome: 'replaced', endedSessions: 2 });

        await expectKeyspaceInStep(user.id, [kept.id]);
        expect(await store.users.findUserById(user.id)).toEqual({ ...user, passwordHash: NEW_HASH, credentialVersion: 1 });
        expect(await liveSessionIds(user.id)).toEqual([kept.id]);
      });

      it('changes nothing when the kept session is not live: not the user\'s, revoked, or expired', async () => {
        const user = await createUser();
        const other = await createSession(user.id);
        const revoked = await createSession(user.id);
        await store.sessions.revokeSession(user.id, revoked.id, revokedBy(user.id));
        const expiring = await createSession(user.id, { expiresAt: secondsAfter(clock.now(), 60) });
        clock.advanceBySeconds(61);

        for (const keepSessionId of [newId(), revoked.id, expiring.id]) {
          expect(await store.users.replacePassword(user.id, newPassword(user.id, { keepSessionId }))).toEqual({ outcome: 'session_ended' });
        }
        expect(await store.users.findUserById(user.id)).toEqual(user);
        expect(await liveSessionIds(user.id)).toEqual([other.id]);
      });

      it('changes nothing when the credentials moved since the change was authorised', async () => {
        const user = await createUser();
        const session = await createSession(user.id);
        expect(await store.users.replacePassword(user.id, newPassword(user.id, { keepSessionId: session.id }))).toMatchObject({ outcome: 'replaced' });

        const stale = { ...newPassword(user.id, { keepSessionId: session.id }), passwordHash: '$2b$04$stale' };
        expect(await store.users.replacePassword(user.id, stale)).toEqual({ outcome: 'credentials_changed' });
        expect(await store.users.findUserById(user.id)).toMatchObject({ passwordHash: NEW_HASH, credentialVersion: 1 });
        expect(await store.users.replacePassword(user.id, newPassword(user.id, { keepSessionId: session.id, expectedCredentialVersion: 1 }))).toMatchObject({ outcome: 'replaced' });
      });

      it('lets exactly one of 10 concurrent changes from the same credentials through, and keeps other updates', async () => {
        const user = await createUser();
        const session = await createSession(user.id);
        const changes = Array.from({ length: 10 }, (_, i) =>
          store.users.replacePassword(user.id, { ...newPassword(user.id, { keepSessionId: session.id }), passwordHash: `$2b$04$racer-${i}` }),
        );
        const roleChange = store.users.updateUser(user.id, (current) => ({ ...current, roles: [Role.USER, Role.ADMIN] }));

        const results = await Promise.all(changes);
        await roleChange;

        const winners = results.flatMap((result, i) => (result.outcome === 'replaced' ? [i] : []));
        expect(winners).toHaveLength(1);
        expect(results.filter((result) => result.outcome === 'credentials_changed')).toHaveLength(9);
        expect(await store.users.findUserById(user.id)).toEqual({
          ...user,
          roles: [Role.USER, Role.ADMIN],
          passwordHash: `$2b$04$racer-${winners[0]}`,
          credentialVersion: 1,
        });
      });

      it('ends every session when none is kept, recording the end given', async () => {
        const user = await createUser();
        const sessions = [await createSession(user.id), await createSession(user.id)];

        const reset: PasswordReplacement = { passwordHash: NEW_HASH, end: { reason: 'revoked_by_admin', actorId: null }, expectedCredentialVersion: 0 };
        expect(await store.users.replacePassword(user.id, reset)).toEqual({ outcome: 'replaced', endedSessions: 2 });

        await expectKeyspaceInStep(user.id, []);
        expect(await store.sessions.listSessions(user.id)).toEqual([]);
        const events = await store.sessions.listSessionEvents(user.id, 10);
        expect(events.map((event) => event.sessionId).sort()).toEqual(sessions.map((session) => session.id).sort());
        for (const event of events) expect(event).toMatchObject({ reason: 'revoked_by_admin', actorId: null });
      });

      it('answers no_user for an unknown user', async () => {
        const userId = newId();
        expect(await store.users.replacePassword(userId, newPassword(userId))).toEqual({ outcome: 'no_user' });
        expect(await store.users.findUserById(userId)).toBeNull();
      });
    });

    describe('credentials and new sessions', () => {
      it('creates a session only for the credential version it was verified at', async () => {
        const user = await createUser();
        const kept = await createSession(user.id);
        const reset: PasswordReplacement = { passwordHash: '$2b$04$new', end: { reason: 'password_change', actorId: user.id }, expectedCredentialVersion: 0, keepSessionId: kept.id };
        expect(await store.users.replacePassword(user.id, reset)).toMatchObject({ outcome: 'replaced' });

        const verifiedBefore = buildSessionRecord(clock, user.id);
        expect(await store.sessions.createSession(verifiedBefore, { maxSessionsPerUser: NO_CAP, credentialVersion: 0 })).toEqual({ created: false });
        await expectKeyspaceInStep(user.id, [kept.id]);
        expect((await store.sessions.findSessionWithUser(user.id, verifiedBefore.id)).session).toBeNull();

        const verifiedAfter = buildSessionRecord(clock, user.id);
        expect(await store.sessions.createSession(verifiedAfter, { maxSessionsPerUser: NO_CAP, credentialVersion: 1 })).toEqual({ created: true, evicted: [] });
        expect(await liveSessionIds(user.id)).toEqual([kept.id, verifiedAfter.id].sort());
      });

      it('creates no session for a user that does not exist', async () => {
        const session = buildSessionRecord(clock, newId());
        expect(await store.sessions.createSession(session, { maxSessionsPerUser: NO_CAP, credentialVersion: 0 })).toEqual({ created: false });
        expect(await store.sessions.listSessions(session.userId)).toEqual([]);
      });
    });

    describe('session events (audit trail)', () => {
      async function eventsOf(userId: string, limit = 100): Promise<SessionEvent[]> {
        return store.sessions.listSessionEvents(userId, limit);
      }

      it('records why and by whom each session ended, newest first, at the time it ended', async () => {
        const user = await createUser();
        const admin = await createUser();
        const [first, second, third] = [await createSession(user.id), await createSession(user.id), await createSession(user.id)];

        expect(await store.sessions.revokeSession(user.id, first.id, { reason: 'logout', actorId: user.id })).toBe(true);
        const firstEndedAt = clock.now();
        clock.advanceBySeconds(10);
        expect(await store.sessions.revokeSession(user.id, second.id, { reason: 'revoked_by_admin', actorId: admin.id })).toBe(true);
        clock.advanceBySeconds(10);
        expect(await store.sessions.revokeSession(user.id, third.id, { reason: 'replaced_by_login', actorId: user.id })).toBe(true);

        expect(await eventsOf(user.id)).toEqual([
          { sessionId: third.id, reason: 'replaced_by_login', actorId: user.id, at: clock.now() },
          { sessionId: second.id, reason: 'revoked_by_admin', actorId: admin.id, at: secondsAfter(firstEndedAt, 10) },
          { sessionId: first.id, reason: 'logout', actorId: user.id, at: firstEndedAt },
        ]);
        expect(await eventsOf(admin.id)).toEqual([]);
      });

      it('records nothing for an end that did not happen, and each end once', async () => {
        const alice = await createUser();
        const bob = await createUser();
        const bobSession = await createSession(bob.id);
        const aliceSession = await createSession(alice.id);

        expect(await store.sessions.revokeSession(alice.id, newId(), revokedBy(alice.id))).toBe(false);
        expect(await store.sessions.revokeSession(alice.id, bobSession.id, revokedBy(alice.id))).toBe(false);
        expect(await eventsOf(alice.id)).toEqual([]);
        expect(await eventsOf(bob.id)).toEqual([]);

        expect(await store.sessions.revokeSession(alice.id, aliceSession.id, revokedBy(alice.id))).toBe(true);
        expect(await store.sessions.revokeSession(alice.id, aliceSession.id, revokedBy(alice.id))).toBe(false);
        expect(await store.sessions.revokeUserSessions(alice.id, revokedBy(alice.id))).toBe(0);
        expect(await eventsOf(alice.id)).toEqual([{ sessionId: aliceSession.id, reason: 'revoked_by_user', actorId: alice.id, at: clock.now() }]);
      });

      it('records every session ended at once, but not the one kept', async () => {
        const user = await createUser();
        const admin = await createUser();
        const kept = await createSession(user.id);
        const others = [await createSession(user.id), await createSession(user.id)];

        expect(await store.sessions.revokeUserSessions(user.id, { reason: 'revoked_by_admin', actorId: admin.id }, kept.id)).toBe(2);

        const events = await eventsOf(user.id);
        expect(events.map((event) => event.sessionId).sort()).toEqual(others.map((session) => session.id).sort());
        for (const event of events) expect(event).toMatchObject({ reason: 'revoked_by_admin', actorId: admin.id, at: clock.now() });
      });

      it('records a password change as ending every other session, by the user', async () => {
        const user = await createUser();
        const kept = await createSession(user.id);
        const other = await createSession(user.id);

        const change: PasswordReplacement = { passwordHash: '$2b$04$new-hash', end: { reason: 'password_change', actorId: user.id }, expectedCredentialVersion: 0, keepSessionId: kept.id };
        expect(await store.users.replacePassword(user.id, change)).toEqual({ outcome: 'replaced', endedSessions: 1 });

        expect(await eventsOf(user.id)).toEqual([{ sessionId: other.id, reason: 'password_change', actorId: user.id, at: clock.now() }]);
      });

      it('records an eviction over the cap as the system\'s', async () => {
        const user = await createUser();
        const oldest = await createSession(user.id);
        clock.advanceBySeconds(60);
        await createSession(user.id);
        clock.advanceBySeconds(60);

        expect(await storeSession(store, buildSessionRecord(clock, user.id), 2)).toEqual([oldest.id]);

        expect(await eventsOf(user.id)).toEqual([{ sessionId: oldest.id, reason: 'evicted_over_cap', actorId: null, at: clock.now() }]);
      });

      it('records an expiry when the store prunes the session, at the moment it expired, once', async () => {
        const user = await createUser();
        const shortLived = await createSession(user.id, { expiresAt: secondsAfter(clock.now(), 60) });
        const alsoShort = await createSession(user.id, { expiresAt: secondsAfter(clock.now(), 90) });
        const live = await createSession(user.id);
        clock.advanceBySeconds(120);

        expect(await liveSessionIds(user.id)).toEqual([live.id]);
        // Revoking or listing again must not record the same end a second time.
        expect(await store.sessions.revokeSession(user.id, shortLived.id, revokedBy(user.id))).toBe(false);
        expect(await liveSessionIds(user.id)).toEqual([live.id]);

        expect(await eventsOf(user.id)).toEqual([
          { sessionId: alsoShort.id, reason: 'expired', actorId: null, at: alsoShort.expiresAt },
          { sessionId: shortLived.id, reason: 'expired', actorId: null, at: shortLived.expiresAt },
        ]);
      });

      it('records expiries noticed while creating a session or revoking the others', async () => {
        const user = await createUser();
        const expiresOnCreate = await createSession(user.id, { expiresAt: secondsAfter(clock.now(), 60) });
        clock.advanceBySeconds(120);
        const kept = await createSession(user.id);
        const expiresOnRevoke = await createSession(user.id, { expiresAt: secondsAfter(clock.now(), 60) });
        clock.advanceBySeconds(120);

        expect(await store.sessions.revokeUserSessions(user.id, revokedBy(user.id), kept.id)).toBe(0);

        expect(await eventsOf(user.id)).toEqual([
          { sessionId: expiresOnRevoke.id, reason: 'expired', actorId: null, at: expiresOnRevoke.expiresAt },
          { sessionId: expiresOnCreate.id, reason: 'expired', actorId: null, at: expiresOnCreate.expiresAt },
        ]);
      });

      it(`keeps the newest ${SESSION_EVENT_RETENTION.maxEventsPerUser} events and answers at most the limit asked`, async () => {
        const user = await createUser();
        const ended: string[] = [];
        for (let i = 0; i < SESSION_EVENT_RETENTION.maxEventsPerUser + 5; i++) {
          const session = await createSession(user.id);
          expect(await store.sessions.revokeSession(user.id, session.id, { reason: 'logout', actorId: user.id })).toBe(true);
          ended.push(session.id);
          clock.advanceBySeconds(1);
        }
        const newestFirst = [...ended].reverse();

        expect((await eventsOf(user.id, 1000)).map((event) => event.sessionId)).toEqual(newestFirst.slice(0, SESSION_EVENT_RETENTION.maxEventsPerUser));
        expect((await eventsOf(user.id, 3)).map((event) => event.sessionId)).toEqual(newestFirst.slice(0, 3));
        expect(await eventsOf(user.id, 0)).toEqual([]);
      });

      it('forgets events older than the retention', async () => {
        const user = await createUser();
        const old = await createSession(user.id);
        expect(await store.sessions.revokeSession(user.id, old.id, revokedBy(user.id))).toBe(true);
        clock.advanceBySeconds(SESSION_EVENT_RETENTION.retentionSeconds - 60);
        expect((await eventsOf(user.id)).map((event) => event.sessionId)).toEqual([old.id]);

        clock.advanceBySeconds(120);
        expect(await eventsOf(user.id)).toEqual([]);
        const fresh = await createSession(user.id);
        expect(await store.sessions.revokeSession(user.id, fresh.id, revokedBy(user.id))).toBe(true);
        expect((await eventsOf(user.id)).map((event) => event.sessionId)).toEqual([fresh.id]);
      });
    });

    describe('account events (audit trail)', () => {
      it('records events, and answers them newest first (events of one moment in the order recorded), at most the limit asked', async () => {
        const user = await createUser();
        const other = await createUser();
        const sessionId = newId();
        await store.accountEvents.recordAccountEvent(user.id, { kind: 'second_factor_enabled', sessionId, at: clock.now() });
        await store.accountEvents.recordAccountEvent(user.id, { kind: 'second_factor_verified', sessionId, at: clock.now() });
        clock.advanceBySeconds(5);
        await store.accountEvents.recordAccountEvent(user.id, { kind: 'recovery_code_used', sessionId: null, at: clock.now() });
        await store.accountEvents.recordAccountEvent(other.id, { kind: 'second_factor_failed', sessionId, at: clock.now() });

        expect(await store.accountEvents.listAccountEvents(user.id, 10)).toEqual([
          { kind: 'recovery_code_used', sessionId: null, at: clock.now() },
          { kind: 'second_factor_verified', sessionId, at: secondsAfter(clock.now(), -5) },
          { kind: 'second_factor_enabled', sessionId, at: secondsAfter(clock.now(), -5) },
        ]);
        expect((await store.accountEvents.listAccountEvents(user.id, 1)).map((event) => event.kind)).toEqual(['recovery_code_used']);
        expect(await store.accountEvents.listAccountEvents(user.id, 0)).toEqual([]);
        expect((await store.accountEvents.listAccountEvents(other.id, 10)).map((event) => event.kind)).toEqual(['second_factor_failed']);
        expect(await store.accountEvents.listAccountEvents(newId(), 10)).toEqual([]);
      });

      it(`keeps the newest ${ACCOUNT_EVENT_RETENTION.maxEventsPerUser} events, none older than the retention, and every one of many recorded at once`, async () => {
        const user = await createUser();
        await Promise.all(
          Array.from({ length: ACCOUNT_EVENT_RETENTION.maxEventsPerUser + 20 }, () =>
            store.accountEvents.recordAccountEvent(user.id, { kind: 'second_factor_failed', sessionId: null, at: clock.now() }),
          ),
        );
        expect(await store.accountEvents.listAccountEvents(user.id, 1000)).toHaveLength(ACCOUNT_EVENT_RETENTION.maxEventsPerUser);

        clock.advanceBySeconds(ACCOUNT_EVENT_RETENTION.retentionSeconds + 1);
        expect(await store.accountEvents.listAccountEvents(user.id, 1000)).toEqual([]);
        await store.accountEvents.recordAccountEvent(user.id, { kind: 'second_factor_disabled', sessionId: null, at: clock.now() });
        expect((await store.accountEvents.listAccountEvents(user.id, 1000)).map((event) => event.kind)).toEqual(['second_factor_disabled']);
      });

      it('records the events of a user update with it, in order, exactly when the update is stored', async () => {
        const user = await createUser();
        const sessionId = newId();
        const events = (...kinds: AccountEventKind[]) => ({ events: kinds.map((kind) => ({ kind, sessionId, at: clock.now() })) });

        expect(await store.users.updateUser(user.id, () => null, events('second_factor_enabled'))).toBeNull();
        expect(await store.users.updateUser(newId(), (current) => current, events('second_factor_enabled'))).toBeNull();
        expect(await store.accountEvents.listAccountEvents(user.id, 10)).toEqual([]);

        const stored = await store.users.updateUser(user.id, (current) => ({ ...current, credentialVersion: current.credentialVersion + 1 }), events('recovery_code_used', 'second_factor_disabled'));
        expect(stored?.credentialVersion).toBe(user.credentialVersion + 1);
        expect((await store.accountEvents.listAccountEvents(user.id, 10)).map((event) => event.kind)).toEqual(['second_factor_disabled', 'recovery_code_used']);
      });

      it('records each update\'s events once, however often lost races make it retry: 10 concurrent updates, 10 events', async () => {
        const user = await createUser({ displayName: 'base' });
        const results = await Promise.all(
          Array.from({ length: 10 }, (_, i) =>
            store.users.updateUser(user.id, (current) => ({ ...current, displayName: `${current.displayName}[m${i}]` }), {
              events: [{ kind: 'recovery_codes_regenerated', sessionId: null, at: clock.now() }],
            }),
          ),
        );
        expect(results.every((result) => result !== null)).toBe(true);
        expect(await store.accountEvents.listAccountEvents(user.id, 100)).toHaveLength(10);
      });
    });

    describe('mailed tokens', () => {
      function buildToken(userId: string, kind: EmailTokenKind, overrides: Partial<EmailTokenRecord> = {}): EmailTokenRecord {
        return { kind, userId, id: newId(), secretHash: hashTokenSecret(newTokenSecret()), expiresAt: secondsAfter(clock.now(), 1800), email: 'owner@example.com', ...overrides };
      }

      it('gives a token back once, with every field, and then never again', async () => {
        const user = await createUser();
        const token = buildToken(user.id, 'password_reset');
        await store.tokens.issueToken(token);

        expect(await store.tokens.consumeToken('password_reset', user.id, token.id, token.secretHash)).toEqual(token);
        expect(await store.tokens.consumeToken('password_reset', user.id, token.id, token.secretHash)).toBeNull();
      });

      it('refuses a wrong id or secret hash without burning the right token, and keeps kinds and users apart', async () => {
        const user = await createUser();
        const other = await createUser();
        const token = buildToken(user.id, 'email_verification');
        await store.tokens.issueToken(token);

        expect(await store.tokens.consumeToken('email_verification', user.id, newId(), token.secretHash)).toBeNull();
        expect(await store.tokens.consumeToken('email_verification', user.id, token.id, hashTokenSecret(newTokenSecret()))).toBeNull();
        expect(await store.tokens.consumeToken('email_change', user.id, token.id, token.secretHash)).toBeNull();
        expect(await store.tokens.consumeToken('email_verification', other.id, token.id, token.secretHash)).toBeNull();
        expect(await store.tokens.consumeToken('email_verification', user.id, token.id, token.secretHash)).toEqual(token);
      });

      it('invalidates the older token of a kind when a new one is issued, not the other kinds', async () => {
        const user = await createUser();
        const older = buildToken(user.id, 'password_reset');
        const change = buildToken(user.id, 'email_change', { email: 'new@example.com' });
        await store.tokens.issueToken(older);
        await store.tokens.issueToken(change);
        const newer = buildToken(user.id, 'password_reset');
        await store.tokens.issueToken(newer);

        expect(await store.tokens.consumeToken('password_reset', user.id, older.id, older.secretHash)).toBeNull();
        expect(await store.tokens.consumeToken('password_reset', user.id, newer.id, newer.secretHash)).toEqual(newer);
        expect(await store.tokens.consumeToken('email_change', user.id, change.id, change.secretHash)).toEqual(change);
      });

      it('refuses a token once it expired by the store clock', async () => {
        const user = await createUser();
        const token = buildToken(user.id, 'email_change', { expiresAt: secondsAfter(clock.now(), 3600) });
        await store.tokens.issueToken(token);
        clock.advanceBySeconds(3600);
        expect(await store.tokens.consumeToken('email_change', user.id, token.id, token.secretHash)).toBeNull();
      });

      it('gives a token to exactly one of 20 concurrent consumers', async () => {
        const user = await createUser();
        const token = buildToken(user.id, 'password_reset');
        await store.tokens.issueToken(token);
        const results = await Promise.all(Array.from({ length: 20 }, () => store.tokens.consumeToken('password_reset', user.id, token.id, token.secretHash)));
        expect(results.filter((result) => result !== null)).toHaveLength(1);
      });
    });

    describe('email changes and deletion', () => {
      it('moves a user to a new address, verified, and frees the old one', async () => {
        const user = await createUser({ email: 'Old@Example.com' });
        expect(await store.users.changeEmail(user.id, { from: 'Old@Example.com', to: 'New@Example.com' })).toBe('changed');

        expect(await store.users.findUserByEmail('new@example.com')).toEqual({ ...user, email: 'New@Example.com', emailVerified: true });
        expect(await store.users.findUserByEmail('old@example.com')).toBeNull();
        expect(await store.users.createUser(buildUserRecord(clock, { email: 'old@example.com' }))).toBe('created');
      });

      it('refuses an address another account holds, and a change asked for an address the user no longer has', async () => {
        const user = await createUser({ email: 'mine@example.com' });
        await createUser({ email: 'theirs@example.com' });
        expect(await store.users.changeEmail(user.id, { from: 'mine@example.com', to: 'THEIRS@example.com' })).toBe('email_taken');
        expect(await store.users.changeEmail(user.id, { from: 'stale@example.com', to: 'fresh@example.com' })).toBe('email_changed');
        expect(await store.users.findUserByEmail('fresh@example.com')).toBeNull();
        expect(await store.users.findUserById(user.id)).toEqual(user);
        expect(await store.users.changeEmail(newId(), { from: 'a@example.com', to: 'b@example.com' })).toBe('no_user');
        expect(await store.users.findUserByEmail('b@example.com')).toBeNull();
      });

      it('leaves exactly one owner when a change and 10 sign-ups race for one address', async () => {
        const user = await createUser({ email: 'racer@example.com' });
        const signUps = Array.from({ length: 10 }, (_, i) => buildUserRecord(clock, { email: 'Contested@example.com', displayName: `signer ${i}` }));
        const [changed, ...created] = await Promise.all([
          store.users.changeEmail(user.id, { from: 'racer@example.com', to: 'contested@example.com' }),
          ...signUps.map((candidate) => store.users.createUser(candidate)),
        ]);
        const winners = (changed === 'changed' ? 1 : 0) + created.filter((result) => result === 'created').length;
        expect(winners).toBe(1);
        const owner = await store.users.findUserByEmail('contested@example.com');
        if (changed === 'changed') expect(owner!.id).toBe(user.id);
        else expect(owner!.id).toBe(signUps[created.indexOf('created')]!.id);
      });

      it('erases a user, its address, sessions, devices and tokens, keeping the audit trail of its sessions', async () => {
        const user = await createUser({ email: 'Leaving@example.com' });
        const sessions = [await createSession(user.id), await createSession(user.id)];
        const now = clock.now();
        await store.devices.rememberDevice({ id: newId(), userId: user.id, secretHash: 'h', createdAt: now, lastUsedAt: now, expiresAt: secondsAfter(now, 3600), ipAddress: null, userAgent: null }, 20);
        const token = { kind: 'password_reset' as const, userId: user.id, id: newId(), secretHash: 'h', expiresAt: secondsAfter(now, 600), email: user.email };
        await store.tokens.issueToken(token);

        expect(await store.users.deleteUser(user.id, { reason: 'account_deleted', actorId: user.id })).toBe(2);

        expect(await store.users.findUserById(user.id)).toBeNull();
        expect(await store.users.findUserByEmail('leaving@example.com')).toBeNull();
        expect(await store.sessions.listSessions(user.id)).toEqual([]);
        await expectKeyspaceInStep(user.id, []);
        expect(await store.devices.listDevices(user.id)).toEqual([]);
        expect(await store.tokens.consumeToken('password_reset', user.id, token.id, 'h')).toBeNull();
        const events = await store.sessions.listSessionEvents(user.id, 10);
        expect(events.map((event) => event.sessionId).sort()).toEqual(sessions.map((session) => session.id).sort());
        for (const event of events) expect(event).toMatchObject({ reason: 'account_deleted', actorId: user.id });
        expect(await store.users.deleteUser(user.id, { reason: 'account_deleted', actorId: user.id })).toBeNull();
        // The address is free again.
        expect(await store.users.createUser(buildUserRecord(clock, { email: 'leaving@example.com' }))).toBe('created');
      });
    });

    describe('known devices', () => {
      function buildDevice(userId: string, overrides: Partial<KnownDeviceRecord> = {}): KnownDeviceRecord {
        const now = clock.now();
        return {
          id: newId(),
          userId,
          secretHash: hashTokenSecret(newTokenSecret()),
          createdAt: now,
          lastUsedAt: now,
          expiresAt: secondsAfter(now, 3600),
          ipAddress: '198.51.100.20',
          userAgent: 'contract-suite/1.0',
          ...overrides,
        };
      }

      it('remembers a device and finds it, every field intact; another user\'s id finds nothing', async () => {
        const user = await createUser();
        const other = await createUser();
        const device = buildDevice(user.id);
        expect(await store.devices.rememberDevice(device, 20)).toEqual([]);

        expect(await store.devices.findDevice(user.id, device.id)).toEqual(device);
        expect(await store.devices.findDevice(other.id, device.id)).toBeNull();
        expect(await store.devices.findDevice(user.id, newId())).toBeNull();
        expect(await store.devices.listDevices(user.id)).toEqual([device]);
      });

      it('forgets a device once its expiresAt has passed by the store clock, and keeps one that was touched', async () => {
        const user = await createUser();
        const idle = buildDevice(user.id);
        const used = buildDevice(user.id);
        await store.devices.rememberDevice(idle, 20);
        await store.devices.rememberDevice(used, 20);
        clock.advanceBySeconds(1800);
        const touched = { ...used, lastUsedAt: clock.now(), expiresAt: secondsAfter(clock.now(), 3600), ipAddress: '203.0.113.99' };
        expect(await store.devices.touchDevice(touched)).toBe(true);
        clock.advanceBySeconds(1800);

        expect(await store.devices.findDevice(user.id, idle.id)).toBeNull();
        expect(await store.devices.findDevice(user.id, used.id)).toEqual(touched);
        expect(await store.devices.listDevices(user.id)).toEqual([touched]);
        expect(await store.devices.touchDevice({ ...idle, lastUsedAt: clock.now() })).toBe(false);
      });

      it('forgets a device on request, once', async () => {
        const user = await createUser();
        const device = buildDevice(user.id);
        await store.devices.rememberDevice(device, 20);
        expect(await store.devices.forgetDevice(user.id, device.id)).toBe(true);
        expect(await store.devices.forgetDevice(user.id, device.id)).toBe(false);
        expect(await store.devices.findDevice(user.id, device.id)).toBeNull();
        expect(await store.devices.touchDevice(device)).toBe(false);
      });

      it('forgets the least recently used devices beyond the cap', async () => {
        const user = await createUser();
        const devices: KnownDeviceRecord[] = [];
        for (let i = 0; i < 3; i++) {
          devices.push(buildDevice(user.id));
          await store.devices.rememberDevice(devices[i]!, 3);
          clock.advanceBySeconds(10);
        }
        expect(await store.devices.touchDevice({ ...devices[0]!, lastUsedAt: clock.now() })).toBe(true);
        const newest = buildDevice(user.id);

        expect(await store.devices.rememberDevice(newest, 3)).toEqual([devices[1]!.id]);
        expect((await store.devices.listDevices(user.id)).map((device) => device.id).sort()).toEqual([devices[0]!.id, devices[2]!.id, newest.id].sort());
      });

      it('holds the cap under 20 concurrent new devices', async () => {
        const user = await createUser();
        const devices = Array.from({ length: 20 }, () => buildDevice(user.id));
        const forgotten = await Promise.all(devices.map((device) => store.devices.rememberDevice(device, 5)));
        expect(forgotten.flat()).toHaveLength(15);
        expect(await store.devices.listDevices(user.id)).toHaveLength(5);
      });
    });

    describe('attempt limiter', () => {
      function limiter(points: number): AttemptLimiter {
        return store.createAttemptLimiter({ name: `contract-${newId()}`, points, windowSeconds: 3600 });
      }

      it('allows `points` attempts per key, then refuses until the window ends; keys and limiters are independent', async () => {
        const attempts = limiter(3);
        const other = limiter(3);
        for (let consumed = 1; consumed <= 3; consumed++) expect(await attempts.consume('alice')).toEqual({ allowed: true, consumed });

        const refused = await attempts.consume('alice');
        expect(refused.allowed).toBe(false);
        if (!refused.allowed) {
          expect(refused.retryAfterMillis).toBeGreaterThan(3500 * 1000);
          expect(refused.retryAfterMillis).toBeLessThanOrEqual(3600 * 1000);
        }
        expect(await attempts.consume('bob')).toEqual({ allowed: true, consumed: 1 });
        expect(await other.consume('alice')).toEqual({ allowed: true, consumed: 1 });
      });

      it('gives an attempt back on refund, forgets a key on reset, and reports the state on peek without changing it', async () => {
        const attempts = limiter(2);
        expect(await attempts.peek('alice')).toBeNull();
        await attempts.consume('alice');
        await attempts.consume('alice');
        expect(await attempts.peek('alice')).toMatchObject({ consumed: 2 });
        expect(await attempts.peek('alice')).toMatchObject({ consumed: 2 });

        await attempts.refund('alice');
        expect(await attempts.consume('alice')).toEqual({ allowed: true, consumed: 2 });
        await attempts.reset('alice');
        expect(await attempts.peek('alice')).toBeNull();
        expect(await attempts.consume('alice')).toEqual({ allowed: true, consumed: 1 });
      });

      it('refuses a blocked key for the block\'s length, whatever its count', async () => {
        const attempts = limiter(5);
        await attempts.block('alice', 900);

        const refused = await attempts.consume('alice');
        expect(refused.allowed).toBe(false);
        if (!refused.allowed) {
          expect(refused.retryAfterMillis).toBeGreaterThan(850 * 1000);
          expect(refused.retryAfterMillis).toBeLessThanOrEqual(900 * 1000);
        }
        expect((await attempts.peek('alice'))!.consumed).toBeGreaterThanOrEqual(5);
      });

      it('lets exactly `points` of 50 concurrent attempts through', async () => {
        const attempts = limiter(10);
        const verdicts = await Promise.all(Array.from({ length: 50 }, () => attempts.consume('burst')));
        expect(verdicts.filter((verdict) => verdict.allowed)).toHaveLength(10);
      });
    });

    describe('concurrency', () => {
      it('keeps exactly the sessions not revoked when 50 creates and 25 revokes interleave', async () => {
        const user = await createUser();
        const sessions = Array.from({ length: 50 }, () => buildSessionRecord(clock, user.id));
        const revoked = new Set(sessions.filter((_, i) => i % 2 === 0).map((session) => session.id));

        const operations: Array<Promise<unknown>> = [];
        for (const session of sessions) {
          operations.push(storeSession(store, session, NO_CAP));
          if (revoked.has(session.id)) operations.push(store.sessions.revokeSession(user.id, session.id, revokedBy(user.id)));
        }
        const results = await Promise.all(operations);

        expect(results.filter((result) => result === true)).toHaveLength(25);
        const kept = sessions.filter((session) => !revoked.has(session.id)).map((session) => session.id);
        await expectKeyspaceInStep(user.id, kept);
        expect(await liveSessionIds(user.id)).toEqual(kept.sort());
      });

      it('holds the cap under 50 concurrent creates', async () => {
        const user = await createUser();
        const sessions = Array.from({ length: 50 }, () => buildSessionRecord(clock, user.id));

        const evictions = await Promise.all(sessions.map((session) => storeSession(store, session, 10)));

        expect(evictions.flat()).toHaveLength(40);
        const evicted = new Set(evictions.flat());
        expect(evicted.size).toBe(40);
        const kept = sessions.map((session) => session.id).filter((id) => !evicted.has(id));
        await expectKeyspaceInStep(user.id, kept);
        expect(await liveSessionIds(user.id)).toEqual(kept.sort());
      });
    });
  });
}
