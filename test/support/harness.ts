import type { AddressInfo } from 'node:net';
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { print } from 'graphql';
import pino, { type Logger } from 'pino';
import { CookieJar } from 'tough-cookie';
import { createApp, type App } from '../../src/app';
import { cliServices, runCli } from '../../src/cli';
import { loadConfig, type Config, type HostAndPort } from '../../src/config';
import { ManualClock, type Clock } from '../../src/shared/clock';
import { createMemoryStore } from '../../src/storage/memory/memory-store';
import { openStore } from '../../src/storage/open-store';
import type { RedisClient } from '../../src/storage/redis/redis-client';
import { createRedisStore } from '../../src/storage/redis/redis-store';
import type { Store } from '../../src/storage/store';
import { connectTestRedis, deleteKeysWithPrefix, uniqueKeyPrefix } from './redis';
import { startTestSmtpServer, type TestSmtpServer } from './smtp-server';

export const TEST_SECRET = 'test-secret-0123456789-abcdefghijklmnop';
/** TOTP_ENCRYPTION_KEY of the test servers. */
export const TEST_TOTP_KEY = 'test-totp-key-0123456789-abcdefghijklmn';
/** Where links in the test servers' mails point. */
export const TEST_APP_ORIGIN = 'http://127.0.0.1:5173';

/**
 * `redis`: the run's shared Redis (test/support/global-setup.ts); `memory`: the in-process
 * store; `cluster`: the Redis Cluster at `clusterNodes` (see useRedisCluster);
 * `configured`: whatever the REDIS_* variables in `env` name. The last two open the store
 * exactly as main.ts does (openStore), with the production client and its options.
 */
export type StoreKind = 'redis' | 'memory' | 'cluster' | 'configured';

export interface TestServerOptions {
  store?: StoreKind;
  /** The seed nodes for `store: 'cluster'`. */
  clusterNodes?: readonly HostAndPort[];
  /** Extra environment variables for loadConfig (strings, as in a real environment). */
  env?: Record<string, string>;
  clock?: Clock;
  /** Reuse another server's Redis keyspace (e.g. to restart with other secrets). */
  keyPrefix?: string;
  /** Replace parts of the store, e.g. to simulate failures. */
  wrapStore?: (store: Store) => Store;
  /** Where the app logs (silent by default). */
  logger?: Logger;
  /** Send mail to a real SMTP server of the test's own (server.mailbox); by default mail is only logged (development without SMTP_URL). */
  smtp?: boolean;
}

export interface TestServer {
  url: string;
  graphqlUrl: string;
  app: App;
  config: Config;
  store: Store;
  clock: ManualClock | Clock;
  /** A Redis client on the store's keyspace, and the key prefix (Redis stores only). */
  redis: RedisClient | null;
  keyPrefix: string;
  /** The SMTP server mail goes to (with `smtp: true`); null otherwise. */
  mailbox: TestSmtpServer | null;
  client(options?: ClientOptions): TestClient;
  /** Runs an admin command (`npm run cli -- …`) against this server's store, as an operator would. */
  cli(...args: string[]): Promise<{ code: number; output: string }>;
  close(): Promise<void>;
}

const silentLogger = pino({ level: 'silent' });

function storeEnvironment(kind: StoreKind, clusterNodes: readonly HostAndPort[] | undefined, keyPrefix: string): Record<string, string> {
  if (kind === 'cluster') {
    if (!clusterNodes?.length) throw new Error("store 'cluster' needs clusterNodes (see useRedisCluster)");
    return { REDIS_CLUSTER_NODES: clusterNodes.map(({ host, port }) => `${host}:${port}`).join(','), REDIS_KEY_PREFIX: keyPrefix };
  }
  return kind === 'configured' ? { REDIS_KEY_PREFIX: keyPrefix } : {};
}

/**
 * For a describe block that starts servers as its tests need them: each is started with
 * `defaults` under the test's options (env merged) and closed, last first, after the block.
 */
export function serversClosedAfterAll(defaults: TestServerOptions = {}): (options?: TestServerOptions) => Promise<TestServer> {
  const servers: TestServer[] = [];
  afterAll(async () => {
    for (const server of servers.reverse()) await server.close();
  });
  return async (options = {}) => {
    const server = await startTestServer({ ...defaults, ...options, env: { ...defaults.env, ...options.env } });
    servers.push(server);
    return server;
  };
}

/** Starts the real app on a free loopback port, on a real Redis (default) or the in-process store. */
export async function startTestServer(options: TestServerOptions = {}): Promise<TestServer> {
  const kind = options.store ?? 'redis';
  const keyPrefix = options.keyPrefix ?? uniqueKeyPrefix('http');
  const storeEnv = storeEnvironment(kind, options.clusterNodes, keyPrefix);
  const mailbox = options.smtp ? await startTestSmtpServer() : null;
  const mailEnv = mailbox ? { SMTP_URL: mailbox.url, APP_ORIGIN: TEST_APP_ORIGIN } : {};
  const config = loadConfig({ NODE_ENV: 'development', SESSION_SECRETS: TEST_SECRET, TOTP_ENCRYPTION_KEY: TEST_TOTP_KEY, BCRYPT_COST: '4', ...storeEnv, ...mailEnv, ...options.env });
  const clock = options.clock ?? new ManualClock();
  let redis: RedisClient | null = null;
  let store: Store;
  let closeStore = async () => {};
  if (kind === 'cluster' || kind === 'configured') {
    const opened = await openStore(config, clock, options.logger ?? silentLogger);
    if (!opened.redis) throw new Error(`store '${kind}' needs REDIS_URL, REDIS_CLUSTER_NODES or REDIS_SENTINELS`);
    redis = opened.redis;
    store = opened.store;
    const ownedPrefix = options.keyPrefix === undefined;
    closeStore = async () => {
      // A test may have left this Redis down on purpose: cleaning up is then not possible.
      if (ownedPrefix) await deleteKeysWithPrefix(opened.redis!, keyPrefix).catch(() => 0);
      await opened.close();
    };
  } else if (kind === 'redis') {
    const ownRedis = await connectTestRedis();
    redis = ownRedis;
    store = createRedisStore({ redis: ownRedis, clock, keyPrefix });
    const ownedPrefix = options.keyPrefix === undefined;
    closeStore = async () => {
      if (ownedPrefix) await deleteKeysWithPrefix(ownRedis, keyPrefix);
      ownRedis.disconnect();
    };
  } else {
    const memory = createMemoryStore({ clock });
    store = memory;
    closeStore = async () => memory.close();
  }
  if (options.wrapStore) store = options.wrapStore(store);

  const app = await createApp(config, { store, clock, ...(options.logger ? { logger: options.logger } : {}) });
  await new Promise<void>((resolve) => app.httpServer.listen(0, '127.0.0.1', resolve));
  const { port } = app.httpServer.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}`;
  return {
    url,
    graphqlUrl: `${url}/graphql`,
    app,
    config,
    store,
    clock,
    redis,
    keyPrefix,
    mailbox,
    client: (clientOptions) => new TestClient(`${url}/graphql`, clientOptions),
    cli: async (...args) => {
      let output = '';
      const write = (text: string) => {
        output += text;
      };
      const code = await runCli(args, {
        openStore: async () => ({ ...cliServices(config, store, silentLogger, clock), logger: silentLogger, close: async () => {} }),
        stdout: write,
        stderr: write,
      });
      return { code, output };
    },
    close: async () => {
      await app.stop();
      await closeStore();
      await mailbox?.close();
    },
  };
}

export interface ClientOptions {
  /** Keep cookies like a browser (default true). */
  cookies?: boolean;
  bearerToken?: string;
  headers?: Record<string, string>;
}

export interface GraphQLResponse<TData> {
  status: number;
  headers: Headers;
  setCookies: string[];
  data: TData | null | undefined;
  errors: Array<{ message: string; path?: string[]; extensions?: Record<string, unknown> }> | undefined;
  body: string;
}

/** A GraphQL client over real HTTP with an optional cookie jar, like a browser or an app. */
export class TestClient {
  readonly jar: CookieJar | null;
  bearerToken: string | undefined;

  constructor(
    readonly graphqlUrl: string,
    private readonly options: ClientOptions = {},
  ) {
    this.jar = options.cookies === false ? null : new CookieJar();
    this.bearerToken = options.bearerToken;
  }

  async request<TData, TVariables>(
    document: TypedDocumentNode<TData, TVariables>,
    ...[variables, headers]: TVariables extends Record<string, never>
      ? [variables?: TVariables, headers?: Record<string, string>]
      : [variables: TVariables, headers?: Record<string, string>]
  ): Promise<GraphQLResponse<TData>> {
    return this.post<TData>({ query: print(document), variables: variables ?? {} }, headers);
  }

  /** Sends any JSON body (for hostile or hand-written requests). */
  async post<TData = unknown>(body: unknown, headers: Record<string, string> = {}): Promise<GraphQLResponse<TData>> {
    return this.send<TData>('POST', this.graphqlUrl, { 'content-type': 'application/json', ...headers }, JSON.stringify(body));
  }

  async send<TData = unknown>(
    method: string,
    url: string,
    headers: Record<string, string>,
    body?: string,
  ): Promise<GraphQLResponse<TData>> {
    const requestHeaders: Record<string, string> = { ...this.options.headers, ...headers };
    if (this.bearerToken && !('authorization' in requestHeaders)) requestHeaders.authorization = `Bearer ${this.bearerToken}`;
    const cookie = this.jar ? await this.jar.getCookieString(url) : '';
    if (cookie && !('cookie' in requestHeaders)) requestHeaders.cookie = cookie;
    const response = await fetch(url, { method, headers: requestHeaders, ...(body === undefined ? {} : { body }) });
    const setCookies = response.headers.getSetCookie();
    if (this.jar) for (const setCookie of setCookies) await this.jar.setCookie(setCookie, url);
    const text = await response.text();
    let parsed: { data?: TData | null; errors?: GraphQLResponse<TData>['errors'] } = {};
    try {
      parsed = JSON.parse(text) as typeof parsed;
    } catch {
      parsed = {};
    }
    return { status: response.status, headers: response.headers, setCookies, data: parsed.data, errors: parsed.errors, body: text };
  }

  /** The session cookie's value in the jar, if any. */
  async sessionCookieValue(name = 'sid'): Promise<string | undefined> {
    const cookies = (await this.jar?.getCookies(this.graphqlUrl)) ?? [];
    return cookies.find((cookie) => cookie.key === name)?.value;
  }
}

/** The error codes of a response, in order. */
export function errorCodes(response: { errors?: Array<{ extensions?: Record<string, unknown> }> | undefined }): unknown[] {
  return (response.errors ?? []).map((error) => error.extensions?.code);
}

let emailCounter = 0;
export function uniqueEmail(label = 'user'): string {
  emailCounter += 1;
  return `${label}-${process.pid}-${Date.now()}-${emailCounter}@example.com`;
}

export const PASSWORD = 'correct horse battery';
