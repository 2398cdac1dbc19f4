import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import type { Redis } from 'ioredis';
import { TEST_SECRET, TEST_TOTP_KEY } from './harness';
import { freeLoopbackPort } from './global-setup';
import { connectTestRedis, deleteKeysWithPrefix, testRedisUrl, uniqueKeyPrefix } from './redis';
import { startTestSmtpServer, type TestSmtpServer } from './smtp-server';

const ROOT = join(__dirname, '..', '..');
const READY_TIMEOUT_MILLIS = 30_000;
const STOP_TIMEOUT_MILLIS = 20_000;

export type LogLine = Record<string, unknown> & { msg?: string };

export interface ServerProcess {
  readonly port: number;
  readonly url: string;
  readonly graphqlUrl: string;
  readonly pid: number;
  /** Every JSON line it logged so far (pino's output on stdout). */
  readonly logs: LogLine[];
  /** Resolves with the first log line (from now on or already logged) that matches. */
  waitForLog(matches: (line: LogLine) => boolean, what: string, timeoutMillis?: number): Promise<LogLine>;
  /** How it exited; resolves once it has, and everything it wrote has been read. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  signal(signal: NodeJS.Signals): void;
  /** SIGTERM, then SIGKILL if it lingers; always safe to call. */
  stop(): Promise<void>;
  /** The SMTP server its mail goes to (production mode without an SMTP_URL of the test's own); null otherwise. */
  readonly mailbox: TestSmtpServer | null;
}

/** How users run the server: production (the default here), or development on a laptop. */
export type ServerMode = 'production' | 'development';

const MODE_ENVIRONMENT: Record<ServerMode, Record<string, string>> = {
  // The lowest cost production accepts; the suite's own hashing stays affordable. Production
  // also needs where links in mails point (and an SMTP server: see startServerProcess).
  production: { NODE_ENV: 'production', BCRYPT_COST: '10', APP_ORIGIN: 'http://127.0.0.1:5173' },
  development: { NODE_ENV: 'development', BCRYPT_COST: '4' },
};

export type ServerProcessOptions = { listening?: number; mode?: ServerMode };

/**
 * For a describe block whose server processes share the run's Redis under one key prefix
 * (named after `name`): each is started with the test's environment over REDIS_URL and the
 * prefix; after the block every one is stopped and the prefix's keys are deleted.
 */
export function serverProcessesOnTestRedis(name: string): (env?: Record<string, string>, options?: ServerProcessOptions) => Promise<ServerProcess> {
  const keyPrefix = uniqueKeyPrefix(name);
  const started: ServerProcess[] = [];
  let redis: Redis | undefined;
  beforeAll(async () => {
    redis = await connectTestRedis();
  });
  afterAll(async () => {
    await Promise.all(started.map((server) => server.stop()));
    if (!redis) return;
    await deleteKeysWithPrefix(redis, keyPrefix);
    redis.disconnect();
  });
  return async (env = {}, options = {}) => {
    const server = await startServerProcess({ REDIS_URL: testRedisUrl(), REDIS_KEY_PREFIX: keyPrefix, ...env }, options);
    started.push(server);
    return server;
  };
}

/**
 * The server as an operator runs it, in a process of its own: `node src/main.ts` (compiled
 * on the fly by @swc-node/register, as `npm run cli` is in the CLI tests) with
 * NODE_ENV=production (or `mode`) and the given environment on a free loopback port, never
 * NODE_ENV=test. Resolves once `listening` processes said they listen.
 */
export async function startServerProcess(env: Record<string, string>, options: ServerProcessOptions = {}): Promise<ServerProcess> {
  const port = await freeLoopbackPort();
  const mode = options.mode ?? 'production';
  // Production sends mail (and refuses to start without SMTP_URL): a real SMTP server takes it.
  const mailbox = mode === 'production' && env.SMTP_URL === undefined ? await startTestSmtpServer() : null;
  const child = spawn(process.execPath, ['-r', '@swc-node/register', 'src/main.ts'], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH ?? '',
      ...MODE_ENVIRONMENT[mode],
      ...(mailbox ? { SMTP_URL: mailbox.url } : {}),
      HOST: '127.0.0.1',
      PORT: String(port),
      SESSION_SECRETS: TEST_SECRET,
      TOTP_ENCRYPTION_KEY: TEST_TOTP_KEY,
      LOG_LEVEL: 'info',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const server = new ChildServerProcess(child, port, mailbox);
  try {
    const listening = options.listening ?? 1;
    await server.waitForLog(() => server.logs.filter((line) => line.msg === 'sessionql listening').length >= listening, `${listening} × "sessionql listening"`, READY_TIMEOUT_MILLIS);
  } catch (error) {
    await server.stop();
    throw error;
  }
  return server;
}

class ChildServerProcess implements ServerProcess {
  readonly url: string;
  readonly graphqlUrl: string;
  readonly logs: LogLine[] = [];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private stderr = '';
  private closed = false;
  private readonly waiters = new Set<() => void>();
  private readonly killOnExit = () => this.child.kill('SIGKILL');

  constructor(
    private readonly child: ChildProcess,
    readonly port: number,
    readonly mailbox: TestSmtpServer | null,
  ) {
    this.url = `http://127.0.0.1:${port}`;
    this.graphqlUrl = `${this.url}/graphql`;
    process.once('exit', this.killOnExit);
    // 'close', not 'exit': a process can have exited while its last lines are still in the pipe.
    this.exited = once(child, 'close').then(async ([code, signal]) => {
      this.closed = true;
      process.removeListener('exit', this.killOnExit);
      await mailbox?.close();
      this.notify();
      return { code: code as number | null, signal: signal as NodeJS.Signals | null };
    });
    let pending = '';
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      pending += chunk;
      const lines = pending.split('\n');
      pending = lines.pop()!;
      for (const line of lines) {
        try {
          this.logs.push(JSON.parse(line) as LogLine);
        } catch {
          this.logs.push({ msg: line });
        }
      }
      this.notify();
    });
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
      this.stderr += chunk;
    });
  }

  get pid(): number {
    return this.child.pid!;
  }

  async waitForLog(matches: (line: LogLine) => boolean, what: string, timeoutMillis = READY_TIMEOUT_MILLIS): Promise<LogLine> {
    const deadline = Date.now() + timeoutMillis;
    for (;;) {
      const found = this.logs.find(matches);
      if (found) return found;
      const running = !this.closed;
      if (!running || Date.now() > deadline) {
        throw new Error(`server process ${running ? 'never logged' : 'exited before logging'} ${what}:\n${this.tail()}`);
      }
      await new Promise<void>((resolve) => {
        const wake = () => {
          clearTimeout(timer);
          this.waiters.delete(wake);
          resolve();
        };
        const timer = setTimeout(wake, Math.max(0, deadline - Date.now()));
        this.waiters.add(wake);
      });
    }
  }

  signal(signal: NodeJS.Signals): void {
    this.child.kill(signal);
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.child.kill('SIGTERM');
    const stopped = await Promise.race([this.exited.then(() => true), delay(STOP_TIMEOUT_MILLIS, false, { ref: false })]);
    if (!stopped) {
      this.child.kill('SIGKILL');
      await this.exited;
    }
  }

  private notify(): void {
    for (const wake of [...this.waiters]) wake();
  }

  private tail(): string {
    const logged = this.logs.slice(-10).map((line) => JSON.stringify(line));
    return [...logged, this.stderr.trim().split('\n').slice(-10).join('\n')].join('\n');
  }
}
