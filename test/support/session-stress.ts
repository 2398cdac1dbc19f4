import type { HostAndPort } from '../../src/config';
import { ManualClock } from '../../src/shared/clock';
import { RedisKeyspace } from '../../src/storage/redis/keyspace';
import type { SessionEndReason } from '../../src/session/session-end-reason';
import {
  LoginDocument,
  LogoutDocument,
  MeDocument,
  MySessionsDocument,
  RevokeOtherSessionsDocument,
  RevokeSessionDocument,
  SignUpDocument,
} from '../generated/graphql';
import { PASSWORD, startTestServer, uniqueEmail, type StoreKind, type TestClient } from './harness';
import { UNTHROTTLED_PASSWORD_CHECKS } from './fixtures';

const IDLE_TTL_SECONDS = 600;
const ROUNDS = 6;
const LOGINS_PER_ROUND = 10;
/** Each round moves the clock this far: a session nobody uses expires within three rounds. */
const ROUND_SECONDS = 240;
/** In this round the owner also ends every other session, racing the round's logins. */
const REVOKE_OTHERS_ROUND = 3;

interface TrackedSession {
  id: string;
  client: TestClient;
  round: number;
  /** When the server last saw it (by the manual clock): its idle expiry is 600 s later. */
  lastSeenMillis: number;
  /** Set once the test knows how it ended. */
  endedBy: SessionEndReason | null;
  /** Created in the round that revoked every other session: it may have ended, or not. */
  racedRevokeOthers: boolean;
  /** Never used after its login, so that it expires. */
  idle: boolean;
}

/**
 * Rounds of parallel requests for one user over HTTP: logins, revocations, logouts,
 * requests that slide the idle expiry, requests with expired tokens, and once an
 * "end all my other sessions" racing new logins, with the manual clock moving between
 * rounds so that unused sessions expire. Afterwards every session is either live (its
 * token works, it is listed, indexed and has its key, and no end was recorded) or ended
 * (refused, not listed, no key, no index entry, and exactly one end recorded, for the
 * reason the test expects), and a token once refused is never accepted again.
 *
 * Bounded: 60 logins and about 150 other requests, all on loopback.
 */
export async function runSessionStress(options: { store: StoreKind; clusterNodes: readonly HostAndPort[] }): Promise<void> {
  const clock = new ManualClock();
  const server = await startTestServer({
    store: options.store,
    clusterNodes: options.clusterNodes,
    clock,
    // Parallel logins of one account count against the login throttle until they succeed.
    env: { SESSION_IDLE_TTL: `${IDLE_TTL_SECONDS}s`, SESSION_MAX_PER_USER: '1000', ...UNTHROTTLED_PASSWORD_CHECKS },
  });
  const random = seededRandom(options.store === 'cluster' ? 7 : 11);
  try {
    const email = uniqueEmail('stress');
    const owner = server.client();
    const signUp = await owner.request(SignUpDocument, { input: { email, password: PASSWORD } });
    const userId = signUp.data!.signUp.user.id;
    const ownerSessionId = signUp.data!.signUp.session.id;
    const sessions: TrackedSession[] = [];
    const everRefused = new Set<TrackedSession>();

    for (let round = 0; round < ROUNDS; round++) {
      const now = clock.now().getTime();
      const racing = round === REVOKE_OTHERS_ROUND;
      const believedLive = shuffle(
        sessions.filter((session) => session.endedBy === null && !session.racedRevokeOthers && !session.idle && !expiredBy(session, now)),
        random,
      );
      const revoked = believedLive.splice(0, 3);
      const loggedOut = believedLive.splice(0, 2);
      const used = believedLive.splice(0, 4);
      const expired = shuffle(
        sessions.filter((session) => session.endedBy === null && !session.racedRevokeOthers && expiredBy(session, now)),
        random,
      ).slice(0, 2);

      const operations: Array<Promise<void>> = [];
      for (let i = 0; i < LOGINS_PER_ROUND; i++) {
        operations.push(
          (async () => {
            const client = server.client({ cookies: false });
            const response = await client.request(LoginDocument, { input: { email, password: PASSWORD, transport: 'HEADER' } });
            if (!response.data?.login) throw new Error(`login failed: ${response.body}`);
            client.bearerToken = response.data.login.token!;
            sessions.push({
              id: response.data.login.session.id,
              client,
              round,
              lastSeenMillis: now,
              endedBy: null,
              racedRevokeOthers: racing,
              idle: i % 4 === 0,
            });
          })(),
        );
      }
      for (const session of revoked) {
        operations.push(
          owner.request(RevokeSessionDocument, { id: session.id }).then((response) => {
            const ended = response.data!.revokeSession;
            // Only the owner's "end all others" in the same round can have ended it first.
            if (!racing) expect(ended).toBe(true);
            session.endedBy = 'revoked_by_user';
          }),
        );
      }
      for (const session of loggedOut) {
        operations.push(
          session.client.request(LogoutDocument).then((response) => {
            const ended = response.data!.logout;
            if (!racing) expect(ended).toBe(true);
            session.endedBy = ended ? 'logout' : 'revoked_by_user';
          }),
        );
      }
      for (const session of used) {
        operations.push(
          session.client.request(MeDocument).then((response) => {
            if (response.data!.me) session.lastSeenMillis = now;
            else if (racing) session.endedBy = 'revoked_by_user';
            else throw new Error(`a live session was refused in round ${round}`);
          }),
        );
      }
      for (const session of expired) {
        operations.push(
          session.client.request(MeDocument).then((response) => {
            expect(response.status).toBe(200);
            expect(response.data!.me).toBeNull();
            everRefused.add(session);
          }),
        );
      }
      operations.push(owner.request(MeDocument).then((response) => expect(response.data!.me!.id).toBe(userId)));
      if (racing) {
        operations.push(
          owner.request(RevokeOtherSessionsDocument).then(() => {
            for (const session of sessions) {
              if (session.endedBy === null && !session.racedRevokeOthers && session.round < round) {
                session.endedBy = expiredBy(session, now) ? 'expired' : 'revoked_by_user';
              }
            }
          }),
        );
      }
      await Promise.all(operations);
      clock.advanceBySeconds(ROUND_SECONDS);
    }

    // Every token, once more: live or refused, and a refused one stays refused.
    const now = clock.now().getTime();
    const live = new Set<string>([ownerSessionId]);
    await Promise.all(
      sessions.map(async (session) => {
        const me = (await session.client.request(MeDocument)).data!.me;
        if (me) live.add(session.id);
        if (session.endedBy === null && !session.racedRevokeOthers && expiredBy(session, now)) session.endedBy = 'expired';
        if (session.endedBy !== null || everRefused.has(session)) expect({ session: session.id, accepted: me !== null }).toEqual({ session: session.id, accepted: false });
        else if (!session.racedRevokeOthers) expect({ session: session.id, accepted: me !== null }).toEqual({ session: session.id, accepted: true });
      }),
    );

    // Listing prunes (and records) what expired; then the stored records and the list agree.
    const listed = (await owner.request(MySessionsDocument)).data!.mySessions.map((session) => session.id).sort();
    expect(listed).toEqual([...live].sort());
    if (server.redis) {
      const keys = new RedisKeyspace(server.keyPrefix);
      const stored = (await server.redis.hkeys(keys.sessions(userId))).sort();
      expect(stored).toEqual(listed);
    }

    // Exactly one recorded end per ended session, for the expected reason; none for a live one.
    const events = await server.store.sessions.listSessionEvents(userId, 100);
    expect(events.length).toBeLessThan(100);
    const reasons = new Map<string, SessionEndReason[]>();
    for (const event of events) reasons.set(event.sessionId, [...(reasons.get(event.sessionId) ?? []), event.reason]);
    for (const session of sessions) {
      const recorded = reasons.get(session.id) ?? [];
      if (live.has(session.id)) expect({ session: session.id, recorded }).toEqual({ session: session.id, recorded: [] });
      else if (session.endedBy !== null) expect({ session: session.id, recorded }).toEqual({ session: session.id, recorded: [session.endedBy] });
      // Raced the owner's "end all others": ended by it, or survived it and expired unused since.
      else expect([['revoked_by_user'], ['expired']]).toContainEqual(recorded);
    }
    expect(events.filter((event) => event.sessionId === ownerSessionId)).toEqual([]);
    // The run did what it says: sessions ended in every way, and some are still live.
    const endings = new Set(events.map((event) => event.reason));
    expect([...endings].sort()).toEqual(['expired', 'logout', 'revoked_by_user']);
    expect(live.size).toBeGreaterThan(LOGINS_PER_ROUND);
  } finally {
    await server.close();
  }
}

function expiredBy(session: TrackedSession, nowMillis: number): boolean {
  return nowMillis >= session.lastSeenMillis + IDLE_TTL_SECONDS * 1000;
}

/** mulberry32: the same choices on every run, so a failure can be replayed. */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

function shuffle<T>(items: T[], random: () => number): T[] {
  const shuffled = [...items];
  for (let i = shuffled.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [shuffled[i], shuffled[j]] = [shuffled[j]!, shuffled[i]!];
  }
  return shuffled;
}
