import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { touchIntervalSeconds } from '../src/session/session.service';
import { BENCH_PASSWORD, graphqlRequest, login, loginBody, signUp, type Credentials, type Presented } from './support/graphql-client';
import { runLoadSample, summarizeLoad, type LoadOptions, type LoadResult, type LoadSample } from './support/load';
import { readInfo, startBenchRedis, type BenchRedis } from './support/redis-server';
import { commandDelta, countRoundTrips, readCommandCounts, sum, waitUntilQuiet, type CommandCounts } from './support/redis-stats';
import { expressSessionLogin, REFERENCE_DESCRIPTIONS, startReferenceServers, type ReferenceServers } from './support/reference-servers';
import { printTable } from './support/report';
import { REPOSITORY_ROOT, startServerProcess, type ServerProcess } from './support/server-process';

/*
 * npm run bench [-- --duration 10 --rounds 2 --connections 50 --bcrypt-cost 10 --cpu-prof --smoke]
 *
 * Starts a private redis-server and the built server (dist/, as `npm start` runs it) as a
 * child process, signs users up, and loads the server over loopback with autocannon, one
 * bounded scenario after another. Prints a table and writes bench/results/latest.json.
 *
 * Two reference servers (bench/reference/) run beside the single-process server, each a
 * child process too, and are loaded in turn with its `me` scenarios: a bare Apollo +
 * type-graphql server (the floor for CPU per request) and an express-session +
 * connect-redis stack (what a typical app would do instead).
 */

const ANONYMOUS_QUERY = '{ me { id } }';
const ME_QUERY = '{ me { id email } }';
const MY_SESSIONS_QUERY = '{ mySessions { id current transport createdAt lastSeenAt expiresAt absoluteExpiresAt ipAddress userAgent } }';
const LOGINS_IN_FLIGHT = 10;
const SESSIONS_FOR_MY_SESSIONS = 50;
/** Requests watched with MONITOR to count round trips (one at a time, outside the load). */
const ROUND_TRIP_SAMPLE = 50;
/** The server's default SESSION_IDLE_TTL, which sets how often lastSeenAt is written. */
const IDLE_TTL_SECONDS = 7 * 86_400;

interface Settings {
  loadAverageBefore: number;
  durationSeconds: number;
  /** Interleaved scenarios alternate in this many A B … B A rounds. */
  rounds: number;
  warmUpSeconds: number;
  connections: number;
  bcryptCost: number;
  cpuProfile: boolean;
  out: string;
}

interface Scenario extends LoadResult {
  /** Server CPU time (user + system, all its processes) per request sent; null off Linux. */
  serverCpuMicrosPerRequest: number | null;
  /** Every command Redis ran per request sent, those run inside scripts included. */
  redisCommandsPerRequest: number;
  redisCommandBreakdown: Record<string, number>;
  /** Commands the server sent per request (a script counts once), from a MONITOR sample. */
  redisRoundTripsPerRequest?: number;
}

async function main(): Promise<void> {
  const settings = readSettings();
  if (!existsSync(join(REPOSITORY_ROOT, 'dist', 'src', 'main.js'))) {
    throw new Error('dist/src/main.js is missing: run `npm run bench`, which builds first');
  }
  const workDirectory = await mkdtemp(join(tmpdir(), 'sessionql-bench-'));
  console.log(
    `sessionql benchmark: ${settings.durationSeconds} s per scenario, ${settings.connections} connections, BCRYPT_COST=${settings.bcryptCost}; logs in ${workDirectory}`,
  );

  const redis = await startBenchRedis();
  try {
    const references = await startReferenceServers({
      redisUrl: redis.url,
      logDirectory: workDirectory,
      cpuProfileDirectory: settings.cpuProfile ? join(workDirectory, 'profiles') : undefined,
    });
    let single: FullRun;
    try {
      single = (await benchmarkServer(redis, settings, workDirectory, 1, { references })) as FullRun;
    } finally {
      await references.stop();
    }
    const twoWorkers = await benchmarkServer(redis, settings, workDirectory, 2, 'throughput');
    const redisVersion = (await readInfo(redis.admin, 'server')).get('redis_version') ?? '?';
    const result = summarize(settings, single, twoWorkers, redisVersion);
    report(result);
    await mkdir(dirname(settings.out), { recursive: true });
    await writeFile(settings.out, `${JSON.stringify(result, null, 2)}\n`);
    console.log(`\nwritten to ${settings.out}`);
    if (settings.cpuProfile) {
      console.log(`CPU profiles (open in Chrome DevTools or speedscope): ${join(workDirectory, 'profiles')}`);
    } else {
      // The server logs are kept only when something went wrong, or next to the profiles.
      await rm(workDirectory, { recursive: true, force: true });
    }
  } finally {
    await redis.stop();
  }
}

function readSettings(): Settings {
  const { values } = parseArgs({
    options: {
      duration: { type: 'string' },
      rounds: { type: 'string', default: '2' },
      connections: { type: 'string', default: '50' },
      'bcrypt-cost': { type: 'string', default: '10' },
      'cpu-prof': { type: 'boolean', default: false },
      smoke: { type: 'boolean', default: false },
      out: { type: 'string' },
    },
  });
  return {
    loadAverageBefore: loadavg()[0]!,
    durationSeconds: Number(values.duration ?? (values.smoke ? 1 : 10)),
    rounds: values.smoke ? 1 : Number(values.rounds),
    warmUpSeconds: values.smoke ? 1 : 3,
    connections: Number(values.connections),
    bcryptCost: Number(values['bcrypt-cost']),
    cpuProfile: values['cpu-prof'],
    // A smoke run proves that the benchmark works; its figures are not worth keeping.
    out: values.out ?? join(__dirname, 'results', values.smoke ? 'smoke.json' : 'latest.json'),
  };
}

interface ThroughputRun {
  workers: number;
  /** Processes serving (the cluster primary and its workers), from /proc; null off Linux. */
  processes: number | null;
  anonymous: Scenario;
  authenticated: Scenario;
}

interface FullRun extends ThroughputRun {
  /** `me` while logins are in flight, and `me` idle measured interleaved with it (A B B A). */
  duringLogins: Scenario & { logins: LoginStormResult; idle: Scenario };
  mySessions: Scenario & { sessions: number; redisRoundTripsWithOneSession: number };
  /** The reference servers' `me`, measured interleaved with anonymous and authenticated. */
  references: ReferenceRuns;
}

interface ReferenceRuns {
  bare: Scenario;
  expressSession: Scenario;
}

/** The single-process run also loads the reference servers. */
interface FullScope {
  references: ReferenceServers;
}

/**
 * The server with WEB_CONCURRENCY=`workers`: anonymous and authenticated `me`; for the
 * full run also the reference servers' `me` (interleaved with those two), `me` during a
 * login storm and `mySessions` with 50 sessions. Null when the server ignored
 * WEB_CONCURRENCY (it runs one process whatever it says).
 */
async function benchmarkServer(
  redis: BenchRedis,
  settings: Settings,
  workDirectory: string,
  workers: number,
  scope: FullScope | 'throughput',
): Promise<ThroughputRun | FullRun | null> {
  const label = `[WEB_CONCURRENCY=${workers}]`;
  const server = await startServerProcess({
    redisUrl: redis.url,
    bcryptCost: settings.bcryptCost,
    workers,
    logFile: join(workDirectory, `server-${workers}.log`),
    ...(settings.cpuProfile ? { cpuProfileDirectory: join(workDirectory, 'profiles') } : {}),
  });
  try {
    const processes = await server.processCount();
    if (workers > 1 && processes === 1) {
      console.log(`${label} the server runs a single process: WEB_CONCURRENCY is not supported yet`);
      return null;
    }
    await redis.admin.flushall();
    const tag = `w${workers}`;
    const loadOn = (target: ServerProcess, query: string, viewers?: Presented[]): MeteredLoad => ({
      server: target,
      load: {
        graphqlUrl: target.graphqlUrl,
        body: JSON.stringify({ query }),
        connections: settings.connections,
        durationSeconds: settings.durationSeconds,
        // Each connection presents its own session.
        headersOf: viewers && ((index) => viewers[index % viewers.length]!.headers),
      },
    });
    const load = (query: string, viewers?: Presented[]) => loadOn(server, query, viewers).load;

    console.log(`${label} signing up ${settings.connections} users`);
    const viewers = await signUpUsers(server, `${tag}-viewer`, settings.connections);
    const scenarios = [loadOn(server, ANONYMOUS_QUERY), loadOn(server, ME_QUERY, viewers)];
    const references = scope === 'throughput' ? null : scope.references;
    if (references) {
      console.log(`${label} reference servers: checking the bare one, logging ${settings.connections} users in to the express-session one`);
      await expectMe(references.bare, { headers: {} });
      const referenceViewers = await expressSessionUsers(references.expressSession, redis, `${tag}-reference`, settings.connections);
      scenarios.push(loadOn(references.bare, ME_QUERY), loadOn(references.expressSession, ME_QUERY, referenceViewers));
    }

    console.log(`${label} warming up`);
    for (const scenario of scenarios) await runLoadSample({ ...scenario.load, durationSeconds: settings.warmUpSeconds });

    console.log(
      `${label} anonymous ${ANONYMOUS_QUERY} and authenticated ${ME_QUERY}` + (references ? ', the reference servers\' me' : '') + ', interleaved',
    );
    const [anonymous, authenticated, bare, expressSession] = await measureInterleaved(redis, scenarios, settings.rounds);
    if (!references) return { workers, processes, anonymous: anonymous!, authenticated: authenticated! };

    // Round trips are counted on fresh sessions: an older one may be due its once-a-minute lastSeenAt write.
    const freshViewer = async (label: string) => (await signUpUsers(server, `${tag}-${label}`, 1))[0]!;
    const meViewer = await freshViewer('me');
    authenticated!.redisRoundTripsPerRequest = (
      await countRoundTrips(redis.admin, ROUND_TRIP_SAMPLE, () => expectMe(server, meViewer))
    ).roundTripsPerRequest;
    const [referenceViewer] = await expressSessionUsers(references.expressSession, redis, `${tag}-reference-me`, 1);
    expressSession!.redisRoundTripsPerRequest = (
      await countRoundTrips(redis.admin, ROUND_TRIP_SAMPLE, () => expectMe(references.expressSession, referenceViewer!))
    ).roundTripsPerRequest;

    console.log(`${label} authenticated ${ME_QUERY} with ${LOGINS_IN_FLIGHT} logins in flight`);
    const stormUsers = await createUsers(server, `${tag}-storm`, LOGINS_IN_FLIGHT);
    const duringLogins = await measureDuringLogins(server, redis, load(ME_QUERY, viewers), stormUsers, settings.rounds);

    console.log(`${label} mySessions of a user with ${SESSIONS_FOR_MY_SESSIONS} sessions`);
    const owner = await userWithSessions(server, `${tag}-owner`, SESSIONS_FOR_MY_SESSIONS);
    const mySessionsLoad = await measure(server, redis, load(MY_SESSIONS_QUERY, [owner.presented]));
    const listSessions = (viewer: Presented) => async () => {
      const { data } = await graphqlRequest<{ mySessions: unknown[] }>(server.graphqlUrl, MY_SESSIONS_QUERY, {}, viewer.headers);
      if (!data?.mySessions.length) throw new Error(`mySessions came back as ${JSON.stringify(data)}`);
    };
    mySessionsLoad.redisRoundTripsPerRequest = (await countRoundTrips(redis.admin, ROUND_TRIP_SAMPLE, listSessions(owner.presented))).roundTripsPerRequest;
    const withOneSession = (await countRoundTrips(redis.admin, ROUND_TRIP_SAMPLE, listSessions(await freshViewer('single')))).roundTripsPerRequest;
    return {
      workers,
      processes,
      anonymous: anonymous!,
      authenticated: authenticated!,
      duringLogins,
      mySessions: { ...mySessionsLoad, sessions: owner.sessionCount, redisRoundTripsWithOneSession: withOneSession },
      references: { bare: bare!, expressSession: expressSession! },
    };
  } finally {
    await server.stop();
  }
}

/** A load and the server it goes to, whose CPU time is metered. */
interface MeteredLoad {
  server: ServerProcess;
  load: LoadOptions;
}

/**
 * Splits each scenario's time into 2 x `rounds` parts run in the order A B C C B A, …:
 * drift in the machine's speed (other processes, CPU steal on a VM) then weighs on every
 * scenario alike, and their ratios are fair.
 */
async function measureInterleaved(redis: BenchRedis, scenarios: MeteredLoad[], rounds: number): Promise<Scenario[]> {
  const parts = scenarios.map(({ server, load }) => ({ server, load: { ...load, durationSeconds: load.durationSeconds / (2 * rounds) } }));
  const samples = parts.map(() => [] as MeteredSample[]);
  const round = [...parts.keys(), ...[...parts.keys()].reverse()];
  // The warm-up's last requests are still being served.
  await waitUntilQuiet(redis.admin);
  for (let i = 0; i < rounds; i++) {
    for (const index of round) {
      samples[index]!.push(await meteredSample(parts[index]!.server, redis, parts[index]!.load, { awaitInFlight: true }));
    }
  }
  return samples.map(summarizeScenario);
}

async function measure(server: ServerProcess, redis: BenchRedis, options: LoadOptions): Promise<Scenario> {
  return summarizeScenario([await meteredSample(server, redis, options, { awaitInFlight: false })]);
}

interface MeteredSample {
  load: LoadSample;
  serverCpuMillis: number | null;
  redisCommands: CommandCounts;
}

/**
 * With `awaitInFlight`, the requests left in flight when the time was up (counted as sent)
 * are served, and metered, before the sample ends rather than in the next one, which may be
 * another server's. Not while other load keeps Redis busy (the login storm): it never goes quiet.
 */
async function meteredSample(
  server: ServerProcess,
  redis: BenchRedis,
  options: LoadOptions,
  { awaitInFlight }: { awaitInFlight: boolean },
): Promise<MeteredSample> {
  const commandsBefore = await readCommandCounts(redis.admin);
  const cpuBefore = await server.cpuMillis();
  const load = await runLoadSample(options);
  if (awaitInFlight) await waitUntilQuiet(redis.admin);
  const cpuAfter = await server.cpuMillis();
  const commandsAfter = await readCommandCounts(redis.admin);
  if (load.errors > 0 || load.non2xx > 0 || load.requests === 0) {
    throw new Error(`${options.body}: ${load.errors} connection errors and ${load.non2xx} non-2xx responses in ${load.requestsSent} requests`);
  }
  return {
    load,
    serverCpuMillis: cpuBefore === null || cpuAfter === null ? null : cpuAfter - cpuBefore,
    redisCommands: commandDelta(commandsBefore, commandsAfter),
  };
}

function summarizeScenario(samples: MeteredSample[]): Scenario {
  const load = summarizeLoad(samples.map((sample) => sample.load));
  const commands: CommandCounts = new Map();
  for (const sample of samples) {
    for (const [name, calls] of sample.redisCommands) commands.set(name, (commands.get(name) ?? 0) + calls);
  }
  const cpuMillis = samples.some((sample) => sample.serverCpuMillis === null)
    ? null
    : samples.reduce((total, sample) => total + sample.serverCpuMillis!, 0);
  return {
    ...load,
    serverCpuMicrosPerRequest: cpuMillis === null ? null : (cpuMillis * 1000) / load.requestsSent,
    redisCommandsPerRequest: sum(commands) / load.requestsSent,
    redisCommandBreakdown: Object.fromEntries([...commands].map(([name, calls]) => [name, calls / load.requestsSent])),
  };
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

/** Users of the express-session reference server, each with its own session, checked like signUpUsers'. */
async function expressSessionUsers(server: ServerProcess, redis: BenchRedis, label: string, count: number): Promise<Presented[]> {
  const emails = Array.from({ length: count }, (_, i) => `${label}-${i}@bench.example`);
  const presented = await inParallel(emails, (email) => expressSessionLogin(server, redis.admin, email));
  for (const [i, viewer] of presented.entries()) await expectMe(server, viewer, emails[i]);
  return presented;
}

async function expectMe(server: ServerProcess, viewer: Presented, email?: string): Promise<void> {
  const { data } = await graphqlRequest<{ me: { email: string } | null }>(server.graphqlUrl, ME_QUERY, {}, viewer.headers);
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

interface LoginStormResult {
  logins: number;
  failures: number;
  loginsPerSecond: number;
  latencyMillis: { p50: number; p99: number };
}

/**
 * `me` idle and `me` with LOGINS_IN_FLIGHT logins in flight, interleaved (idle, storm, storm,
 * idle, in each round; a storm starts before its parts and ends after them), so that drift
 * in the machine's speed weighs on both alike.
 */
async function measureDuringLogins(
  server: ServerProcess,
  redis: BenchRedis,
  load: LoadOptions,
  stormUsers: Credentials[],
  rounds: number,
): Promise<Scenario & { logins: LoginStormResult; idle: Scenario }> {
  const part = { ...load, durationSeconds: load.durationSeconds / (2 * rounds) };
  const idle: MeteredSample[] = [];
  const during: MeteredSample[] = [];
  const storms: LoginStormRecord[] = [];
  for (let i = 0; i < rounds; i++) {
    idle.push(await meteredSample(server, redis, part, { awaitInFlight: true }));
    const storm = startLoginStorm(server, stormUsers);
    await storm.started;
    for (let j = 0; j < 2; j++) during.push(await meteredSample(server, redis, part, { awaitInFlight: false }));
    storms.push(await storm.stop());
    idle.push(await meteredSample(server, redis, part, { awaitInFlight: true }));
  }
  return { ...summarizeScenario(during), logins: summarizeLoginStorms(storms), idle: summarizeScenario(idle) };
}

interface LoginStormRecord {
  latenciesMillis: number[];
  failures: number;
  elapsedSeconds: number;
}

function summarizeLoginStorms(storms: LoginStormRecord[]): LoginStormResult {
  const latencies = storms.flatMap((storm) => storm.latenciesMillis).sort((a, b) => a - b);
  const elapsedSeconds = storms.reduce((total, storm) => total + storm.elapsedSeconds, 0);
  return {
    logins: latencies.length,
    failures: storms.reduce((total, storm) => total + storm.failures, 0),
    loginsPerSecond: latencies.length / elapsedSeconds,
    latencyMillis: { p50: latencies[Math.floor(latencies.length / 2)] ?? 0, p99: latencies[Math.ceil(latencies.length * 0.99) - 1] ?? 0 },
  };
}

/**
 * Keeps LOGINS_IN_FLIGHT logins in flight (one loop per user, each sending the next login
 * as soon as the last one answered) until stopped.
 */
function startLoginStorm(server: ServerProcess, users: Credentials[]): { started: Promise<void>; stop(): Promise<LoginStormRecord> } {
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
      return { latenciesMillis: latencies, failures, elapsedSeconds };
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

function summarize(settings: Settings, single: FullRun, twoWorkers: ThroughputRun | FullRun | null, redisVersion: string) {
  const { references, ...singleProcess } = single;
  const { anonymous, authenticated, duringLogins, mySessions } = singleProcess;
  const { bare, expressSession } = references;
  const ratioToAnonymous = authenticated.requestsPerSecond / anonymous.requestsPerSecond;
  // The same comparison by the server's CPU time per request, which the load generator's speed does not sway.
  const cpuRatioToAnonymous =
    anonymous.serverCpuMicrosPerRequest !== null && authenticated.serverCpuMicrosPerRequest !== null
      ? anonymous.serverCpuMicrosPerRequest / authenticated.serverCpuMicrosPerRequest
      : null;
  // Against `me` idle measured interleaved with the storm, not the earlier run: the machine's speed drifts.
  const throughputDuringLogins = duringLogins.requestsPerSecond / duringLogins.idle.requestsPerSecond;
  const p99DuringLogins = duringLogins.latencyMillis.p99 / duringLogins.idle.latencyMillis.p99;
  // Each session writes lastSeenAt at most once per touch interval, whatever its request rate: one
  // more command sent (a script) per write. The run's own writes depend on when it began (the
  // sessions were all created at sign-up), so the round trips counted one request at a time are
  // added to the steady-state rate of those writes, for as many sessions as connections.
  const touchesPerRequest = settings.connections / touchIntervalSeconds(IDLE_TTL_SECONDS) / authenticated.requestsPerSecond;
  const steadyStateCommandsSent = authenticated.redisRoundTripsPerRequest! + touchesPerRequest;
  const listingRoundTrips = mySessions.redisRoundTripsPerRequest! - authenticated.redisRoundTripsPerRequest!;
  const cpuRatioToBare =
    authenticated.serverCpuMicrosPerRequest !== null && bare.serverCpuMicrosPerRequest !== null
      ? authenticated.serverCpuMicrosPerRequest / bare.serverCpuMicrosPerRequest
      : null;
  const throughputToExpressSession = authenticated.requestsPerSecond / expressSession.requestsPerSecond;
  const microsPerRequest = (scenario: Scenario) => `${Math.round(scenario.serverCpuMicrosPerRequest!)} us`;
  const requestsPerSecond = (scenario: Scenario) => `${Math.round(scenario.requestsPerSecond).toLocaleString('en')} req/s`;
  const targets: Target[] = [
    {
      target: 'authenticated me >= 0.90x anonymous',
      measured: `${ratioToAnonymous.toFixed(2)}x` + (cpuRatioToAnonymous === null ? '' : ` (by server CPU per request: ${cpuRatioToAnonymous.toFixed(2)}x)`),
      met: ratioToAnonymous >= 0.9,
    },
    {
      target: '1 Redis command sent per authenticated request (steady state)',
      measured:
        `${authenticated.redisRoundTripsPerRequest} one request at a time (MONITOR), ` +
        `${steadyStateCommandsSent.toFixed(3)} with the lastSeenAt writes at their steady-state rate; ` +
        `inside Redis: ${commandBreakdown(authenticated)} per request in the run`,
      met: authenticated.redisRoundTripsPerRequest === 1 && steadyStateCommandsSent <= 1.01,
    },
    {
      target: `${LOGINS_IN_FLIGHT} logins in flight: me keeps >= 80% of idle req/s`,
      measured: `${(throughputDuringLogins * 100).toFixed(0)}%`,
      met: throughputDuringLogins >= 0.8,
    },
    { target: `${LOGINS_IN_FLIGHT} logins in flight: me p99 <= 2x idle`, measured: `${p99DuringLogins.toFixed(2)}x`, met: p99DuringLogins <= 2 },
    {
      target: 'mySessions lists in 1 round trip, whatever the number of sessions',
      measured:
        `${listingRoundTrips} (+1 for the authentication) with ${mySessions.sessions} sessions and with 1; ` +
        `${mySessions.redisCommandsPerRequest.toFixed(0)} commands inside Redis; ${microsPerRequest(mySessions)} of server CPU per request`,
      met: listingRoundTrips === 1 && mySessions.redisRoundTripsPerRequest === mySessions.redisRoundTripsWithOneSession,
    },
    {
      target: 'authenticated me: server CPU per request <= 1.0x the bare Apollo + type-graphql server',
      measured:
        cpuRatioToBare === null
          ? 'not measured (no /proc)'
          : `${cpuRatioToBare.toFixed(2)}x (${microsPerRequest(authenticated)} vs ${microsPerRequest(bare)})`,
      met: cpuRatioToBare !== null && cpuRatioToBare <= 1,
    },
    {
      target: 'authenticated me: req/s >= 1.5x express-session + connect-redis',
      measured: `${throughputToExpressSession.toFixed(2)}x (${requestsPerSecond(authenticated)} vs ${requestsPerSecond(expressSession)})`,
      met: throughputToExpressSession >= 1.5,
    },
  ];
  return {
    measuredAt: new Date().toISOString(),
    machine: {
      cpus: cpus().length,
      cpuModel: cpus()[0]?.model ?? '?',
      node: process.version,
      redis: redisVersion,
      /** The 1-minute load average before the benchmark started anything: other work competing for the CPU. */
      loadAverageBefore: settings.loadAverageBefore,
    },
    settings: { durationSeconds: settings.durationSeconds, rounds: settings.rounds, connections: settings.connections, bcryptCost: settings.bcryptCost },
    singleProcess,
    /** Measured interleaved with singleProcess.anonymous and .authenticated. */
    references: {
      bare: { server: REFERENCE_DESCRIPTIONS.bare, query: ME_QUERY, ...bare },
      expressSession: { server: REFERENCE_DESCRIPTIONS.expressSession, query: ME_QUERY, ...expressSession },
    },
    twoWorkers: twoWorkers ?? 'WEB_CONCURRENCY is not supported by this server yet',
    ratios: {
      authenticatedToAnonymous: ratioToAnonymous,
      authenticatedToAnonymousByServerCpu: cpuRatioToAnonymous,
      throughputDuringLoginsToIdle: throughputDuringLogins,
      p99DuringLoginsToIdle: p99DuringLogins,
      lastSeenAtWritesPerRequest: touchesPerRequest,
      authenticatedCpuPerRequestToBare: cpuRatioToBare,
      authenticatedRequestsPerSecondToExpressSession: throughputToExpressSession,
      redisCommandsPerAuthenticatedRequest: {
        sessionql: authenticated.redisCommandsPerRequest,
        expressSession: expressSession.redisCommandsPerRequest,
      },
      twoWorkersToOne: twoWorkers
        ? {
            anonymous: twoWorkers.anonymous.requestsPerSecond / anonymous.requestsPerSecond,
            authenticated: twoWorkers.authenticated.requestsPerSecond / authenticated.requestsPerSecond,
          }
        : null,
    },
    targets,
  };
}

/** What Redis ran per request, scripts and the commands inside them alike (INFO commandstats). */
function commandBreakdown(scenario: Scenario): string {
  const commands = Object.entries(scenario.redisCommandBreakdown).sort(([, a], [, b]) => b - a);
  const shown = commands.filter(([, perRequest]) => perRequest >= 0.005);
  const others = commands.slice(shown.length);
  const othersPerRequest = others.reduce((total, [, perRequest]) => total + perRequest, 0);
  return [
    ...shown.map(([name, perRequest]) => `${perRequest.toFixed(2)} ${name.toUpperCase()}`),
    ...(others.length > 0 ? [`${othersPerRequest.toFixed(3)} in ${others.length} other commands`] : []),
  ].join(' + ');
}

function report(result: ReturnType<typeof summarize>): void {
  const { machine, settings } = result;
  if (machine.loadAverageBefore > 0.5) {
    console.log(
      `\nWARNING: the load average was ${machine.loadAverageBefore.toFixed(2)} before the run: other processes were using the CPU, ` +
        'and the figures below are only as steady as they were.',
    );
  }
  console.log(
    `\nsessionql on ${machine.cpus} x ${machine.cpuModel}, Node ${machine.node}, Redis ${machine.redis}; ` +
      `${settings.connections} connections, ${settings.durationSeconds} s per scenario, BCRYPT_COST=${settings.bcryptCost}\n`,
  );
  // During the login storm, CPU and Redis commands belong to the logins as much as to `me`: not shown per request.
  const row = (name: string, scenario: Scenario, notes = '', perRequestCosts = true) => [
    name,
    Math.round(scenario.requestsPerSecond).toLocaleString('en'),
    scenario.latencyMillis.p50.toFixed(1),
    scenario.latencyMillis.p99.toFixed(1),
    perRequestCosts && scenario.serverCpuMicrosPerRequest !== null ? Math.round(scenario.serverCpuMicrosPerRequest).toString() : '',
    perRequestCosts ? scenario.redisCommandsPerRequest.toFixed(2) : '',
    scenario.redisRoundTripsPerRequest === undefined ? '' : String(scenario.redisRoundTripsPerRequest),
    notes,
  ];
  const { singleProcess: single, references, ratios } = result;
  const logins = single.duringLogins.logins;
  const rows = [
    row(`anonymous ${ANONYMOUS_QUERY}`, single.anonymous),
    row(`authenticated ${ME_QUERY}`, single.authenticated, `${ratios.authenticatedToAnonymous.toFixed(2)}x anonymous`),
    row(`  same, idle, interleaved with the next`, single.duringLogins.idle),
    row(
      `  same, ${LOGINS_IN_FLIGHT} logins in flight`,
      single.duringLogins,
      `${(ratios.throughputDuringLoginsToIdle * 100).toFixed(0)}% of idle req/s, p99 ${ratios.p99DuringLoginsToIdle.toFixed(2)}x idle; ` +
        `${logins.loginsPerSecond.toFixed(1)} logins/s (p99 ${logins.latencyMillis.p99.toFixed(0)} ms, ${logins.failures} failed)`,
      false,
    ),
    row(`mySessions, ${single.mySessions.sessions} sessions`, single.mySessions),
    row(
      `reference: bare Apollo + type-graphql ${ME_QUERY}`,
      references.bare,
      ratios.authenticatedCpuPerRequestToBare === null ? '' : `authenticated: ${ratios.authenticatedCpuPerRequestToBare.toFixed(2)}x its CPU/req`,
    ),
    row(
      `reference: express-session ${ME_QUERY}`,
      references.expressSession,
      `authenticated: ${ratios.authenticatedRequestsPerSecondToExpressSession.toFixed(2)}x its req/s`,
    ),
  ];
  if (typeof result.twoWorkers === 'object' && result.twoWorkers && ratios.twoWorkersToOne) {
    rows.push(
      row('WEB_CONCURRENCY=2: anonymous', result.twoWorkers.anonymous, `${ratios.twoWorkersToOne.anonymous.toFixed(2)}x 1 process`),
      row('WEB_CONCURRENCY=2: authenticated', result.twoWorkers.authenticated, `${ratios.twoWorkersToOne.authenticated.toFixed(2)}x 1 process`),
    );
  }
  printTable(['scenario', 'req/s', 'p50 ms', 'p99 ms', 'server CPU us/req', 'Redis cmds/req', 'round trips', 'notes'], rows);
  if (typeof result.twoWorkers === 'string') console.log(`\n${result.twoWorkers}: single-process figures only.`);
  console.log(
    `\nRedis commands per authenticated me: sessionql ${ratios.redisCommandsPerAuthenticatedRequest.sessionql.toFixed(2)} ` +
      `(${commandBreakdown(single.authenticated)}), ` +
      `express-session + connect-redis ${ratios.redisCommandsPerAuthenticatedRequest.expressSession.toFixed(2)} ` +
      `(${commandBreakdown(references.expressSession)})`,
  );
  console.log('\ntargets (Redis memory per session: npm run bench:memory)');
  printTable(
    ['target', 'measured', 'met'],
    result.targets.map((target) => [target.target, target.measured, target.met ? 'yes' : 'NO']),
  );
}

// Exiting (rather than dying of the signal) runs the 'exit' hooks that kill Redis and the server.
process.once('SIGINT', () => process.exit(130));
process.once('SIGTERM', () => process.exit(143));

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
