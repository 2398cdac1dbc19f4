import { randomBytes } from 'node:crypto';
import { isIP } from 'node:net';
import { z } from 'zod';
import { parseEmail } from './auth/credentials-policy';
import { readSecretFiles, readTextFile, type ReadTextFile } from './secret-files';
import { parseDurationSeconds } from './shared/duration';

export type Environment = 'development' | 'production' | 'test';

export interface HostAndPort {
  host: string;
  port: number;
}

/** A Redis to keep the store in: standalone, a Cluster, or a master found through Sentinel. */
export type RedisStoreConfig =
  | { kind: 'redis'; url: string }
  | { kind: 'cluster'; nodes: HostAndPort[]; credentialsUrl?: string }
  | { kind: 'sentinel'; sentinels: HostAndPort[]; masterName: string; credentialsUrl?: string };

/** Where sessions and users live; `memory` keeps them in this process only. */
export type StoreConfig = { kind: 'memory' } | RedisStoreConfig;

/** Express's `trust proxy` setting: off, on, a hop count, or a list of trusted addresses. */
export type TrustProxySetting = boolean | number | string[];

export interface Config {
  environment: Environment;
  http: {
    port: number;
    host: string;
    trustProxy: TrustProxySetting;
    corsOrigins: string[];
    graphiqlEnabled: boolean;
  };
  store: StoreConfig;
  /** Prefix of every Redis key, so several deployments can share one Redis. */
  redisKeyPrefix: string;
  session: {
    /** The first signs new tokens; every one verifies. */
    secrets: string[];
    /** True when no SESSION_SECRETS was given and a random one was made for this process. */
    secretsGenerated: boolean;
    idleTtlSeconds: number;
    absoluteTtlSeconds: number;
    maxSessionsPerUser: number;
    cookieSecure: boolean;
    /** STEP_UP_MAX_AGE: how recent authenticatedAt must be for the operations that need a fresh authentication. */
    stepUpMaxAgeSeconds: number;
  };
  twoFactor: {
    /**
     * TOTP_ENCRYPTION_KEY: TOTP secrets are stored encrypted with a key derived from it. With
     * the in-process store and none given, a random one (the secrets die with the store
     * anyway); null with a Redis store and none given: nobody can turn two-factor on.
     */
    encryptionKey: string | null;
  };
  passwords: {
    bcryptCost: number;
    /** The bounded line of password checks in each process (auth/password-check-admission.ts). */
    queue: { maxQueued: number; maxPerClient: number; maxPerAccount: number };
  };
  throttling: {
    maxConsecutiveFailures: number;
    maxFailuresPerEmailHour: number;
    maxFailuresPerIpDay: number;
    maxSignUpsPerIpHour: number;
  };
  /** Operations past these are refused with GRAPHQL_VALIDATION_FAILED before any resolver runs. */
  graphqlLimits: { maxDepth: number; maxAliases: number; maxCost: number };
  /** With a token, GET /metrics answers only `Authorization: Bearer <token>`. */
  metrics: { token: string | null };
  /**
   * ADMIN_EMAILS, as typed: a user who signs up with one of these addresses is made ADMIN at
   * sign-up (compared as logins compare addresses). The way to a first admin on the in-process store.
   */
  adminEmails: string[];
  /** Outgoing mail: account lifecycle links (reset, verification, email change) and security notices. */
  mail: {
    /** SMTP_URL (smtp:// or smtps://, credentials in the URL). Null when unset (never in production): mails are then logged, not sent. */
    smtpUrl: string | null;
    /** MAIL_FROM: the From header of every mail. */
    from: string;
    /** APP_ORIGIN: the SPA's origin, which every link in a mail points to (`${appOrigin}/reset-password?token=…`). */
    appOrigin: string;
    /** True when APP_ORIGIN was not set and the development default is used. */
    appOriginDefaulted: boolean;
  };
  /** How the server runs: how many worker processes share the port, and how SIGTERM ends them. */
  runtime: {
    /** WEB_CONCURRENCY: 1 runs the server in this process; more fork workers with node:cluster. */
    workers: number;
    /** How long SIGTERM lets in-flight requests finish before closing their connections. */
    shutdownGraceMillis: number;
  };
  logLevel: string;
}

/** Every problem with the environment at once, one per variable, never echoing secret values. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(readonly problems: string[]) {
    super(`invalid configuration: ${problems.join('; ')}`);
  }
}

const MIN_SECRET_LENGTH = 32;
const MIN_METRICS_TOKEN_LENGTH = 16;
const TRUST_PROXY_NAMES = new Set(['loopback', 'linklocal', 'uniquelocal']);
/**
 * Where mail links point when APP_ORIGIN is not set (development and tests only): the origin
 * the README serves the example SPA from, so that a link from the log opens on the same host.
 */
export const DEVELOPMENT_APP_ORIGIN = 'http://127.0.0.1:5173';
export const DEFAULT_MAIL_FROM = 'sessionql <no-reply@localhost>';
const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

type Ctx = z.core.$RefinementCtx<string | undefined>;

function fail(ctx: Ctx, value: string | undefined, message: string): never {
  ctx.issues.push({ code: 'custom', message, input: value });
  return z.NEVER as never;
}

/** An optional variable: empty counts as unset. */
function variable<T>(parse: (value: string, ctx: Ctx) => T) {
  return z
    .string()
    .optional()
    .transform((raw, ctx): T | undefined => {
      const value = raw?.trim();
      return value ? parse(value, ctx) : undefined;
    });
}

function integerIn(min: number, max: number) {
  return variable((value, ctx) => {
    const number = Number(value);
    if (!/^\d+$/.test(value) || number < min || number > max) {
      return fail(ctx, value, `must be a whole number from ${min} to ${max} (got "${value}")`);
    }
    return number;
  });
}

const boolean = variable((value, ctx) => {
  const normalized = value.toLowerCase();
  if (['true', '1', 'yes', 'on'].includes(normalized)) return true;
  if (['false', '0', 'no', 'off'].includes(normalized)) return false;
  return fail(ctx, value, `must be true or false (got "${value}")`);
});

const duration = variable((value, ctx) => {
  const seconds = parseDurationSeconds(value);
  return seconds ?? fail(ctx, value, `must be a duration like 90s, 15m, 12h or 7d (got "${value}")`);
});

const hostAndPortList = variable((value, ctx) => {
  const entries = value.split(',').map((entry) => entry.trim());
  const parsed: HostAndPort[] = [];
  for (const entry of entries) {
    const match = /^(\[[^\]]+\]|[^:\s]+):(\d{1,5})$/.exec(entry);
    const port = Number(match?.[2]);
    if (!match || port < 1 || port > 65_535) {
      return fail(ctx, value, `must be a comma-separated list of host:port (bad entry "${entry}")`);
    }
    parsed.push({ host: match[1]!.replace(/^\[|\]$/g, ''), port });
  }
  return parsed;
});

const redisUrl = variable((value, ctx) => {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return fail(ctx, undefined, 'must be a redis:// or rediss:// URL');
  }
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:') {
    return fail(ctx, undefined, `must use redis:// or rediss:// (got ${url.protocol}//)`);
  }
  if (!url.hostname) return fail(ctx, undefined, 'must name a host');
  const database = url.pathname.replace(/^\//, '');
  if (database !== '' && !/^\d{1,2}$/.test(database)) {
    return fail(ctx, undefined, `must have a numeric database in its path (got "/${database}")`);
  }
  return value;
});

const secretList = variable((value, ctx) => {
  const secrets = value.split(',').map((secret) => secret.trim());
  const short = secrets.filter((secret) => secret.length < MIN_SECRET_LENGTH).length;
  if (short > 0) {
    // Never echo the secrets themselves: only how many are wrong.
    return fail(ctx, undefined, `every secret must be at least ${MIN_SECRET_LENGTH} characters (${short} of ${secrets.length} too short)`);
  }
  return secrets;
});

/** An origin exactly as browsers send it: http(s), host, optional port, no path, no trailing slash. */
function isExactOrigin(origin: string): boolean {
  let parsed: URL;
  try {
    parsed = new URL(origin);
  } catch {
    return false;
  }
  return /^https?:$/.test(parsed.protocol) && parsed.origin === origin;
}

const originList = variable((value, ctx) => {
  const origins = value.split(',').map((origin) => origin.trim()).filter(Boolean);
  for (const origin of origins) {
    if (!isExactOrigin(origin)) {
      return fail(ctx, value, `must list exact origins like https://app.example.com (bad entry "${origin}")`);
    }
  }
  return origins;
});

const appOrigin = variable((value, ctx) => {
  if (isExactOrigin(value)) return value;
  return fail(ctx, value, `must be an exact origin like https://app.example.com: scheme, host and optional port, no path (got "${value}")`);
});

const smtpUrl = variable((value, ctx) => {
  // The URL carries the SMTP password: no message here quotes any part of it.
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return fail(ctx, undefined, 'must be an smtp:// or smtps:// URL');
  }
  if (url.protocol !== 'smtp:' && url.protocol !== 'smtps:') {
    return fail(ctx, undefined, `must use smtp:// or smtps:// (got ${url.protocol}//)`);
  }
  if (!url.hostname) return fail(ctx, undefined, 'must name a host');
  if (url.pathname !== '' && url.pathname !== '/') return fail(ctx, undefined, 'must have no path (smtp://user:password@host:port)');
  return value;
});

/**
 * One mailbox: `address@domain` or `Display Name <address@domain>` (the name quoted when it
 * holds , ; : or @). No line breaks or other control characters: it becomes a header.
 */
const MAILBOX = /^(?:(?:"[^"\\\x00-\x1f\x7f]*" ?|[^"<>,;:@\\\x00-\x1f\x7f]*)<[^\s<>@"]+@[^\s<>@"]+>|[^\s<>@",;:]+@[^\s<>@",;:]+)$/;

const mailbox = variable((value, ctx) => {
  if (MAILBOX.test(value)) return value;
  // JSON quoting, so that a line break in the value cannot split the one-line error.
  return fail(ctx, value, `must be one address like no-reply@example.com or "Example" <no-reply@example.com> (got ${JSON.stringify(value)})`);
});

const emailList = variable((value, ctx) => {
  const emails: string[] = [];
  for (const entry of value.split(',').map((item) => item.trim()).filter(Boolean)) {
    // The rule sign-up applies: an address that could never sign up would be a silent typo here.
    const { email, problem } = parseEmail(entry);
    if (problem !== undefined) return fail(ctx, value, `must be comma-separated email addresses (bad entry ${JSON.stringify(entry)})`);
    emails.push(email);
  }
  return emails;
});

const trustProxy = variable((value, ctx): TrustProxySetting => {
  if (value === 'true') return true;
  if (value === 'false') return false;
  if (/^\d+$/.test(value)) return Number(value);
  const entries = value.split(',').map((entry) => entry.trim());
  for (const entry of entries) {
    const [address, prefix, ...rest] = entry.split('/');
    const validAddress = TRUST_PROXY_NAMES.has(entry) || (isIP(address ?? '') !== 0 && rest.length === 0);
    const validPrefix = prefix === undefined || /^\d{1,3}$/.test(prefix);
    if (!validAddress || !validPrefix) {
      return fail(ctx, value, `must be true, false, a hop count, or addresses/subnets (bad entry "${entry}")`);
    }
  }
  return entries;
});

const environmentSchema = z.object({
  NODE_ENV: variable((value, ctx): Environment => {
    if (value === 'development' || value === 'production' || value === 'test') return value;
    return fail(ctx, value, `must be development, production or test (got "${value}")`);
  }),
  PORT: integerIn(0, 65_535),
  HOST: variable((value) => value),
  REDIS_URL: redisUrl,
  REDIS_CLUSTER_NODES: hostAndPortList,
  REDIS_SENTINELS: hostAndPortList,
  REDIS_SENTINEL_NAME: variable((value) => value),
  REDIS_KEY_PREFIX: variable((value, ctx) => {
    if (/^[A-Za-z0-9:_.-]{1,64}$/.test(value)) return value;
    return fail(ctx, value, `must be 1 to 64 letters, digits or : _ . - (no hash-tag braces; got "${value}")`);
  }),
  SESSION_SECRETS: secretList,
  SESSION_IDLE_TTL: duration,
  SESSION_ABSOLUTE_TTL: duration,
  STEP_UP_MAX_AGE: duration,
  TOTP_ENCRYPTION_KEY: variable((value, ctx) => {
    // Never echo the key itself.
    if (value.length >= MIN_SECRET_LENGTH) return value;
    return fail(ctx, undefined, `must be at least ${MIN_SECRET_LENGTH} characters (TOTP secrets are encrypted with it)`);
  }),
  BCRYPT_COST: integerIn(4, 31),
  PASSWORD_QUEUE_MAX: integerIn(1, 100_000),
  PASSWORD_QUEUE_MAX_PER_IP: integerIn(1, 10_000),
  PASSWORD_QUEUE_MAX_PER_ACCOUNT: integerIn(1, 10_000),
  SESSION_MAX_PER_USER: integerIn(1, 10_000),
  LOGIN_MAX_CONSECUTIVE_FAILURES: integerIn(1, 1_000),
  LOGIN_MAX_FAILURES_PER_EMAIL_HOUR: integerIn(1, 100_000),
  LOGIN_MAX_FAILURES_PER_IP_DAY: integerIn(1, 1_000_000),
  SIGNUP_MAX_PER_IP_HOUR: integerIn(1, 1_000_000),
  GRAPHQL_MAX_DEPTH: integerIn(1, 100),
  GRAPHQL_MAX_ALIASES: integerIn(0, 1_000),
  GRAPHQL_MAX_COST: integerIn(1, 10_000_000),
  CORS_ORIGINS: originList,
  TRUST_PROXY: trustProxy,
  COOKIE_SECURE: boolean,
  GRAPHIQL: boolean,
  ADMIN_EMAILS: emailList,
  SMTP_URL: smtpUrl,
  MAIL_FROM: mailbox,
  APP_ORIGIN: appOrigin,
  METRICS_TOKEN: variable((value, ctx) => {
    // Never echo the token itself.
    if (value.length >= MIN_METRICS_TOKEN_LENGTH && /^[\x21-\x7e]+$/.test(value)) return value;
    return fail(ctx, undefined, `must be at least ${MIN_METRICS_TOKEN_LENGTH} printable characters without spaces`);
  }),
  LOG_LEVEL: variable((value, ctx) => {
    if ((LOG_LEVELS as readonly string[]).includes(value)) return value;
    return fail(ctx, value, `must be one of ${LOG_LEVELS.join(', ')}`);
  }),
  WEB_CONCURRENCY: integerIn(1, 256),
  SHUTDOWN_GRACE_PERIOD: duration,
});

type ParsedEnvironment = z.output<typeof environmentSchema>;

/** Every variable loadConfig reads, by name (`.env.example` documents each one). */
export const CONFIG_VARIABLES: readonly string[] = Object.keys(environmentSchema.shape);

/** The variables that carry a secret: each may instead name a file holding it, as `X_FILE`. */
export const SECRET_VARIABLES = ['SESSION_SECRETS', 'METRICS_TOKEN', 'SMTP_URL', 'REDIS_URL', 'TOTP_ENCRYPTION_KEY'] as const satisfies ReadonlyArray<keyof ParsedEnvironment>;

/**
 * Reads the contract's environment variables into a frozen Config. Every bad variable is
 * reported at once (ConfigError.problems), so the server never starts half-configured.
 * Files are read only for the `X_FILE` forms of SECRET_VARIABLES, with `readFile`.
 */
export function loadConfig(env: Readonly<Record<string, string | undefined>>, readFile: ReadTextFile = readTextFile): Config {
  const secretFiles = readSecretFiles(env, SECRET_VARIABLES, readFile);
  // Variable by variable, so that the rules across variables still see every good one.
  const problems: string[] = [...secretFiles.problems];
  const failed = new Set<string>(secretFiles.unusable);
  const parsed: Record<string, unknown> = {};
  for (const [name, schema] of Object.entries(environmentSchema.shape)) {
    if (failed.has(name)) continue;
    const result = schema.safeParse(secretFiles.env[name]);
    const source = secretFiles.readFrom.has(name) ? `${name} (from ${secretFiles.readFrom.get(name)})` : name;
    if (result.success) {
      if (result.data !== undefined) parsed[name] = result.data;
    } else {
      failed.add(name);
      problems.push(...result.error.issues.map((issue) => `${source} ${issue.message}`));
    }
  }
  problems.push(...crossVariableProblems(parsed as Partial<ParsedEnvironment>, failed));
  if (problems.length > 0) throw new ConfigError(problems);
  return deepFreeze(buildConfig(parsed as ParsedEnvironment));
}

function crossVariableProblems(parsed: Partial<ParsedEnvironment>, failed: Set<string>): string[] {
  const problems: string[] = [];
  const production = parsed.NODE_ENV === 'production';
  if (parsed.REDIS_CLUSTER_NODES && parsed.REDIS_SENTINELS) {
    problems.push('REDIS_CLUSTER_NODES and REDIS_SENTINELS are both set: choose one session store');
  }
  if (parsed.REDIS_SENTINELS && !parsed.REDIS_SENTINEL_NAME && !failed.has('REDIS_SENTINEL_NAME')) {
    problems.push('REDIS_SENTINEL_NAME is required with REDIS_SENTINELS (the name of the monitored master)');
  }
  if (production && !parsed.SESSION_SECRETS && !failed.has('SESSION_SECRETS')) {
    problems.push(`SESSION_SECRETS is required when NODE_ENV=production (comma-separated, each at least ${MIN_SECRET_LENGTH} characters)`);
  }
  if (production && parsed.BCRYPT_COST !== undefined && parsed.BCRYPT_COST < 10) {
    problems.push(`BCRYPT_COST must be at least 10 when NODE_ENV=production (got ${parsed.BCRYPT_COST})`);
  }
  // Without them a production server could not send a password reset, or would send links to nowhere.
  if (production && !parsed.SMTP_URL && !failed.has('SMTP_URL')) {
    problems.push('SMTP_URL is required when NODE_ENV=production (smtp:// or smtps://, credentials in the URL: mails are sent through it)');
  }
  if (production && !parsed.APP_ORIGIN && !failed.has('APP_ORIGIN')) {
    problems.push('APP_ORIGIN is required when NODE_ENV=production (the SPA\'s origin, like https://app.example.com: links in mails point to it)');
  }
  const sharedStore = parsed.REDIS_URL || parsed.REDIS_CLUSTER_NODES || parsed.REDIS_SENTINELS;
  if ((parsed.WEB_CONCURRENCY ?? 1) > 1 && !sharedStore && !failed.has('REDIS_URL')) {
    problems.push(
      `WEB_CONCURRENCY=${parsed.WEB_CONCURRENCY} needs a shared session store: set REDIS_URL, REDIS_CLUSTER_NODES or REDIS_SENTINELS (with the in-process store every worker would have its own sessions)`,
    );
  }
  return problems;
}

/**
 * Settings that start but that an operator should know about, one sentence each, for the
 * log at start.
 */
export function configurationWarnings(config: Config): string[] {
  const warnings: string[] = [];
  if (config.session.secretsGenerated) {
    warnings.push('SESSION_SECRETS is not set: using a random secret for this process; every session ends when it restarts');
  }
  if (config.http.trustProxy === true) {
    warnings.push(
      'TRUST_PROXY=true trusts every hop: any client can choose the address that is recorded and throttled by sending X-Forwarded-For; name the proxies instead (a hop count, or their addresses)',
    );
  }
  if (config.twoFactor.encryptionKey === null) {
    warnings.push(
      `TOTP_ENCRYPTION_KEY is not set: nobody can turn on two-factor authentication (beginTotpEnrollment is refused); set it (at least ${MIN_SECRET_LENGTH} characters) to allow it`,
    );
  }
  if (config.mail.smtpUrl === null) {
    warnings.push('SMTP_URL is not set: mails (password reset, email verification) are written to the log, links included, instead of sent');
  }
  const { idleTtlSeconds, absoluteTtlSeconds } = config.session;
  if (idleTtlSeconds >= absoluteTtlSeconds) {
    // A session would have to stay idle from the moment it started, and it ends then anyway.
    warnings.push(
      `SESSION_IDLE_TTL (${idleTtlSeconds}s) is not shorter than SESSION_ABSOLUTE_TTL (${absoluteTtlSeconds}s): the idle expiry can never end a session; every session lasts the absolute TTL`,
    );
  }
  if (config.environment === 'production' && config.adminEmails.length > 0) {
    // Sign-up does not prove that the address is the user's: the first to sign up with it wins.
    warnings.push(
      `ADMIN_EMAILS lists ${config.adminEmails.length} address(es): whoever signs up first with one of them becomes ADMIN; sign up with them now, then remove the variable`,
    );
  }
  if (config.environment === 'production' && config.metrics.token === null) {
    warnings.push('METRICS_TOKEN is not set: GET /metrics is open to anyone who can reach the server; set it, or keep /metrics off the public network');
  }
  return warnings;
}

function buildConfig(parsed: ParsedEnvironment): Config {
  const environment = parsed.NODE_ENV ?? 'development';
  const production = environment === 'production';
  const secrets = parsed.SESSION_SECRETS ?? [randomBytes(32).toString('base64url')];
  const store = storeConfig(parsed);
  return {
    environment,
    http: {
      port: parsed.PORT ?? 4000,
      host: parsed.HOST ?? '127.0.0.1',
      trustProxy: parsed.TRUST_PROXY ?? false,
      corsOrigins: parsed.CORS_ORIGINS ?? [],
      graphiqlEnabled: parsed.GRAPHIQL ?? !production,
    },
    store,
    redisKeyPrefix: parsed.REDIS_KEY_PREFIX ?? 'sq:',
    session: {
      secrets,
      secretsGenerated: parsed.SESSION_SECRETS === undefined,
      idleTtlSeconds: parsed.SESSION_IDLE_TTL ?? 7 * 86_400,
      absoluteTtlSeconds: parsed.SESSION_ABSOLUTE_TTL ?? 30 * 86_400,
      maxSessionsPerUser: parsed.SESSION_MAX_PER_USER ?? 50,
      cookieSecure: parsed.COOKIE_SECURE ?? production,
      stepUpMaxAgeSeconds: parsed.STEP_UP_MAX_AGE ?? 600,
    },
    twoFactor: {
      encryptionKey: parsed.TOTP_ENCRYPTION_KEY ?? (store.kind === 'memory' ? randomBytes(32).toString('base64url') : null),
    },
    passwords: {
      bcryptCost: parsed.BCRYPT_COST ?? 12,
      queue: {
        maxQueued: parsed.PASSWORD_QUEUE_MAX ?? 32,
        maxPerClient: parsed.PASSWORD_QUEUE_MAX_PER_IP ?? 4,
        maxPerAccount: parsed.PASSWORD_QUEUE_MAX_PER_ACCOUNT ?? 2,
      },
    },
    throttling: {
      maxConsecutiveFailures: parsed.LOGIN_MAX_CONSECUTIVE_FAILURES ?? 10,
      maxFailuresPerEmailHour: parsed.LOGIN_MAX_FAILURES_PER_EMAIL_HOUR ?? 100,
      maxFailuresPerIpDay: parsed.LOGIN_MAX_FAILURES_PER_IP_DAY ?? 100,
      maxSignUpsPerIpHour: parsed.SIGNUP_MAX_PER_IP_HOUR ?? 300,
    },
    graphqlLimits: {
      maxDepth: parsed.GRAPHQL_MAX_DEPTH ?? 10,
      maxAliases: parsed.GRAPHQL_MAX_ALIASES ?? 15,
      // Enough for a few full lists of a user's sessions (about 12 per session each), and at
      // least 2,000 for the other lists (an audit trail of 100 events costs 500); see graphql/query-cost.ts.
      maxCost: parsed.GRAPHQL_MAX_COST ?? Math.max(2000, 40 * (parsed.SESSION_MAX_PER_USER ?? 50)),
    },
    metrics: { token: parsed.METRICS_TOKEN ?? null },
    adminEmails: parsed.ADMIN_EMAILS ?? [],
    mail: {
      smtpUrl: parsed.SMTP_URL ?? null,
      from: parsed.MAIL_FROM ?? DEFAULT_MAIL_FROM,
      appOrigin: parsed.APP_ORIGIN ?? DEVELOPMENT_APP_ORIGIN,
      appOriginDefaulted: parsed.APP_ORIGIN === undefined,
    },
    runtime: {
      workers: parsed.WEB_CONCURRENCY ?? 1,
      shutdownGraceMillis: (parsed.SHUTDOWN_GRACE_PERIOD ?? 10) * 1000,
    },
    logLevel: parsed.LOG_LEVEL ?? 'info',
  };
}

function storeConfig(parsed: ParsedEnvironment): StoreConfig {
  // With Cluster or Sentinel, REDIS_URL only carries the credentials (and db) for the nodes.
  const credentials = parsed.REDIS_URL ? { credentialsUrl: parsed.REDIS_URL } : {};
  if (parsed.REDIS_CLUSTER_NODES) return { kind: 'cluster', nodes: parsed.REDIS_CLUSTER_NODES, ...credentials };
  if (parsed.REDIS_SENTINELS) {
    return { kind: 'sentinel', sentinels: parsed.REDIS_SENTINELS, masterName: parsed.REDIS_SENTINEL_NAME!, ...credentials };
  }
  if (parsed.REDIS_URL) return { kind: 'redis', url: parsed.REDIS_URL };
  return { kind: 'memory' };
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}
