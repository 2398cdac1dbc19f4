import bcrypt from 'bcrypt';
import { availableParallelism } from 'node:os';
import { defaultMaxConcurrentHashes, PasswordHasher, type BcryptFunctions } from '../../src/auth/password-hasher';
import { Semaphore } from '../../src/shared/semaphore';

const COST = 4;

/** The real bcrypt, watched: how many of its calls are running, and the most there ever were at once. */
function countingBcrypt() {
  const counts = { running: 0, mostAtOnce: 0, calls: 0 };
  const track = async <T>(call: () => Promise<T>): Promise<T> => {
    counts.calls++;
    counts.running++;
    counts.mostAtOnce = Math.max(counts.mostAtOnce, counts.running);
    try {
      return await call();
    } finally {
      counts.running--;
    }
  };
  const functions: BcryptFunctions = {
    hash: (data, cost) => track(() => bcrypt.hash(data, cost)),
    compare: (data, encrypted) => track(() => bcrypt.compare(data, encrypted)),
  };
  return { functions, counts };
}

/** A bcrypt whose calls finish only when the test says so, to watch the queue step by step. */
function gatedBcrypt() {
  const started: Array<{ kind: 'hash' | 'compare'; finish(): void }> = [];
  const gate = <T>(kind: 'hash' | 'compare', value: T) =>
    new Promise<T>((resolve) => {
      started.push({ kind, finish: () => resolve(value) });
    });
  const functions: BcryptFunctions = {
    hash: () => gate('hash', '$2b$04$gatedgatedgatedgatedgeXq0t8R8n6A7p0hTgB0Zq3mXn5K1y4W2'),
    compare: () => gate('compare', false),
  };
  return { functions, started };
}

/** Lets every promise that can settle now do so. */
const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('PasswordHasher', () => {
  it('never runs more bcrypt computations at once than its bound, and every answer stays right', async () => {
    const { functions, counts } = countingBcrypt();
    const hasher = new PasswordHasher(COST, { maxConcurrentHashes: 2, bcrypt: functions });
    const stored = await hasher.hash('correct horse battery');

    const checks = await Promise.all([
      ...Array.from({ length: 6 }, () => hasher.verify('correct horse battery', stored)),
      ...Array.from({ length: 6 }, () => hasher.verify('wrong horse battery', stored)),
      ...Array.from({ length: 4 }, () => hasher.verifyAgainstDummy('correct horse battery')),
      hasher.hash('another password here'),
    ]);

    expect(checks.slice(0, 6)).toEqual(Array(6).fill(true));
    expect(checks.slice(6, 16)).toEqual(Array(10).fill(false));
    expect(checks[16]).toMatch(/^\$2b\$04\$/);
    // 1 + 16 compares + the dummy hash + 1 hash: all of them went through bcrypt...
    expect(counts.calls).toBe(19);
    // ...and never more than two at a time (without the bound, bcrypt's four threads would all be busy).
    expect(counts.mostAtOnce).toBe(2);
  });

  it('queues unknown-email checks in the same line as real ones, first come first served', async () => {
    const { functions, started } = gatedBcrypt();
    const hasher = new PasswordHasher(COST, { maxConcurrentHashes: 1, bcrypt: functions });
    const order: string[] = [];

    const dummyHashing = hasher.warmUp().then(() => order.push('warm-up'));
    const known = hasher.verify('a password', '$2b$04$storedstoredstoredstoreOq0t8R8n6A7p0hTgB0Zq3mXn5K1y4W2').then(() => order.push('known'));
    const unknown = hasher.verifyAgainstDummy('a password').then(() => order.push('unknown'));
    await settle();
    expect(started.map((call) => call.kind)).toEqual(['hash']);

    started[0]!.finish(); // the dummy hash: the known email's compare came first, so it goes next
    await settle();
    expect(started.map((call) => call.kind)).toEqual(['hash', 'compare']);

    started[1]!.finish(); // then the unknown email's compare against the dummy, in the same line
    await settle();
    expect(started.map((call) => call.kind)).toEqual(['hash', 'compare', 'compare']);
    started[2]!.finish();
    await Promise.all([dummyHashing, known, unknown]);
    expect(order).toEqual(['warm-up', 'known', 'unknown']);
  });

  it('by default leaves one core to request handling, shared among the processes, and always allows at least one hash', () => {
    const cores = availableParallelism();
    expect(defaultMaxConcurrentHashes()).toBe(Math.max(1, cores - 1));
    expect(defaultMaxConcurrentHashes(2)).toBe(Math.max(1, Math.floor((cores - 1) / 2)));
    expect(defaultMaxConcurrentHashes(cores * 4)).toBe(1);
  });
});

describe('Semaphore', () => {
  it('releases its slot when a task fails', async () => {
    const semaphore = new Semaphore(1);
    await expect(semaphore.run(() => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    await expect(semaphore.run(async () => 'next')).resolves.toBe('next');
  });

  it('refuses a limit below one', () => {
    expect(() => new Semaphore(0)).toThrow(RangeError);
  });
});
