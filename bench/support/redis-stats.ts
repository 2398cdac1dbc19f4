import { setTimeout as delay } from 'node:timers/promises';
import type { Redis } from 'ioredis';
import { readInfo } from './redis-server';

/** Calls per command name, from INFO commandstats. */
export type CommandCounts = Map<string, number>;

const QUIET_MILLIS = 300;

/** Commands the benchmark itself sends on its admin connection; never the server's. */
const OWN_COMMANDS = new Set(['info', 'monitor', 'echo', 'flushall', 'config|resetstat']);

export async function readCommandCounts(admin: Redis): Promise<CommandCounts> {
  const counts: CommandCounts = new Map();
  for (const [field, value] of await readInfo(admin, 'commandstats')) {
    const name = field.replace(/^cmdstat_/, '');
    const calls = /calls=(\d+)/.exec(value);
    if (calls && !OWN_COMMANDS.has(name)) counts.set(name, Number(calls[1]));
  }
  return counts;
}

/** Calls of each command between two readings (INFO counts the commands Lua scripts run, too). */
export function commandDelta(before: CommandCounts, after: CommandCounts): CommandCounts {
  const delta: CommandCounts = new Map();
  for (const [name, calls] of after) {
    const difference = calls - (before.get(name) ?? 0);
    if (difference > 0) delta.set(name, difference);
  }
  return delta;
}

export function sum(counts: CommandCounts): number {
  return [...counts.values()].reduce((total, count) => total + count, 0);
}

/**
 * Sends `requestCount` requests one after another, outside any load, while watching Redis
 * with MONITOR, and counts what each cost: round trips are the commands a client sent (a
 * script is one); commands include those that scripts ran inside Redis.
 */
export async function countRoundTrips(
  admin: Redis,
  requestCount: number,
  request: () => Promise<void>,
): Promise<{ roundTripsPerRequest: number; commandsPerRequest: number }> {
  await waitUntilQuiet(admin);
  const monitor = await admin.monitor();
  let roundTrips = 0;
  let commands = 0;
  monitor.on('monitor', (_time: string, _args: string[], source: string) => {
    commands++;
    if (source !== 'lua') roundTrips++;
  });
  try {
    for (let i = 0; i < requestCount; i++) await request();
    // MONITOR lines arrive asynchronously; an ECHO on another connection marks the end.
    const marker = `bench-end-${Date.now()}`;
    const seen = new Promise<void>((resolve) => {
      monitor.on('monitor', (_time: string, args: string[]) => {
        if (args.includes(marker)) resolve();
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

/**
 * Waits until Redis has run no command for a while: requests that a load run left in
 * flight are still being served after it ended, and would be counted otherwise.
 */
export async function waitUntilQuiet(admin: Redis): Promise<void> {
  let previous = -1;
  for (;;) {
    const total = sum(await readCommandCounts(admin));
    if (total === previous) return;
    previous = total;
    await delay(QUIET_MILLIS);
  }
}
