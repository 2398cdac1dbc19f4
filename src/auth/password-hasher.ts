import { createHash, randomBytes } from 'node:crypto';
import { availableParallelism } from 'node:os';
import bcrypt from 'bcrypt';
import type { PasswordMetrics } from '../observability/metrics';
import { Semaphore } from '../shared/semaphore';

/** The two bcrypt calls this module makes (the `bcrypt` package's async API by default). */
export interface BcryptFunctions {
  hash(data: string, cost: number): Promise<string>;
  compare(data: string, encrypted: string): Promise<boolean>;
}

export interface PasswordHasherOptions {
  /** How many bcrypt computations run at once; the rest wait in line. Default: defaultMaxConcurrentHashes(). */
  maxConcurrentHashes?: number;
  bcrypt?: BcryptFunctions;
  /** Told of every password comparison bcrypt starts (the dummy one for unknown emails included). */
  metrics?: PasswordMetrics;
}


/**
 * One core fewer than the machine has, shared among the server's `processes` (at least one
 * each). bcrypt runs on libuv's threadpool, four threads by default: unbounded, ten logins
 * in flight take every core and request handling starves. Bounded, a login storm queues
 * for bcrypt while other requests keep a core.
 */
export function defaultMaxConcurrentHashes(processes = 1): number {
  return Math.max(1, Math.floor((availableParallelism() - 1) / processes));
}

/**
 * bcrypt with a SHA-384 pre-hash: bcrypt reads only the first 72 bytes of its input,
 * and the policy allows passwords up to 128 bytes. The pre-hash (base64, 64 bytes, no
 * NUL) makes every byte count.
 */
export class PasswordHasher {
  private dummyHash: Promise<string> | undefined;
  private readonly bcrypt: BcryptFunctions;
  /** Every hash and compare, the dummy one for unknown emails included, waits in this one line. */
  private readonly slots: Semaphore;
  private readonly metrics: PasswordMetrics | undefined;

  constructor(
    private readonly cost: number,
    options: PasswordHasherOptions = {},
  ) {
    this.bcrypt = options.bcrypt ?? bcrypt;
    this.slots = new Semaphore(options.maxConcurrentHashes ?? defaultMaxConcurrentHashes());
    this.metrics = options.metrics;
  }

  hash(password: string): Promise<string> {
    return this.slots.run(() => this.bcrypt.hash(preHash(password), this.cost));
  }

  verify(password: string, passwordHash: string): Promise<boolean> {
    return this.slots.run(() => {
      this.metrics?.passwordChecked();
      return this.bcrypt.compare(preHash(password), passwordHash);
    });
  }

  /**
   * Spends the same time as verify() against a real hash and returns false: a login for
   * an unknown email must not answer faster than one with a wrong password.
   */
  async verifyAgainstDummy(password: string): Promise<false> {
    await this.verify(password, await this.dummy());
    return false;
  }

  /** Computes the dummy hash ahead of the first unknown-email login. */
  async warmUp(): Promise<void> {
    await this.dummy();
  }

  private dummy(): Promise<string> {
    this.dummyHash ??= this.hash(randomBytes(16).toString('hex'));
    return this.dummyHash;
  }
}

function preHash(password: string): string {
  return createHash('sha384').update(password, 'utf8').digest('base64');
}
