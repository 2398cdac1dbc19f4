import { randomBytes, randomUUID } from 'node:crypto';
import { join } from 'node:path';
import type { Redis } from 'ioredis';
import { LOGIN_PATH, userRecordKey, type UserRecord } from '../reference/express-session-keys';
import type { Presented } from './graphql-client';
import { startChildServer, type ServerProcess } from './server-process';

/**
 * The reference servers of bench/reference/ as child processes, like sessionql itself:
 * each has its own CPU time, read from /proc. They run from TypeScript through
 * @swc-node/register, which compiles each file once at start, not per request.
 */

const SWC_REGISTER = require.resolve('@swc-node/register');
const REFERENCE_DIRECTORY = join(__dirname, '..', 'reference');
/** They have no health route ("nothing else"): ready once a trivial query answers. */
const GRAPHQL_READINESS = {
  path: '/graphql',
  init: { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: '{ __typename }' }) },
};

/** What each reference server is, for the results file and the report. */
export const REFERENCE_DESCRIPTIONS = {
  bare: 'Apollo Server 5 + type-graphql 2 on Express 5 with library defaults and nothing else; me returns a constant user',
  expressSession:
    'Express 5 + express-session (resave: false, saveUninitialized: false) + connect-redis 10 on node-redis + Apollo Server 5 + type-graphql 2; ' +
    'me GETs the user record of the session\'s userId',
} as const;

export interface ReferenceServers {
  /** Apollo Server + type-graphql on Express, constant `me`. */
  bare: ServerProcess;
  /** express-session + connect-redis + Apollo Server + type-graphql, `me` from Redis. */
  expressSession: ServerProcess;
  stop(): Promise<void>;
}

export interface ReferenceServerOptions {
  redisUrl: string;
  logDirectory: string;
  cpuProfileDirectory?: string;
}

export async function startReferenceServers(options: ReferenceServerOptions): Promise<ReferenceServers> {
  const start = (name: string, file: string, environment: Record<string, string> = {}) =>
    startChildServer({
      name: `the ${name} reference server`,
      entry: join(REFERENCE_DIRECTORY, `${file}.ts`),
      nodeArguments: ['-r', SWC_REGISTER],
      environment: { NODE_ENV: 'production', ...environment },
      readiness: GRAPHQL_READINESS,
      logFile: join(options.logDirectory, `${file}.log`),
      cpuProfileDirectory: options.cpuProfileDirectory,
    });
  const bare = await start('bare', 'bare-server');
  try {
    const expressSession = await start('express-session', 'express-session-server', {
      REDIS_URL: options.redisUrl,
      SESSION_SECRET: randomBytes(32).toString('base64url'),
    });
    return {
      bare,
      expressSession,
      stop: async () => {
        await Promise.all([bare.stop(), expressSession.stop()]);
      },
    };
  } catch (error) {
    await bare.stop();
    throw error;
  }
}

/**
 * Writes a user record where the express-session server reads it, and opens a session
 * for that user: returns the connect.sid cookie, which the user then presents.
 */
export async function expressSessionLogin(server: ServerProcess, admin: Redis, email: string): Promise<Presented> {
  const record: UserRecord = { id: randomUUID(), email, displayName: email.split('@')[0]!, roles: ['USER'], createdAt: new Date().toISOString() };
  await admin.set(userRecordKey(record.id), JSON.stringify(record));
  const response = await fetch(`${server.origin}${LOGIN_PATH}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ userId: record.id }),
  });
  const cookie = response.headers.getSetCookie()[0]?.split(';')[0];
  if (response.status !== 204 || !cookie) throw new Error(`express-session login answered ${response.status} with cookie ${cookie}`);
  return { headers: { cookie } };
}
