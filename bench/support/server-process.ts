import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { freeLoopbackPort } from '../../test/support/global-setup';

export const REPOSITORY_ROOT = join(__dirname, '..', '..');
const SERVER_ENTRY = join(REPOSITORY_ROOT, 'dist', 'src', 'main.js');
const READY_TIMEOUT_MILLIS = 30_000;
const STOP_TIMEOUT_MILLIS = 15_000;

export interface ServerOptions {
  redisUrl: string;
  bcryptCost: number;
  /** WEB_CONCURRENCY; omitted: the server's own default. */
  workers?: number;
  /** Directory for `node --cpu-prof` profiles of every server process; none when omitted. */
  cpuProfileDirectory?: string;
  /** The server's stdout and stderr (its pino log) go here. */
  logFile: string;
}

export interface ServerProcess {
  /** http://127.0.0.1:port */
  origin: string;
  graphqlUrl: string;
  /**
   * CPU time (user + system) used so far by the server and its worker processes, in ms;
   * null where /proc is not available (Linux only).
   */
  cpuMillis(): Promise<number | null>;
  /** How many processes serve (1, or the cluster primary and its workers); null off Linux. */
  processCount(): Promise<number | null>;
  stop(): Promise<void>;
}

/**
 * The built server (`dist/src/main.js`, what `npm start` runs) as a child process, as in
 * production: it gets its own CPU time, apart from the load generator.
 */
export async function startServerProcess(options: ServerOptions): Promise<ServerProcess> {
  return startChildServer({
    name: 'the server',
    entry: SERVER_ENTRY,
    environment: {
      // Production mode refuses a cost under 10: a cheaper one (--bcrypt-cost 4) runs in development mode.
      NODE_ENV: options.bcryptCost >= 10 ? 'production' : 'development',
      // Production requires them; no mail is expected in the benchmark's scenarios, and a
      // closed port makes any that comes fail without slowing a request (sending is queued).
      SMTP_URL: 'smtp://127.0.0.1:9',
      APP_ORIGIN: 'http://127.0.0.1:5173',
      REDIS_URL: options.redisUrl,
      SESSION_SECRETS: randomBytes(32).toString('base64url'),
      TOTP_ENCRYPTION_KEY: randomBytes(32).toString('base64url'),
      BCRYPT_COST: String(options.bcryptCost),
      // Every client of the benchmark comes from 127.0.0.1: the line of password checks lets
      // the login storm's 10 logins (and the sign-ups) in, as it would 10 clients' behind one NAT.
      PASSWORD_QUEUE_MAX_PER_IP: '16',
      LOG_LEVEL: 'info',
      ...(options.workers === undefined ? {} : { WEB_CONCURRENCY: String(options.workers) }),
    },
    readiness: { path: '/readyz' },
    logFile: options.logFile,
    cpuProfileDirectory: options.cpuProfileDirectory,
  });
}

export interface ChildServerOptions {
  /** For error messages: "the server", "the bare reference server", … */
  name: string;
  /** The script Node runs. */
  entry: string;
  /** Node options before the entry (e.g. a `-r` loader). */
  nodeArguments?: string[];
  /** Its whole environment besides PATH, HOST and PORT (nothing else is inherited). */
  environment: Record<string, string>;
  /** The request that answers 200 once the server serves (GET when `init` is omitted). */
  readiness: { path: string; init?: RequestInit };
  /** Its stdout and stderr go here. */
  logFile: string;
  /** Directory for `node --cpu-prof` profiles of every process of it; none when omitted. */
  cpuProfileDirectory?: string;
}

/**
 * A Node server as a child process listening on a free loopback port (HOST and PORT in
 * its environment), killed when the benchmark exits, however it exits.
 */
export async function startChildServer(options: ChildServerOptions): Promise<ServerProcess> {
  const port = await freeLoopbackPort();
  const environment = { PATH: process.env.PATH ?? '', ...options.environment, HOST: '127.0.0.1', PORT: String(port) };
  const profiling = options.cpuProfileDirectory ? ['--cpu-prof', `--cpu-prof-dir=${options.cpuProfileDirectory}`] : [];
  const log = createWriteStream(options.logFile, { flags: 'a' });
  await once(log, 'open');
  const child = spawn(process.execPath, [...profiling, ...(options.nodeArguments ?? []), options.entry], {
    cwd: REPOSITORY_ROOT,
    env: environment,
    stdio: ['ignore', log, log],
  });
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  const stop = async () => {
    process.removeListener('exit', killOnExit);
    await stopChild(child);
    log.end();
  };

  const origin = `http://127.0.0.1:${port}`;
  try {
    await waitUntilReady(`${origin}${options.readiness.path}`, options.readiness.init ?? {}, child);
  } catch (error) {
    await stop();
    const logTail = (await readFile(options.logFile, 'utf8').catch(() => '')).split('\n').slice(-15).join('\n');
    throw new Error(`${options.name}: ${(error as Error).message}\n--- its log (${options.logFile}) ---\n${logTail}`);
  }
  return {
    origin,
    graphqlUrl: `${origin}/graphql`,
    cpuMillis: async () => {
      const tree = await processTree(child.pid!);
      return tree && ([...tree.values()].reduce((total, ticks) => total + ticks, 0) * 1000) / CLOCK_TICKS_PER_SECOND;
    },
    processCount: async () => (await processTree(child.pid!))?.size ?? null,
    stop,
  };
}

/** Clock ticks per second of /proc's CPU times (USER_HZ: 100 on every mainstream Linux). */
const CLOCK_TICKS_PER_SECOND = 100;

/** The server's process and its descendants (cluster workers), with the CPU ticks each has used; null off Linux. */
async function processTree(rootPid: number): Promise<Map<number, number> | null> {
  const stats = new Map<number, { parentPid: number; ticks: number }>();
  let entries: string[];
  try {
    entries = (await readdir('/proc')).filter((entry) => /^\d+$/.test(entry));
  } catch {
    return null;
  }
  for (const entry of entries) {
    const stat = await readFile(`/proc/${entry}/stat`, 'utf8').catch(() => null);
    if (!stat) continue;
    // After the command name (which may hold spaces): state, ppid, ...; utime and stime are the 14th and 15th fields.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    stats.set(Number(entry), { parentPid: Number(fields[1]), ticks: Number(fields[11]) + Number(fields[12]) });
  }
  if (!stats.has(rootPid)) return null;
  const tree = new Map([[rootPid, stats.get(rootPid)!.ticks]]);
  for (let grew = true; grew; ) {
    grew = false;
    for (const [pid, stat] of stats) {
      if (!tree.has(pid) && tree.has(stat.parentPid)) {
        tree.set(pid, stat.ticks);
        grew = true;
      }
    }
  }
  return tree;
}

async function waitUntilReady(readyUrl: string, init: RequestInit, child: ChildProcess): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MILLIS;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`it exited at start (${child.exitCode ?? child.signalCode})`);
    try {
      const response = await fetch(readyUrl, { ...init, signal: AbortSignal.timeout(1000) });
      if (response.status === 200) return;
    } catch {
      // Not listening yet.
    }
    await delay(100);
  }
  throw new Error(`not ready within ${READY_TIMEOUT_MILLIS} ms`);
}

/** SIGTERM (the server drains and exits, writing its CPU profiles), then SIGKILL if it hangs. */
async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  const stopped = await Promise.race([exited.then(() => true), delay(STOP_TIMEOUT_MILLIS, false)]);
  if (!stopped) {
    child.kill('SIGKILL');
    await exited;
  }
}
