import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import type { HostAndPort } from '../../src/config';
import { freeLoopbackPort, redisAnswersPing } from './global-setup';

/*
 * Real redis-server processes that a test file starts for itself on free loopback ports
 * (a Cluster, a Sentinel group, a Redis to crash and restart), as opposed to the one
 * shared Redis of the global setup. Each is stopped by the file's afterAll, and killed
 * when the jest worker exits in any case.
 */

const READY_TIMEOUT_MILLIS = 10_000;
const STOP_TIMEOUT_MILLIS = 5000;
const CLUSTER_READY_TIMEOUT_MILLIS = 20_000;

export interface RedisProcess {
  readonly port: number;
  readonly url: string;
  readonly address: HostAndPort;
  /** The working directory (config, AOF, log); removed by `remove()`. */
  readonly directory: string;
  readonly running: boolean;
  /** Starts it again on the same port, with the same configuration and data directory. */
  start(): Promise<void>;
  /** SIGTERM, as an operator's `systemctl stop`; waits for the exit. */
  stop(): Promise<void>;
  /** SIGKILL: a crash, with no chance to write anything more. */
  crash(): Promise<void>;
  /** SIGSTOP / SIGCONT: a server that stalls without closing its connections. */
  pause(): void;
  resume(): void;
  /** A plain client for the test's own checks (not the server's fail-fast client). */
  connect(): Promise<Redis>;
  /** The end of its log, to explain a failure. */
  logTail(lines?: number): Promise<string>;
  /** Stops it (if running) and deletes its directory. */
  remove(): Promise<void>;
}

export interface RedisProcessOptions {
  /** redis.conf lines beyond port, bind, dir and logfile; the port is appended by this helper. */
  config?: string[];
  /** Runs `redis-server --sentinel`. */
  sentinel?: boolean;
  label?: string;
}

/**
 * Starts redis-server (or a sentinel) on a free loopback port, from a config file in a
 * fresh temporary directory. A port can be taken between choosing and binding it, so a
 * server that does not come up is retried on another port.
 */
export async function startRedisProcess(options: RedisProcessOptions = {}): Promise<RedisProcess> {
  const directory = await mkdtemp(join(tmpdir(), `sessionql-${options.label ?? 'redis'}-`));
  for (let attempt = 1; ; attempt++) {
    const port = await freeLoopbackPort();
    const process = new ManagedRedisProcess(port, directory, options);
    try {
      await process.start();
      return process;
    } catch (error) {
      await process.stop();
      if (attempt >= 3) {
        await rm(directory, { recursive: true, force: true });
        throw error;
      }
    }
  }
}

class ManagedRedisProcess implements RedisProcess {
  readonly url: string;
  readonly address: HostAndPort;
  private child: ChildProcess | null = null;
  private readonly killOnExit = () => this.child?.kill('SIGKILL');

  constructor(
    readonly port: number,
    readonly directory: string,
    private readonly options: RedisProcessOptions,
  ) {
    this.url = `redis://127.0.0.1:${port}`;
    this.address = { host: '127.0.0.1', port };
  }

  get running(): boolean {
    return this.child !== null && this.child.exitCode === null && this.child.signalCode === null;
  }

  private get configFile(): string {
    return join(this.directory, 'redis.conf');
  }

  async start(): Promise<void> {
    if (this.running) throw new Error(`redis on port ${this.port} is already running`);
    // Sentinel rewrites its config file; write it only the first time.
    if (!(await readFile(this.configFile, 'utf8').catch(() => null))) {
      const lines = [
        `port ${this.port}`,
        'bind 127.0.0.1',
        `dir ${this.directory}`,
        `logfile ${join(this.directory, 'redis.log')}`,
        ...(this.options.sentinel ? [] : ["save ''"]),
        ...(this.options.config ?? []),
      ];
      await writeFile(this.configFile, `${lines.join('\n')}\n`);
    }
    const args = [this.configFile, ...(this.options.sentinel ? ['--sentinel'] : [])];
    const child = spawn('redis-server', args, { stdio: 'ignore' });
    child.once('error', () => {});
    // Never keep jest alive; never outlive it.
    child.unref();
    process.once('exit', this.killOnExit);
    this.child = child;
    const deadline = Date.now() + READY_TIMEOUT_MILLIS;
    while (Date.now() < deadline && this.running) {
      if (await redisAnswersPing(`redis://127.0.0.1:${this.port}`)) return;
      await delay(25);
    }
    throw new Error(`redis-server did not start on 127.0.0.1:${this.port}:\n${await this.logTail()}`);
  }

  async stop(): Promise<void> {
    await this.signalAndWait('SIGTERM');
  }

  async crash(): Promise<void> {
    await this.signalAndWait('SIGKILL');
  }

  pause(): void {
    this.child?.kill('SIGSTOP');
  }

  resume(): void {
    this.child?.kill('SIGCONT');
  }

  async connect(): Promise<Redis> {
    const client = new Redis(this.port, '127.0.0.1', {
      lazyConnect: true,
      maxRetriesPerRequest: 1,
      connectTimeout: 2000,
      commandTimeout: 5000,
      retryStrategy: () => null,
    });
    client.on('error', () => {});
    await client.connect();
    return client;
  }

  async logTail(lines = 15): Promise<string> {
    const log = await readFile(join(this.directory, 'redis.log'), 'utf8').catch(() => '(no log)');
    return log.trimEnd().split('\n').slice(-lines).join('\n');
  }

  async remove(): Promise<void> {
    await this.stop();
    await rm(this.directory, { recursive: true, force: true });
  }

  private async signalAndWait(signal: NodeJS.Signals): Promise<void> {
    const child = this.child;
    if (!child || !this.running) return;
    child.ref();
    const exited = once(child, 'exit');
    // A paused process would not act on SIGTERM.
    child.kill('SIGCONT');
    child.kill(signal);
    const stopped = await Promise.race([exited.then(() => true), delay(STOP_TIMEOUT_MILLIS, false, { ref: false })]);
    if (!stopped) {
      child.kill('SIGKILL');
      await exited;
    }
    process.removeListener('exit', this.killOnExit);
  }
}

export interface RedisClusterProcesses {
  /** Seed nodes, as REDIS_CLUSTER_NODES lists them. */
  readonly nodes: HostAndPort[];
  readonly masters: RedisProcess[];
  stop(): Promise<void>;
}

/**
 * A Redis Cluster of `masters` masters and no replicas, made the way an operator makes one:
 * `cluster-enabled yes` servers joined by `redis-cli --cluster create`. The cluster bus
 * gets its own free port (`cluster-port`) rather than port + 10000, which may not exist.
 */
export async function startRedisCluster(masters = 3): Promise<RedisClusterProcesses> {
  const started: RedisProcess[] = [];
  try {
    for (let i = 0; i < masters; i++) {
      started.push(
        await startRedisProcess({
          label: `cluster${i}`,
          config: ['cluster-enabled yes', 'cluster-config-file nodes.conf', 'cluster-node-timeout 5000', `cluster-port ${await freeLoopbackPort()}`],
        }),
      );
    }
    const addresses = started.map((node) => `127.0.0.1:${node.port}`);
    await promisify(execFile)('redis-cli', ['--cluster', 'create', ...addresses, '--cluster-replicas', '0', '--cluster-yes'], {
      timeout: CLUSTER_READY_TIMEOUT_MILLIS,
    });
    await waitForClusterOk(started);
  } catch (error) {
    await Promise.all(started.map((node) => node.remove()));
    throw error;
  }
  return {
    nodes: started.map((node) => node.address),
    masters: started,
    stop: async () => {
      await Promise.all(started.map((node) => node.remove()));
    },
  };
}

/** Every node says cluster_state:ok and knows every other node. */
async function waitForClusterOk(nodes: RedisProcess[]): Promise<void> {
  const clients = await Promise.all(nodes.map((node) => node.connect()));
  try {
    const deadline = Date.now() + CLUSTER_READY_TIMEOUT_MILLIS;
    while (Date.now() < deadline) {
      const infos = await Promise.all(clients.map((client) => client.cluster('INFO') as Promise<string>));
      const ok = infos.every(
        (info) => /cluster_state:ok/.test(info) && new RegExp(`cluster_known_nodes:${nodes.length}\\b`).test(info) && /cluster_slots_ok:16384/.test(info),
      );
      if (ok) return;
      await delay(50);
    }
    throw new Error(`the Redis Cluster did not reach cluster_state:ok:\n${await nodes[0]!.logTail()}`);
  } finally {
    for (const client of clients) client.disconnect();
  }
}

/**
 * Starts a 3-master cluster before the file's tests and stops it after them; the nodes are
 * available once `beforeAll` has run. Call it at the top level of a test file or describe.
 */
export function useRedisCluster(): { readonly nodes: HostAndPort[]; readonly processes: RedisClusterProcesses } {
  let cluster: RedisClusterProcesses | undefined;
  beforeAll(async () => {
    cluster = await startRedisCluster(3);
  }, CLUSTER_READY_TIMEOUT_MILLIS + 10_000);
  afterAll(async () => {
    await cluster?.stop();
  });
  return {
    get nodes() {
      if (!cluster) throw new Error('the Redis Cluster is not started yet: use it in beforeAll or a test');
      return cluster.nodes;
    },
    get processes() {
      if (!cluster) throw new Error('the Redis Cluster is not started yet: use it in beforeAll or a test');
      return cluster;
    },
  };
}
