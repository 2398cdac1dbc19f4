import { request } from 'node:http';
import { MeDocument } from '../generated/graphql';
import { signUpWithBearer } from '../support/flows';
import { startTestServer } from '../support/harness';
import { serverProcessesOnTestRedis, type ServerMode, type ServerProcess } from '../support/server-process';

const STREAMS = 6;
const STREAM_TIMEOUT_MILLIS = 20_000;
const ME = JSON.stringify({ query: '{ me { id } }' });

/**
 * A request that says `Expect: 100-continue`: the server answers `100 Continue` once it has
 * taken the request in, before the body is sent. That tells apart a request the server
 * accepted (it must then finish) from one refused at the door once it stopped listening.
 */
interface TrackedRequest {
  /** Resolves true once the server took the request in; false if it never did. */
  accepted: Promise<boolean>;
  /** The final answer; rejects if the connection failed. */
  response: Promise<{ status: number; body: string }>;
  /** For a request created with `holdBody`: sends the body now. */
  sendBody(): void;
}

function trackedRequest(port: number, token: string, options: { holdBody?: boolean } = {}): TrackedRequest {
  let sendBody = () => {};
  let markAccepted: (accepted: boolean) => void = () => {};
  const accepted = new Promise<boolean>((resolve) => {
    markAccepted = resolve;
  });
  const response = new Promise<{ status: number; body: string }>((resolve, reject) => {
    const outgoing = request({
      host: '127.0.0.1',
      port,
      method: 'POST',
      path: '/graphql',
      agent: false,
      headers: {
        'content-type': 'application/json',
        'content-length': Buffer.byteLength(ME),
        authorization: `Bearer ${token}`,
        expect: '100-continue',
      },
    });
    sendBody = () => outgoing.end(ME);
    outgoing.on('continue', () => {
      markAccepted(true);
      if (!options.holdBody) sendBody();
    });
    outgoing.on('response', (incoming) => {
      let body = '';
      incoming.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
      incoming.on('end', () => resolve({ status: incoming.statusCode ?? 0, body }));
      incoming.on('error', reject);
    });
    outgoing.on('error', (error) => {
      markAccepted(false);
      reject(error);
    });
    outgoing.flushHeaders();
  });
  // Never an unhandled rejection: the callers look at `accepted` first.
  response.catch(() => {});
  return { accepted, response, sendBody };
}

describe('graceful shutdown on SIGTERM', () => {
  const start = serverProcessesOnTestRedis('shutdown');

  async function startSignedIn(env: Record<string, string>): Promise<{ server: ServerProcess; token: string; userId: string }> {
    const server = await start(env);
    const { token, userId } = await signUpWithBearer(server, 'shutdown');
    return { server, token, userId };
  }

  /*
   * The grace period is a minute and the test's own timeout half that: a server that waits
   * for the grace period (as when a second SIGTERM handler raced main.ts's and its stop()
   * never returned) fails the test instead of passing slowly.
   */
  it.each<[string, { mode: ServerMode; env: Record<string, string>; listening: number }]>([
    ['production', { mode: 'production', env: {}, listening: 1 }],
    ['development', { mode: 'development', env: {}, listening: 1 }],
    ['production with WEB_CONCURRENCY=2', { mode: 'production', env: { WEB_CONCURRENCY: '2' }, listening: 2 }],
  ])('an idle server in %s stops at once on SIGTERM: Redis closed, "stopped" logged, exit code 0', async (_name, { mode, env, listening }) => {
    const server = await start({ SHUTDOWN_GRACE_PERIOD: '60s', ...env }, { mode, listening });
    // A keep-alive connection left open by the client must not hold the shutdown.
    const { client, userId } = await signUpWithBearer(server, `idle-${mode}`);
    expect((await client.request(MeDocument)).data!.me!.id).toBe(userId);

    server.signal('SIGTERM');

    expect(await server.exited).toEqual({ code: 0, signal: null });
    expect(server.logs.filter((line) => line.msg === 'stopped')).toHaveLength(listening);
    expect(server.logs.filter((line) => line.level === 50 || line.msg === 'stop did not finish in time; exiting')).toEqual([]);
  }, 30_000);

  it('stops accepting, finishes every request it accepted, closes Redis and exits 0', async () => {
    const { server, token, userId } = await startSignedIn({ SHUTDOWN_GRACE_PERIOD: '20s' });
    // Taken in, but its body not sent yet: in flight across the whole shutdown.
    const held = trackedRequest(server.port, token, { holdBody: true });
    expect(await held.accepted).toBe(true);

    const outcomes: Array<{ accepted: boolean; status?: number; body?: string; error?: string }> = [];
    let signalled = false;
    const deadline = Date.now() + STREAM_TIMEOUT_MILLIS;
    const streams = Array.from({ length: STREAMS }, async () => {
      // Each stream sends one request after another until the server refuses one.
      while (Date.now() < deadline) {
        const tracked = trackedRequest(server.port, token);
        const accepted = await tracked.accepted;
        try {
          const { status, body } = await tracked.response;
          outcomes.push({ accepted, status, body });
        } catch (error) {
          outcomes.push({ accepted, error: (error as NodeJS.ErrnoException).code ?? String(error) });
          if (!accepted && signalled) return;
        }
      }
    });
    while (outcomes.length < 60) await new Promise((resolve) => setTimeout(resolve, 10));

    server.signal('SIGTERM');
    signalled = true;
    await Promise.all(streams);

    // Refused at the door now, yet still finishing what it took in.
    held.sendBody();
    const heldResponse = await held.response;
    expect(heldResponse.status).toBe(200);
    expect(JSON.parse(heldResponse.body)).toEqual({ data: { me: { id: userId } } });
    expect(await server.exited).toEqual({ code: 0, signal: null });

    const accepted = outcomes.filter((outcome) => outcome.accepted);
    const failedAfterAcceptance = accepted.filter((outcome) => outcome.status !== 200 || !outcome.body?.includes(userId));
    expect(failedAfterAcceptance).toEqual([]);
    expect(accepted.length).toBeGreaterThanOrEqual(60);
    // Every stream ended on a refusal, none on its deadline.
    expect(outcomes.filter((outcome) => !outcome.accepted).length).toBeGreaterThanOrEqual(STREAMS);
    expect(server.logs.map((line) => line.msg)).toEqual(expect.arrayContaining(['shutting down', 'stopped']));
  }, 40_000);

  it('cuts off a request that outlasts SHUTDOWN_GRACE_PERIOD and still exits 0', async () => {
    const { server, token } = await startSignedIn({ SHUTDOWN_GRACE_PERIOD: '1s' });
    const stuck = trackedRequest(server.port, token, { holdBody: true });
    expect(await stuck.accepted).toBe(true);

    const signalledAt = Date.now();
    server.signal('SIGTERM');

    expect(await server.exited).toEqual({ code: 0, signal: null });
    // Well before the 10 s default: the configured grace period was the one applied.
    expect(Date.now() - signalledAt).toBeLessThan(8000);
    await expect(stuck.response).rejects.toThrow();
  }, 30_000);
});

describe('createApp leaves the process to main.ts', () => {
  const SIGNALS = ['SIGTERM', 'SIGINT', 'SIGHUP', 'SIGUSR2'] as const;

  it.each(['production', 'development'])('registers no signal listener, started and stopped, with NODE_ENV=%s', async (environment) => {
    const before = SIGNALS.map((signal) => process.listenerCount(signal));
    const server = await startTestServer({
      store: 'memory',
      env: { NODE_ENV: environment, BCRYPT_COST: '10', SMTP_URL: 'smtp://127.0.0.1:9', APP_ORIGIN: 'http://127.0.0.1:5173' },
    });
    try {
      expect((await server.client().request(MeDocument)).status).toBe(200);
      expect(SIGNALS.map((signal) => process.listenerCount(signal))).toEqual(before);
    } finally {
      await server.close();
    }
    expect(SIGNALS.map((signal) => process.listenerCount(signal))).toEqual(before);
  });
});
