import type { TestRedis } from './global-setup';

/** Stops the Redis that the global setup provisioned (nothing to stop for REDIS_URL). */
export default async function globalTeardown(): Promise<void> {
  const testRedis: TestRedis | undefined = globalThis.sessionqlTestRedis;
  globalThis.sessionqlTestRedis = undefined;
  await testRedis?.stop();
}
