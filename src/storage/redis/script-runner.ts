import type { RedisClient } from './redis-client';

export interface LuaScript {
  /** Unique command name registered on the client. */
  name: string;
  numberOfKeys: number;
  lua: string;
}

export type ScriptRunner = (script: LuaScript, keys: string[], args: Array<string | number>) => Promise<unknown>;

/**
 * Registers scripts on the client (ioredis sends EVALSHA and falls back to EVAL once per
 * connection) and returns a runner for them. Works the same on a Cluster client, where
 * all of a script's keys must share one hash slot.
 */
export function scriptRunner(redis: RedisClient, scripts: readonly LuaScript[]): ScriptRunner {
  const commands = redis as unknown as Record<string, (...args: Array<string | number>) => Promise<unknown>>;
  for (const script of scripts) {
    if (typeof commands[script.name] !== 'function') {
      redis.defineCommand(script.name, { numberOfKeys: script.numberOfKeys, lua: script.lua });
    }
  }
  return (script, keys, args) => commands[script.name]!(...keys, ...args);
}
