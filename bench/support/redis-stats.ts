import type { Redis } from 'ioredis';
import { readInfo } from './redis-server';

/** Calls per command name, from INFO commandstats. */
export type CommandCounts = Map<string, number>;

/** Commands the benchmark itself sends on its admin connection; never the server's. */
const OWN_COMMANDS = new Set(['info', 'monitor', 'echo', 'config|resetstat']);

export async function readCommandCounts(admin: Redis): Promise<CommandCounts> {
  const counts: CommandCounts = new Map();
  for (const [field, value] of await readInfo(admin, 'commandstats')) {
    const name = field.replace(/^cmdstat_/, '');
    const calls = /calls=(\d+)/.exec(value);
    if (calls && !OWN_COMMANDS.has(name)) counts.set(name, Number(calls[1]));
  }
  return counts;
}

/**
 * What the server sent between two readings, per request: every command Redis ran,
 * including those that Lua scripts ran (INFO counts them too), e.g. `{ mget: 1 }`.
 */
export function commandsPerRequest(before: CommandCounts, after: CommandCounts, requests: number): Record<string, number> {
  const perRequest: Record<string, number> = {};
  for (const [name, calls] of after) {
    const delta = calls - (before.get(name) ?? 0);
    if (delta > 0) perRequest[name] = delta / requests;
  }
  return perRequest;
}

export function sum(counts: Record<string, number>): number {
  return Object.values(counts).reduce((total, count) => total + count, 0);
}

/**
 * Runs `requests` (one after another, outside any load) while watching Redis with
 * MONITOR, and counts what each request cost: round trips are the commands a client
 * sent (a script is one), commands include those the scripts ran inside Redis.
 */
export async function countRoundTrips(
  admin: Redis,
  requestCount: number,
  request: () => Promise<void>,
): Promise<{ roundTripsPerRequest: number; commandsPerRequest: number }> {
  const monitor = await admin.duplicate().monitor();
  let roundTrips = 0;
  let commands = 0;
  monitor.on('monitor', (_time: string, _args: string[], source: string) => {
    commands++;
    if (source !== 'lua') roundTrips++;
  });
  try {
    for (let i = 0; i < requestCount; i++) await request();
    // MONITOR lines arrive asynchronously; a PING on another connection marks the end.
    const marker = `bench-end-${Date.now()}`;
    const seen = new Promise<void>((resolve) => {
      monitor.on('monitor', (_time: string, args: string[]) => {
        if (args[0] === marker) resolve();
      });
    });
    await admin.echo(marker);
    await seen;
    // The marker's own ECHO was counted as a round trip.
    return { roundTripsPerRequest: (roundTrips - 1) / requestCount, commandsPerRequest: (commands - 1) / requestCount };
  } finally {
    monitor.disconnect();
  }
}
