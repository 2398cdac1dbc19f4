import type { Redis } from 'ioredis';
import { ManualClock } from '../../src/shared/clock';
import {
  MeDocument,
  MySessionsDocument,
  RevokeSessionDocument,
  SignUpDocument,
} from '../generated/graphql';
import { errorCodes, PASSWORD, startTestServer, uniqueEmail, type TestClient, type TestServer } from '../support/harness';
import { startRedisProcess, type RedisProcess } from '../support/redis-processes';
import { expectDurabilityScenarioIntact, prepareDurabilityScenario } from '../support/durability-scenario';
import { headerLogin } from '../support/flows';

const MASTER_NAME = 'sessionql';
const FAILOVER_TIMEOUT_MILLIS = 30_000;

/*
 * A master, a replica and one sentinel (quorum 1), with failure detection in a second
 * so that a failover takes seconds. The server reaches Redis only through the sentinel
 * (REDIS_SENTINELS + REDIS_SENTINEL_NAME), with the production client.
 *
 * Replication is asynchronous: Redis acknowledges a write before the replica has it. What
 * survives a crash of the master is what the replica had received, so the test waits for
 * the replica's offset to reach the master's before crashing it, as `WAIT 1` would; the
 * README's Operations section says what that means in production.
 */
describe('on Redis Sentinel, through a failover', () => {
  const clock = new ManualClock();
  let master: RedisProcess;
  let replica: RedisProcess;
  let sentinel: RedisProcess;
  let server: TestServer;

  beforeAll(async () => {
    // No 5 s wait before the replica's first full sync (diskless sync batches replicas by default).
    const replication = ['appendonly yes', 'repl-diskless-sync-delay 0'];
    master = await startRedisProcess({ label: 'sentinel-master', config: replication });
    replica = await startRedisProcess({ label: 'sentinel-replica', config: [...replication, `replicaof 127.0.0.1 ${master.port}`] });
    sentinel = await startRedisProcess({
      label: 'sentinel',
      sentinel: true,
      config: [
        `sentinel monitor ${MASTER_NAME} 127.0.0.1 ${master.port} 1`,
        `sentinel down-after-milliseconds ${MASTER_NAME} 1000`,
        `sentinel failover-timeout ${MASTER_NAME} 2000`,
        `sentinel parallel-syncs ${MASTER_NAME} 1`,
      ],
    });
    await waitForSentinelToKnowTheReplica(replica);
    server = await startTestServer({
      store: 'configured',
      clock,
      env: { REDIS_SENTINELS: `127.0.0.1:${sentinel.port}`, REDIS_SENTINEL_NAME: MASTER_NAME },
    });
  }, 40_000);
  afterAll(async () => {
    await server?.close();
    await Promise.all([sentinel, replica, master].map((process) => process?.remove()));
  });

  async function waitForSentinelToKnowTheReplica(expected: RedisProcess): Promise<void> {
    const client = await sentinel.connect();
    try {
      const deadline = Date.now() + FAILOVER_TIMEOUT_MILLIS;
      for (;;) {
        const replicas = (await client.call('SENTINEL', 'REPLICAS', MASTER_NAME)) as string[][];
        const known = replicas.some(
          (fields) => fields[fields.indexOf('port') + 1] === String(expected.port) && fields[fields.indexOf('flags') + 1] === 'slave',
        );
        if (known) return;
        if (Date.now() > deadline) throw new Error(`the sentinel did not find the replica:\n${await sentinel.logTail()}`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    } finally {
      client.disconnect();
    }
  }

  /** What `WAIT 1` promises: the replica has received everything the master acknowledged. */
  async function waitForReplicaToCatchUp(from: RedisProcess, to: RedisProcess): Promise<void> {
    const masterOffset = infoField(await replicationInfo(from), 'master_repl_offset');
    const deadline = Date.now() + FAILOVER_TIMEOUT_MILLIS;
    for (;;) {
      // A server turned into a replica drops its clients while it loads the master's data.
      const info = await replicationInfo(to).catch(() => '');
      if (/master_link_status:up/.test(info) && infoField(info, 'slave_repl_offset') >= masterOffset) return;
      if (Date.now() > deadline) throw new Error('the replica did not catch up with the master');
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  async function replicationInfo(process: RedisProcess): Promise<string> {
    const client = await process.connect();
    try {
      return await client.info('replication');
    } finally {
      client.disconnect();
    }
  }

  it('answers SERVICE_UNAVAILABLE (never anonymous) while the master fails over, then carries on with every acknowledged write', async () => {
    const scenario = await prepareDurabilityScenario(server, clock, 'failover');
    await waitForReplicaToCatchUp(master, replica);

    await master.crash();

    expect(await unavailableUntilSignedIn(scenario.live.client, scenario.browser.userId)).toBeGreaterThan(0);
    expect(await promotedMasterPort()).toBe(replica.port);

    // Every write acknowledged before the failover is there; nothing that ended came back.
    await expectDurabilityScenarioIntact(server, scenario);

    // And the new master takes writes: a new login, and its revocation.
    const afterwards = await headerLogin(server, scenario.browser.email, scenario.newPassword);
    expect((await scenario.browser.client.request(RevokeSessionDocument, { id: afterwards.sessionId })).data!.revokeSession).toBe(true);
    expect((await afterwards.client.request(MeDocument)).data!.me).toBeNull();
    expect((await fetch(`${server.url}/readyz`)).status).toBe(200);
  }, FAILOVER_TIMEOUT_MILLIS + 20_000);

  /**
   * Sends requests with a valid session until it has been accepted several times in a row
   * (the client may reconnect once more when the sentinel announces the new master); every
   * other answer must be SERVICE_UNAVAILABLE with 503, never anonymous. Returns how many
   * of those there were.
   */
  async function unavailableUntilSignedIn(client: TestClient, userId: string): Promise<number> {
    let unavailable = 0;
    let acceptedInARow = 0;
    const deadline = Date.now() + FAILOVER_TIMEOUT_MILLIS;
    while (acceptedInARow < 5) {
      const response = await client.request(MeDocument);
      if (response.status === 200 && response.data?.me?.id === userId) {
        acceptedInARow++;
      } else {
        expect({ status: response.status, codes: errorCodes(response), data: response.data ?? null }).toEqual({
          status: 503,
          codes: ['SERVICE_UNAVAILABLE'],
          data: null,
        });
        unavailable++;
        acceptedInARow = 0;
      }
      if (Date.now() > deadline) throw new Error(`no failover within ${FAILOVER_TIMEOUT_MILLIS} ms:\n${await sentinel.logTail()}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    return unavailable;
  }

  it('then leaves a master that stalls (SIGSTOP) for the promoted replica, answering 503 meanwhile', async () => {
    // The crashed master comes back as a replica of the new one (the sentinel would make it
    // one too, at its next 10-second look).
    await master.start();
    const client = await master.connect();
    await client.replicaof('127.0.0.1', replica.port);
    client.disconnect();
    await waitForSentinelToKnowTheReplica(master);
    const email = uniqueEmail('stall');
    const signUp = await server.client().request(SignUpDocument, { input: { email, password: PASSWORD } });
    const userId = signUp.data!.signUp.user.id;
    const mobile = await headerLogin(server, email, PASSWORD);
    await waitForReplicaToCatchUp(replica, master);

    replica.pause();
    try {
      // A stalled master keeps its connections open: each request waits out the command timeout.
      expect(await unavailableUntilSignedIn(mobile.client, userId)).toBeGreaterThan(0);
      expect(await promotedMasterPort()).toBe(master.port);
      const again = await headerLogin(server, email, PASSWORD);
      expect((await again.client.request(MySessionsDocument)).data!.mySessions.map((session) => session.id).sort()).toEqual(
        [signUp.data!.signUp.session.id, mobile.sessionId, again.sessionId].sort(),
      );
    } finally {
      replica.resume();
    }
  }, FAILOVER_TIMEOUT_MILLIS + 20_000);

  async function promotedMasterPort(): Promise<number> {
    const client: Redis = await sentinel.connect();
    try {
      const [, port] = (await client.call('SENTINEL', 'GET-MASTER-ADDR-BY-NAME', MASTER_NAME)) as [string, string];
      return Number(port);
    } finally {
      client.disconnect();
    }
  }
});

function infoField(info: string, field: string): number {
  const match = new RegExp(`^${field}:(\\d+)`, 'm').exec(info);
  if (!match) throw new Error(`INFO has no ${field}`);
  return Number(match[1]);
}
