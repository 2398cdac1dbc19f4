import { readdirSync, readFileSync } from 'node:fs';
import bcrypt from 'bcrypt';
import { BackgroundBcrypt } from '../../src/auth/background-bcrypt';

/** The nice values of this process's threads (Linux: field 19 of /proc/self/task/<tid>/stat). */
function threadNiceness(): number[] {
  return readdirSync('/proc/self/task').map((tid) => {
    const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]);
  });
}

describe('BackgroundBcrypt (bcrypt on low-priority threads)', () => {
  let background: BackgroundBcrypt;

  beforeAll(() => {
    background = new BackgroundBcrypt({ threads: 2, niceness: 10 });
  });
  afterAll(async () => {
    await background.close();
  });

  it('hashes and compares as the bcrypt package does, in both directions', async () => {
    const hashed = await background.hash('a password', 4);
    expect(await bcrypt.compare('a password', hashed)).toBe(true);
    expect(await background.compare('a password', await bcrypt.hash('a password', 4))).toBe(true);
    expect(await background.compare('another password', hashed)).toBe(false);
  });

  it('runs as many at once as it has threads, each at the lower priority (Linux)', async () => {
    const results = await Promise.all([background.hash('one', 4), background.hash('two', 4)]);
    expect(results).toHaveLength(2);
    if (process.platform === 'linux') expect(threadNiceness().filter((nice) => nice === 10).length).toBeGreaterThanOrEqual(2);
    const burst = await Promise.allSettled([background.hash('a', 4), background.hash('b', 4), background.hash('c', 4)]);
    expect(burst.map((outcome) => outcome.status)).toEqual(['fulfilled', 'fulfilled', 'rejected']);
    expect((burst[2] as PromiseRejectedResult).reason).toEqual(new Error('bcrypt: every thread is busy'));
  });

  it('answers bad input with an error, and keeps working', async () => {
    await expect(background.compare('x', 'not a bcrypt hash')).resolves.toBe(false);
    await expect(background.hash('x', 99)).rejects.toThrow(/bcrypt/);
    expect(await bcrypt.compare('still', await background.hash('still', 4))).toBe(true);
  });

  it('refuses work once closed', async () => {
    const closing = new BackgroundBcrypt({ threads: 1, niceness: 10 });
    await closing.close();
    await expect(closing.hash('late', 4)).rejects.toThrow(/stopped/);
  });
});
