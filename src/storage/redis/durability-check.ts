import type { Logger } from 'pino';
import { masterNodes, type RedisClient } from './redis-client';

/** What one Redis (a master) says about how it keeps and evicts data. */
export interface RedisDurabilitySettings {
  node: string;
  maxmemoryPolicy: string | null;
  aofEnabled: boolean | null;
}

/**
 * Sessions are only as durable as the Redis under them:
 * - with a maxmemory-policy other than `noeviction`, a Redis at its memory limit deletes
 *   keys to make room: a user's sessions (logged out without a trace), even users;
 * - without AOF, a restart reloads the last RDB snapshot (or nothing): sessions ended since
 *   then (logouts, revocations, password changes) come back to life.
 * INFO rather than CONFIG GET: managed services (ElastiCache, Memorystore) disable CONFIG
 * but answer INFO. A Redis that answers neither gets one line saying it was not checked.
 */
export async function warnAboutRedisDurability(redis: RedisClient, logger: Logger): Promise<RedisDurabilitySettings[]> {
  const checked: RedisDurabilitySettings[] = [];
  for (const node of masterNodes(redis)) {
    const name = `${node.options.host ?? '?'}:${node.options.port ?? '?'}`;
    let settings: RedisDurabilitySettings;
    try {
      settings = { node: name, ...parseInfo(await node.info('memory'), await node.info('persistence')) };
    } catch (error) {
      logger.info({ node: name, err: { message: error instanceof Error ? error.message : String(error) } }, 'could not read the Redis persistence and eviction settings (INFO refused); check them by hand: appendonly yes, maxmemory-policy noeviction');
      continue;
    }
    checked.push(settings);
    if (settings.maxmemoryPolicy !== null && settings.maxmemoryPolicy !== 'noeviction') {
      logger.warn(
        { node: name, maxmemoryPolicy: settings.maxmemoryPolicy },
        'Redis maxmemory-policy is not noeviction: at its memory limit Redis deletes keys, silently ending sessions; set maxmemory-policy noeviction',
      );
    }
    if (settings.aofEnabled === false) {
      logger.warn(
        { node: name },
        'Redis AOF is off (appendonly no): after a restart, sessions ended since the last snapshot come back or every session is lost; set appendonly yes',
      );
    }
  }
  return checked;
}

function parseInfo(...sections: string[]): Omit<RedisDurabilitySettings, 'node'> {
  const fields = new Map<string, string>();
  for (const line of sections.join('\n').split(/\r?\n/)) {
    const separator = line.indexOf(':');
    if (separator > 0 && !line.startsWith('#')) fields.set(line.slice(0, separator), line.slice(separator + 1).trim());
  }
  const aof = fields.get('aof_enabled');
  return {
    maxmemoryPolicy: fields.get('maxmemory_policy') ?? null,
    aofEnabled: aof === undefined ? null : aof === '1',
  };
}
