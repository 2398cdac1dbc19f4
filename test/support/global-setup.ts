import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { constants as fsConstants } from 'node:fs';
import { access, mkdtemp, readFile, rm } from 'node:fs/promises';
import { request, type RequestOptions } from 'node:http';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { buildGraphiQL } from '../../scripts/build-graphiql';

/**
 * The Redis that this test run uses, kept on globalThis between the global setup and the
 * global teardown (both run in jest's main process). Workers only see its URL, through
 * process.env.REDIS_URL_FOR_TESTS.
 */
export interface TestRedis {
  source: 'testcontainers' | 'REDIS_URL' | 'redis-server';
  url: string;
  stop(): Promise<void>;
}

declare global {
  var sessionqlTestRedis: TestRedis | undefined;
}

const DOCKER_PING_TIMEOUT_MILLIS = 1000;
const REDIS_READY_TIMEOUT_MILLIS = 10_000;
const REDIS_STOP_TIMEOUT_MILLIS = 3000;
const NO_REDIS_MESSAGE =
  'No Redis for tests: install redis-server (apt-get install -y redis-server), start Docker, or set REDIS_URL';

/**
 * Provisions one Redis for the whole run, in this order: a container when a Docker engine
 * answers, REDIS_URL when set, a private redis-server on a free loopback port. Never the
 * Redis that may already listen on 6379: tests must not touch data they do not own.
 *
 * Registered on the integration project (jest.config.ts): jest runs a project's global
 * setup only when that project has tests in the run, and a given file only once, so
 * unit-only runs need no Redis at all.
 */
export default async function globalSetup(): Promise<void> {
  // The test servers run src/ and serve GraphiQL from dist/graphiql, as built for `npm start`.
  buildGraphiQL();
  const testRedis = await provisionRedis();
  globalThis.sessionqlTestRedis = testRedis;
  process.env.REDIS_URL_FOR_TESTS = testRedis.url;
  console.log(`\n[test redis] ${testRedis.source}: ${redactUrl(testRedis.url)}`);
}

async function provisionRedis(): Promise<TestRedis> {
  if (await dockerAnswers()) return startRedisContainer();

  const redisUrl = process.env.REDIS_URL?.trim();
  if (redisUrl) {
    if (!(await waitUntilRedisAnswers(redisUrl, { timeoutMillis: 3000 }))) {
      throw oneLineError(`REDIS_URL (${redactUrl(redisUrl)}) does not answer PING`);
    }
    return { source: 'REDIS_URL', url: redisUrl, stop: async () => {} };
  }

  const redisServer = await findOnPath('redis-server');
  if (redisServer) return startRedisServer(redisServer);

  throw oneLineError(NO_REDIS_MESSAGE);
}

/** An error that jest prints as its message alone: the stack of the setup would only hide it. */
function oneLineError(message: string): Error {
  const error = new Error(message);
  error.stack = message;
  return error;
}

/**
 * A Docker socket can exist and never answer (a stopped Docker Desktop, a stale mount);
 * testcontainers would then wait forever, so ask the engine's /_ping first, briefly.
 */
async function dockerAnswers(): Promise<boolean> {
  const endpoint = dockerEndpoint();
  if (!endpoint) return false;
  return new Promise((resolve) => {
    const ping = request({ ...endpoint, path: '/_ping', method: 'GET', signal: AbortSignal.timeout(DOCKER_PING_TIMEOUT_MILLIS) }, (response) => {
      response.resume();
      resolve(response.statusCode === 200);
    });
    ping.on('error', () => resolve(false));
    ping.end();
  });
}

function dockerEndpoint(): RequestOptions | null {
  const dockerHost = process.env.DOCKER_HOST?.trim();
  if (!dockerHost) return { socketPath: '/var/run/docker.sock' };
  if (dockerHost.startsWith('unix://')) return { socketPath: dockerHost.slice('unix://'.length) };
  if (dockerHost.startsWith('tcp://')) {
    const url = new URL(dockerHost.replace(/^tcp:/, 'http:'));
    return { host: url.hostname, port: Number(url.port || 2375) };
  }
  return null;
}

async function startRedisContainer(): Promise<TestRedis> {
  // Loaded only when Docker answers: testcontainers takes ~300 ms to load.
  const { RedisContainer } = await import('@testcontainers/redis');
  const container = await new RedisContainer('redis:7-alpine').start();
  return {
    source: 'testcontainers',
    url: container.getConnectionUrl(),
    stop: async () => {
      await container.stop();
    },
  };
}

export async function findOnPath(executable: string): Promise<string | null> {
  for (const directory of (process.env.PATH ?? '').split(delimiter)) {
    if (!directory) continue;
    const candidate = join(directory, executable);
    try {
      await access(candidate, fsConstants.X_OK);
      return candidate;
    } catch {
      // Not in this directory.
    }
  }
  return null;
}

/**
 * Starts redis-server on a free loopback port, without persistence, in a temporary
 * directory. The port is free when chosen but could be taken before Redis binds it, so a
 * server that exits at once is retried on another port.
 */
export async function startRedisServer(executable: string): Promise<TestRedis> {
  const directory = await mkdtemp(join(tmpdir(), 'sessionql-test-redis-'));
  const logFile = join(directory, 'redis.log');
  try {
    for (let attempt = 1; ; attempt++) {
      const port = await freeLoopbackPort();
      const server = spawn(
        executable,
        ['--save', '', '--appendonly', 'no', '--bind', '127.0.0.1', '--port', String(port), '--dir', directory, '--logfile', logFile],
        { stdio: 'ignore' },
      );
      // Never keep jest alive, and never outlive it even when the teardown does not run.
      server.unref();
      const killOnExit = () => server.kill('SIGKILL');
      process.once('exit', killOnExit);

      let exited = false;
      server.once('exit', () => {
        exited = true;
      });
      server.once('error', () => {
        exited = true;
      });

      const url = `redis://127.0.0.1:${port}`;
      if (await waitUntilRedisAnswers(url, { timeoutMillis: REDIS_READY_TIMEOUT_MILLIS, gaveUp: () => exited })) {
        return {
          source: 'redis-server',
          url,
          stop: async () => {
            process.removeListener('exit', killOnExit);
            await stopProcess(server);
            await rm(directory, { recursive: true, force: true });
          },
        };
      }

      await stopProcess(server);
      process.removeListener('exit', killOnExit);
      if (attempt >= 3) {
        const log = await readFile(logFile, 'utf8').catch(() => '');
        throw new Error(`redis-server did not start on 127.0.0.1:${port}:\n${log.split('\n').slice(-10).join('\n')}`);
      }
    }
  } catch (error) {
    await rm(directory, { recursive: true, force: true });
    throw error;
  }
}

async function stopProcess(child: ReturnType<typeof spawn>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  // Referenced again while stopping, so that the process waits for the exit it asked for.
  child.ref();
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  // An unref'd timer: a pending ref'd one would hold jest open for its full length.
  const stopped = await Promise.race([exited.then(() => true), delay(REDIS_STOP_TIMEOUT_MILLIS, false, { ref: false })]);
  if (!stopped) {
    child.kill('SIGKILL');
    await exited;
  }
}

/** A port on 127.0.0.1 that nothing listens on right now. */
export function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

async function waitUntilRedisAnswers(
  url: string,
  options: { timeoutMillis: number; gaveUp?: () => boolean },
): Promise<boolean> {
  const deadline = Date.now() + options.timeoutMillis;
  while (Date.now() < deadline && !options.gaveUp?.()) {
    if (await redisAnswersPing(url)) return true;
    await delay(25);
  }
  return false;
}

/** True when a Redis at `url` answers PING within about half a second; never throws. */
export async function redisAnswersPing(url: string): Promise<boolean> {
  const client = new Redis(url, {
    lazyConnect: true,
    retryStrategy: () => null,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    connectTimeout: 500,
    commandTimeout: 500,
    // ioredis otherwise keeps a 2 s timer after disconnecting a socket that never opened,
    // and that timer holds jest open after the run.
    disconnectTimeout: 100,
  });
  client.on('error', () => {});
  try {
    await client.connect();
    return (await client.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    client.disconnect();
  }
}

function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(unparsable URL)';
  }
}
