import type { EmailTokenKind, EmailTokenRecord } from '../../account/email-token.model';
import type { EmailTokenStore } from '../email-token-store';
import type { MemoryDatabase } from './memory-database';

/** The in-process EmailTokenStore: same contract as the Redis one, for a single process. */
export class MemoryEmailTokenStore implements EmailTokenStore {
  constructor(private readonly db: MemoryDatabase) {}

  async issueToken(token: EmailTokenRecord): Promise<void> {
    const tokens = this.db.emailTokensByUser.get(token.userId) ?? new Map<EmailTokenKind, EmailTokenRecord>();
    tokens.set(token.kind, { ...token, expiresAt: new Date(token.expiresAt.getTime()) });
    this.db.emailTokensByUser.set(token.userId, tokens);
  }

  async consumeToken(kind: EmailTokenKind, userId: string, tokenId: string, secretHash: string): Promise<EmailTokenRecord | null> {
    const tokens = this.db.emailTokensByUser.get(userId);
    const token = tokens?.get(kind);
    if (!token || token.id !== tokenId || token.secretHash !== secretHash || token.expiresAt <= this.db.clock.now()) return null;
    tokens!.delete(kind);
    return token;
  }
}
