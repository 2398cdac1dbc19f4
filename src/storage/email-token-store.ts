import type { EmailTokenKind, EmailTokenRecord } from '../account/email-token.model';

/**
 * The one store of every mailed single-use token (password reset, email verification, email
 * change): hashes only, each with its expiry, at most one of each kind per user.
 */
export interface EmailTokenStore {
  /** Stores the user's token of this kind, replacing (and so invalidating) any older one. */
  issueToken(token: EmailTokenRecord): Promise<void>;
  /**
   * Takes the user's token of this kind if it is this one (id and secret hash) and has not
   * expired by the store's clock: returns it and deletes it in one atomic step, so that it
   * works once. Null otherwise (used, superseded, expired, or never issued).
   */
  consumeToken(kind: EmailTokenKind, userId: string, tokenId: string, secretHash: string): Promise<EmailTokenRecord | null>;
}
