import { ConfigError, loadConfig } from '../../src/config';

function problemsFor(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).problems;
  }
  throw new Error(`expected configuration problems for ${JSON.stringify(Object.keys(env))}`);
}

describe('loadConfig: WEB_CONCURRENCY and SHUTDOWN_GRACE_PERIOD', () => {
  it('runs one process with a 10 s shutdown grace period by default', () => {
    expect(loadConfig({}).runtime).toEqual({ workers: 1, shutdownGraceMillis: 10_000 });
  });

  it('reads both', () => {
    const config = loadConfig({ WEB_CONCURRENCY: '4', SHUTDOWN_GRACE_PERIOD: '45s', REDIS_URL: 'redis://127.0.0.1:6379' });
    expect(config.runtime).toEqual({ workers: 4, shutdownGraceMillis: 45_000 });
  });

  it.each(['0', '-1', 'two', '1.5', '257'])('refuses WEB_CONCURRENCY=%s, naming it', (value) => {
    expect(problemsFor({ WEB_CONCURRENCY: value, REDIS_URL: 'redis://127.0.0.1:6379' })).toEqual([expect.stringMatching(/^WEB_CONCURRENCY /)]);
  });

  it.each(['10', '0s', 'soon'])('refuses SHUTDOWN_GRACE_PERIOD=%s, naming it', (value) => {
    expect(problemsFor({ SHUTDOWN_GRACE_PERIOD: value })).toEqual([expect.stringMatching(/^SHUTDOWN_GRACE_PERIOD /)]);
  });

  it('refuses several workers on the in-process store: their sessions would not be shared', () => {
    expect(problemsFor({ WEB_CONCURRENCY: '2' })).toEqual([
      expect.stringMatching(/^WEB_CONCURRENCY=2 needs a shared session store: set REDIS_URL, REDIS_CLUSTER_NODES or REDIS_SENTINELS/),
    ]);
  });

  it.each([
    ['REDIS_URL', { REDIS_URL: 'redis://127.0.0.1:6379' }],
    ['REDIS_CLUSTER_NODES', { REDIS_CLUSTER_NODES: '127.0.0.1:7000,127.0.0.1:7001' }],
    ['REDIS_SENTINELS', { REDIS_SENTINELS: '127.0.0.1:26379', REDIS_SENTINEL_NAME: 'mymaster' }],
  ])('accepts several workers on a shared store (%s)', (_name, env) => {
    expect(loadConfig({ WEB_CONCURRENCY: '3', ...env }).runtime.workers).toBe(3);
  });
});
