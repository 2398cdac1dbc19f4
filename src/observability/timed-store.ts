import { performance } from 'node:perf_hooks';
import type { Store } from '../storage/store';

export interface StoreTimingSink {
  storeOperationFinished(operation: string, outcome: 'ok' | 'error', durationSeconds: number): void;
}

/**
 * The same store, with the latency of every users/sessions/health call recorded as
 * `<part>.<method>` (e.g. `sessions.findSessionWithUser`). Works for every store kind
 * because it wraps the Store interface, not a Redis client; every method of it is async.
 */
export function timedStore(store: Store, sink: StoreTimingSink): Store {
  return {
    ...store,
    users: timedMethods(store.users, 'users', sink),
    sessions: timedMethods(store.sessions, 'sessions', sink),
    devices: timedMethods(store.devices, 'devices', sink),
    tokens: timedMethods(store.tokens, 'tokens', sink),
    accountEvents: timedMethods(store.accountEvents, 'accountEvents', sink),
    checkHealth: () => timeCall('checkHealth', sink, () => store.checkHealth()),
  };
}

function timedMethods<T extends object>(target: T, part: string, sink: StoreTimingSink): T {
  return new Proxy(target, {
    get(object, property, receiver) {
      const value: unknown = Reflect.get(object, property, receiver);
      if (typeof value !== 'function' || typeof property !== 'string') return value;
      return (...args: unknown[]) => timeCall(`${part}.${property}`, sink, () => value.apply(object, args) as Promise<unknown>);
    },
  });
}

async function timeCall<T>(operation: string, sink: StoreTimingSink, call: () => Promise<T>): Promise<T> {
  const startedAt = performance.now();
  try {
    const result = await call();
    sink.storeOperationFinished(operation, 'ok', (performance.now() - startedAt) / 1000);
    return result;
  } catch (error) {
    sink.storeOperationFinished(operation, 'error', (performance.now() - startedAt) / 1000);
    throw error;
  }
}
