import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { touchIntervalSeconds } from '../src/session/session.service';
import { BENCH_PASSWORD, graphqlRequest, login, loginBody, signUp, type Credentials, type Presented } from './support/graphql-client';
import { runLoad, type LoadResult } from './support/load';
import { readInfo, startBenchRedis, type BenchRedis } from './support/redis-server';
import { commandsPerRequest, countRoundTrips, readCommandCounts, sum } from './support/redis-stats';
import { printTable } from './support/report';
import { REPOSITORY_ROOT, startServerProcess, type ServerProcess } from './support/server-process';

/*
 * npm run bench [-- --duration 10 --connections 50 --bcrypt-cost 10 --cpu-prof --smoke]
 *
 * Starts a private redis-server and the built server (dist/, as `npm start` runs it) as a
 * child process, signs users up, and loads the server over loopback with autocannon, one
 * bounded scenario after another. Prints a table and writes bench/results/latest.json.
 */

const ANONYMOUS_QUERY = JSON.stringify({ query: '{ me { id } }' });
const ME_QUERY = JSON.stringify({ query: '{ me { id email } }' });
const MY_SESSIONS_QUERY = JSON.stringify({
  query: '{ mySessions { id current transport createdAt lastSeenAt expiresAt absoluteExpiresAt ipAddress userAgent } }',
});
const LOGINS_IN_FLIGHT = 10;
const SESSIONS_FOR_MY_SESSIONS = 50;
/** Requests watched with MONITOR to count round trips (one at a time, outside the load). */
const ROUND_TRIP_SAMPLE = 50;
/** Redis commands of one lastSeenAt write (EVALSHA of TOUCH_SESSION and what it runs). */
const COMMANDS_PER_TOUCH = 6;
const IDLE_TTL_SECONDS = 7 * 86_400;

interface Settings {
  durationSeconds: number;
  warmUpSeconds: number;
  connections: number;
  bcryptCost: number;
  cpuProfile: boolean;
  out: string;
}

interface Scenario extends LoadResult {
  redisCommandsPerRequest?: number;
  redisCommandBreakdown?: Record<string, number>;
  redisRoundTripsPerRequest?: number;
}

async function main(): Promise<void> {
  const settings = readSettings();
  if (!existsSync(join(REPOSITORY_ROOT, 'dist', 'src', 'main.js'))) {
    throw new Error('dist/src/main.js is missing: run `npm run bench`, which builds first');
  }
  const workDirectory = await mkdtemp(join(tmpdir(), 'sessionql-bench-'));
  const webConcurrency = (await readFile(join(REPOSITORY_ROOT, 'src', 'config.ts'), 'utf8')).includes('WEB_CONCURRENCY');
  console.log(
    `sessionql benchmark: ${settings.durationSeconds} s per scenario, ${settings.connections} connections, BCRYPT_COST=${settings.bcryptCost}; logs in ${workDirectory}`,
  );

  const redis = await startBenchRedis();
  try {
    const single = await benchmarkServer(redis, settings, workDirectory, webConcurrency ? 1 : undefined, 'full');
    const twoWorkers = webConcurrency ? await benchmarkServer(redis, settings, workDirectory, 2, 'throughput') : null;
    const result = summarize(settings, single, twoWorkers, (await readInfo(redis.admin, 'server')).get('redis_version') ?? '?');
    report(result, webConcurrency);
    await mkdir(dirname(settings.out), { recursive: true });
    await writeFile(settings.out, `${JSON.stringify(result, null, 2)}\n`);
    console.log(`\nwritten to ${settings.out}`);
    if (settings.cpuProfile) console.log(`CPU profiles (open in Chrome DevTools or speedscope): ${join(workDirectory, 'profiles')}`);
  } finally {
    await redis.stop();
  }
}

function readSettings(): Settings {
  const { values } = parseArgs({
    options: {
      duration: { type: 'string' },
      connections: { type: 'string', default: '50' },
      'bcrypt-cost': { type: 'string', default: '10' },
      'cpu-prof': { type: 'boolean', default: false },
      smoke: { type: 'boolean', default: false },
      out: { type: 'string' },
    },
  });
  const durationSeconds = Number(values.duration ?? (values.smoke ? 1 : 10));
  return {
    durationSeconds,
    warmUpSeconds: values.smoke ? 1 : 3,
    connections: Number(values.connections),
    bcryptCost: Number(values['bcrypt-cost']),
    cpuProfile: values['cpu-prof'],
    // A smoke run proves the benchmark works; its figures are not worth keeping.
    out: values.out ?? join(__dirname, 'results', values.smoke ? 'smoke.json' : 'latest.json'),
  };
}

interface ServerRun {
  workers: number | undefined;
  anonymous: Scenario;
  authenticated: Scenario;
  duringLogins?: Scenario & { logins: LoginStormResult };
  mySessions?: Scenario & { sessions: number };
}

/**
 * One server process (or N workers): anonymous and authenticated `me`, then, for the
 * full run, `me` during a login storm and `mySessions` with 50 sessions.
 */
async function benchmarkServer(
  redis: BenchRedis,
  settings: Settings,
  workDirectory: string,
  workers: number | undefined,
  scope: 'full' | 'throughput',
): Promise<ServerRun> {
  const label = workers === undefined ? 'server' : `${workers} worker${workers > 1 ? 's' : ''}`;
  const server = await startServerProcess({
    redisUrl: redis.url,
    bcryptCost: settings.bcryptCost,
    workers,
    logFile: join(workDirectory, `server-${workers ?? 1}.log`),
    ...(settings.cpuProfile ? { cpuProfileDirectory: join(workDirectory, 'profiles') } : {}),
  });
  try {
    await redis.admin.flushall();
    const tag = `w${workers ?? 1}`;
    console.log(`\n[${label}] signing up ${settings.connections} users`);
    const viewers = await signUpUsers(server, `${tag}-viewer`, settings.connections);
    const viewerHeaders = (index: number) => viewers[index % viewers.length]!.headers;
    const load = (body: string, headersOf?: (index: number) => Record<string, string>) =>
      runLoad({ graphqlUrl: server.graphqlUrl, body, connections: settings.connections, durationSeconds: settings.durationSeconds, headersOf });

    console.log(`[${label}] warming up`);
    await runLoad({ graphqlUrl: server.graphqlUrl, body: ME_QUERY, connections: settings.connections, durationSeconds: settings.warmUpSeconds, headersOf: viewerHeaders });
    await runLoad({ graphqlUrl: server.graphqlUrl, body: ANONYMOUS_QUERY, connections: settings.connections, durationSeconds: settings.warmUpSeconds });

    console.log(`[${label}] anonymous { me { id } }`);
    const anonymous = checked(await load(ANONYMOUS_QUERY), 'anonymous');
    console.log(`[${label}] authenticated { me { id email } }`);
    const authenticated = await withCommandCounts(redis, () => load(ME_QUERY, viewerHeaders));
    checked(authenticated, 'authenticated');
    if (scope === 'throughput') return { workers, anonymous, authenticated };

    authenticated.redisRoundTripsPerRequest = (
      await countRoundTrips(redis.admin, ROUND_TRIP_SAMPLE, () => expectMe(server, viewers[0]!))
    ).roundTripsPerRequest;

    console.log(`[${label}] authenticated me with ${LOGINS_IN_FLIGHT} logins in flight`);
    const stormUsers = await createUsers(server, `${tag}-storm`, LOGINS_IN_FLIGHT);
    const storm = startLoginStorm(server, stormUsers);
    await storm.started;
    const duringLoginsLoad = checked(await load(ME_QUERY, viewerHeaders), 'authenticated during logins');
    const duringLogins = { ...duringLoginsLoad, logins: await storm.stop() };

    console.log(`[${label}] mySessions of a user with ${SESSIONS_FOR_MY_SESSIONS} sessions`);
    const owner = await userWithSessions(server, `${tag}-owner`, SESSIONS_FOR_MY_SESSIONS);
    const mySessionsLoad = await withCommandCounts(redis, () => load(MY_SESSIONS_QUERY, () => owner.presented.headers));
    checked(mySessionsLoad, 'mySessions');
    mySessionsLoad.redisRoundTripsPerRequest = (
      await countRoundTrips(redis.admin, ROUND_TRIP_SAMPLE, async () => {
        await graphqlRequest(server.graphqlUrl, JSON.parse(MY_SESSIONS_QUERY).query, {}, owner.presented.headers);
      })
    ).roundTripsPerRequest;
    return { workers, anonymous, authenticated, duringLogins, mySessions: { ...mySessionsLoad, sessions: owner.sessionCount } };
  } finally {
    await server.stop();
  }
}

/** Any failed request voids the figures: a fast error is not a fast answer. */
function checked<T extends LoadResult>(result: T, name: string): T {
  if (result.errors > 0 || result.non2xx > 0 || result.requests === 0) {
    throw new Error(`${name}: ${result.errors} connection errors, ${result.non2xx} non-2xx responses of ${result.requests + result.non2xx}`);
  }
  return result;
}

async function withCommandCounts(redis: BenchRedis, run: () => Promise<LoadResult>): Promise<Scenario> {
  const before = await readCommandCounts(redis.admin);
  const result = await run();
  const after = await readCommandCounts(redis.admin);
  const breakdown = commandsPerRequest(before, after, result.requests);
  return { ...result, redisCommandsPerRequest: sum(breakdown), redisCommandBreakdown: breakdown };
}

async function createUsers(server: ServerProcess, label: string, count: number): Promise<Credentials[]> {
  const users = Array.from({ length: count }, (_, i) => ({ email: `${label}-${i}@bench.example`, password: BENCH_PASSWORD }));
  await inParallel(users, (user) => signUp(server.graphqlUrl, user, 'HEADER'));
  return users;
}

/** One session per user; even users present a bearer header, odd ones the cookie (both transports). */
async function signUpUsers(server: ServerProcess, label: string, count: number): Promise<Presented[]> {
  const users = Array.from({ length: count }, (_, i) => ({ email: `${label}-${i}@bench.example`, password: BENCH_PASSWORD }));
  const presented = await inParallel(users, (user, i) => signUp(server.graphqlUrl, user, i % 2 === 0 ? 'HEADER' : 'COOKIE'));
  for (const [i, viewer] of presented.entries()) await expectMe(server, viewer, users[i]!.email);
  return presented;
}

async function expectMe(server: ServerProcess, viewer: Presented, email?: string): Promise<void> {
  const { data } = await graphqlRequest<{ me: { email: string } | null }>(server.graphqlUrl, '{ me { id email } }', {}, viewer.headers);
  if (!data?.me || (email && data.me.email !== email)) throw new Error(`a signed-in user's me came back as ${JSON.stringify(data)}`);
}

async function userWithSessions(server: ServerProcess, label: string, count: number): Promise<{ presented: Presented; sessionCount: number }> {
  const user = { email: `${label}@bench.example`, password: BENCH_PASSWORD };
  await signUp(server.graphqlUrl, user, 'HEADER');
  const logins = await inParallel(Array.from({ length: count - 1 }), () => login(server.graphqlUrl, user, 'HEADER'));
  const presented = logins.at(-1)!;
  const { data } = await graphqlRequest<{ mySessions: unknown[] }>(server.graphqlUrl, '{ mySessions { id } }', {}, presented.headers);
  const sessionCount = data?.mySessions.length ?? 0;
  if (sessionCount !== count) throw new Error(`expected ${count} sessions, mySessions listed ${sessionCount}`);
  return { presented, sessionCount };
}

export interface LoginStormResult {
  logins: number;
  failures: number;
  loginsPerSecond: number;
  latencyMillis: { p50: number; p99: number };
}

/**
 * Keeps LOGINS_IN_FLIGHT logins in flight (one loop per user, each sending the next
 * login as soon as the last one answered) until stopped.
 */
function startLoginStorm(server: ServerProcess, users: Credentials[]): { started: Promise<void>; stop(): Promise<LoginStormResult> } {
  let stopping = false;
  let failures = 0;
  const latencies: number[] = [];
  let firstAnswered: () => void = () => {};
  const started = new Promise<void>((resolve) => {
    firstAnswered = resolve;
  });
  const startedAt = performance.now();
  const loops = users.map(async (user) => {
    const body = loginBody(user);
    while (!stopping) {
      const sentAt = performance.now();
      const response = await fetch(server.graphqlUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
      const answer = (await response.json()) as { data?: { login?: { token?: string } } };
      if (answer.data?.login?.token) latencies.push(performance.now() - sentAt);
      else failures++;
      firstAnswered();
    }
  });
  return {
    started,
    stop: async () => {
      const elapsedSeconds = (performance.now() - startedAt) / 1000;
      stopping = true;
      await Promise.all(loops);
      latencies.sort((a, b) => a - b);
      return {
        logins: latencies.length,
        failures,
        loginsPerSecond: latencies.length / elapsedSeconds,
        latencyMillis: { p50: latencies[Math.floor(latencies.length / 2)] ?? 0, p99: latencies[Math.ceil(latencies.length * 0.99) - 1] ?? 0 },
      };
    },
  };
}

/** Runs `task` over `items`, ten at a time (sign-ups and logins are bcrypt-bound anyway). */
async function inParallel<T, R>(items: T[], task: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await task(items[index]!, index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(10, items.length) }, worker));
  return results;
}

interface Target {
  target: string;
  measured: string;
  met: boolean;
}

function summarize(settings: Settings, single: ServerRun, twoWorkers: ServerRun | null, redisVersion: string) {
  const { anonymous, authenticated } = single;
  const duringLogins = single.duringLogins!;
  const mySessions = single.mySessions!;
  const ratioToAnonymous = authenticated.requestsPerSecond / anonymous.requestsPerSecond;
  const throughputDuringLogins = duringLogins.requestsPerSecond / authenticated.requestsPerSecond;
  const p99DuringLogins = duringLogins.latencyMillis.p99 / authenticated.latencyMillis.p99;
  // Each session writes lastSeenAt at most once per touch interval, whatever its request rate.
  const touchesPerRequest = settings.connections / touchIntervalSeconds(IDLE_TTL_SECONDS) / authenticated.requestsPerSecond;
  const steadyStateCommands = authenticated.redisCommandsPerRequest! + touchesPerRequest * COMMANDS_PER_TOUCH;
  const targets: Target[] = [
    { target: 'authenticated me >= 0.90x anonymous', measured: `${ratioToAnonymous.toFixed(2)}x`, met: ratioToAnonymous >= 0.9 },
    {
      target: '<= 1 Redis command per authenticated request',
      measured: `${authenticated.redisCommandsPerRequest!.toFixed(3)} (${steadyStateCommands.toFixed(4)} with lastSeenAt writes), ${authenticated.redisRoundTripsPerRequest} round trip`,
      met: steadyStateCommands <= 1.01,
    },
    { target: `${LOGINS_IN_FLIGHT} logins in flight: me keeps >= 50% of idle req/s`, measured: `${(throughputDuringLogins * 100).toFixed(0)}%`, met: throughputDuringLogins >= 0.5 },
    { target: `${LOGINS_IN_FLIGHT} logins in flight: me p99 <= 3x idle`, measured: `${p99DuringLogins.toFixed(2)}x`, met: p99DuringLogins <= 3 },
    {
      target: `mySessions (${mySessions.sessions} sessions) in 1 round trip`,
      measured: `${mySessions.redisRoundTripsPerRequest} round trip, ${mySessions.redisCommandsPerRequest!.toFixed(0)} commands inside Redis`,
      met: mySessions.redisRoundTripsPerRequest === 1,
    },
  ];
  return {
    measuredAt: new Date().toISOString(),
    machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model ?? '?', node: process.version, redis: redisVersion },
    settings: { ...settings, out: undefined },
    singleProcess: single,
    twoWorkers,
    ratios: {
      authenticatedToAnonymous: ratioToAnonymous,
      throughputDuringLoginsToIdle: throughputDuringLogins,
      p99DuringLoginsToIdle: p99DuringLogins,
      lastSeenAtWritesPerRequest: touchesPerRequest,
    },
    targets,
  };
}

function report(result: ReturnType<typeof summarize>, webConcurrency: boolean): void {
  const { machine, settings } = result;
  console.log(
    `\nsessionql on ${machine.cpus} x ${machine.cpuModel}, Node ${machine.node}, Redis ${machine.redis}; ` +
      `${settings.connections} connections, ${settings.durationSeconds} s per scenario, BCRYPT_COST=${settings.bcryptCost}\n`,
  );
  const row = (name: string, scenario: Scenario | undefined, extra = '') =>
    scenario
      ? [
          name,
          Math.round(scenario.requestsPerSecond).toLocaleString('en'),
          scenario.latencyMillis.p50.toFixed(1),
          scenario.latencyMillis.p99.toFixed(1),
          scenario.redisCommandsPerRequest === undefined ? '' : scenario.redisCommandsPerRequest.toFixed(2),
          scenario.redisRoundTripsPerRequest === undefined ? '' : String(scenario.redisRoundTripsPerRequest),
          extra,
        ]
      : [name, '-', '-', '-', '', '', extra];
  const single = result.singleProcess;
  const logins = single.duringLogins?.logins;
  const rows = [
    row('anonymous { me { id } }', single.anonymous),
    row('authenticated { me { id email } }', single.authenticated, `${result.ratios.authenticatedToAnonymous.toFixed(2)}x anonymous`),
    row(
      `  same, ${LOGINS_IN_FLIGHT} logins in flight`,
      single.duringLogins,
      `${(result.ratios.throughputDuringLoginsToIdle * 100).toFixed(0)}% of idle, p99 ${result.ratios.p99DuringLoginsToIdle.toFixed(2)}x; ` +
        `${logins?.loginsPerSecond.toFixed(1)} logins/s, login p99 ${logins?.latencyMillis.p99.toFixed(0)} ms`,
    ),
    row(`mySessions (${single.mySessions?.sessions} sessions)`, single.mySessions),
  ];
  if (result.twoWorkers) {
    rows.push(
      row('WEB_CONCURRENCY=2: anonymous', result.twoWorkers.anonymous, `${(result.twoWorkers.anonymous.requestsPerSecond / single.anonymous.requestsPerSecond).toFixed(2)}x 1 worker`),
      row(
        'WEB_CONCURRENCY=2: authenticated me',
        result.twoWorkers.authenticated,
        `${(result.twoWorkers.authenticated.requestsPerSecond / single.authenticated.requestsPerSecond).toFixed(2)}x 1 worker`,
      ),
    );
  }
  printTable(['scenario', 'req/s', 'p50 ms', 'p99 ms', 'Redis cmds/req', 'round trips', 'notes'], rows);
  if (!webConcurrency) console.log('\nWEB_CONCURRENCY is not supported by this server yet: only the single-process figures.');
  console.log('\ntargets (Redis memory per session: npm run bench:memory)');
  printTable(
    ['target', 'measured', 'met'],
    result.targets.map((target) => [target.target, target.measured, target.met ? 'yes' : 'NO']),
  );
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
