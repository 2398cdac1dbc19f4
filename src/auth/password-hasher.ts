import { createHash, randomBytes } from 'node:crypto';
import bcrypt from 'bcrypt';

/**
 * bcrypt with a SHA-384 pre-hash: bcrypt reads only the first 72 bytes of its input,
 * and the policy allows passwords up to 128 bytes. The pre-hash (base64, 64 bytes, no
 * NUL) makes every byte count.
 */
export class PasswordHasher {
  private dummyHash: Promise<string> | undefined;

  constructor(private readonly cost: number) {}

  hash(password: string): Promise<string> {
    return bcrypt.hash(preHash(password), this.cost);
  }

  verify(password: string, passwordHash: string): Promise<boolean> {
    return bcrypt.compare(preHash(password), passwordHash);
  }

  /**
   * Spends the same time as verify() against a real hash and returns false: a login for
   * an unknown email must not answer faster than one with a wrong password.
   */
  async verifyAgainstDummy(password: string): Promise<false> {
    this.dummyHash ??= this.hash(randomBytes(16).toString('hex'));
    await bcrypt.compare(preHash(password), await this.dummyHash);
    return false;
  }

  /** Computes the dummy hash ahead of the first unknown-email login. */
  async warmUp(): Promise<void> {
    await this.verifyAgainstDummy('');
  }
}

function preHash(password: string): string {
  return createHash('sha384').update(password, 'utf8').digest('base64');
}
