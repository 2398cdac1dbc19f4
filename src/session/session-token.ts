import { signToken, verifyToken } from '../shared/signed-token';

export { hashTokenSecret, newTokenSecret, secretHashesMatch } from '../shared/signed-token';

/** A session token: `v1.<userId>.<sessionId>.<secret>.<mac>` (see shared/signed-token.ts). */
export interface SessionTokenParts {
  userId: string;
  sessionId: string;
  secret: string;
}

const SESSION_TOKEN_KIND = 'v1';

export function signSessionToken(parts: SessionTokenParts, signingSecret: string): string {
  return signToken(SESSION_TOKEN_KIND, { userId: parts.userId, id: parts.sessionId, secret: parts.secret }, signingSecret);
}

/** The token's parts when it is a well-formed session token signed by any of the secrets, otherwise null. */
export function verifySessionToken(token: string, verificationSecrets: readonly string[]): SessionTokenParts | null {
  const parts = verifyToken(SESSION_TOKEN_KIND, token, verificationSecrets);
  return parts ? { userId: parts.userId, sessionId: parts.id, secret: parts.secret } : null;
}
