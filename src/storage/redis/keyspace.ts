import { createHash } from 'node:crypto';

/**
 * Every key of one user (record, sessions, session events, account events, devices, mailed tokens) carries the hash tag
 * `{u:<userId>}`, so Redis Cluster puts them in one slot and a Lua script or MULTI can
 * change them together. Only the email lookup key lives elsewhere: it is read before the
 * user id is known.
 */
export class RedisKeyspace {
  constructor(readonly prefix: string = 'sq:') {
    if (/[{}]/.test(prefix)) throw new Error('Redis key prefix must not contain hash-tag braces');
  }

  user(userId: string): string {
    return `${this.prefix}{u:${userId}}:user`;
  }

  /** The user's sessions: a hash of session id → record (see session.scripts.ts). */
  sessions(userId: string): string {
    return `${this.prefix}{u:${userId}}:sessions`;
  }

  /** A SCAN MATCH pattern for every user's sessions key. */
  everyUsersSessions(): string {
    return `${globEscape(this.prefix)}{u:*}:sessions`;
  }

  /** The user id in a key that `sessions` made. */
  userIdOfSessions(key: string): string {
    return key.slice(`${this.prefix}{u:`.length, -'}:sessions'.length);
  }

  /** Earlier versions kept each session in a key of its own: this plus the session id (read only to move them). */
  oldLayoutSessionKeyPrefix(userId: string): string {
    return `${this.prefix}{u:${userId}}:s:`;
  }

  /** Set once every user's sessions are in the current layout (see session-layout-migration.ts). */
  sessionLayoutMarker(): string {
    return `${this.prefix}layout:sessions`;
  }

  /** The user's audit trail of ended sessions: a sorted set scored by the time each ended. */
  sessionEvents(userId: string): string {
    return `${this.prefix}{u:${userId}}:events`;
  }

  /** The user's account audit trail (second-factor events): a sorted set scored by time. */
  accountEvents(userId: string): string {
    return `${this.prefix}{u:${userId}}:account-events`;
  }

  /** The user's known devices: a hash of device id → record. */
  devices(userId: string): string {
    return `${this.prefix}{u:${userId}}:devices`;
  }

  /** The user's mailed token of one kind (one per kind). */
  emailToken(userId: string, kind: string): string {
    return `${this.prefix}{u:${userId}}:token:${kind}`;
  }

  /** Hashed so that keys hold no personal data and no characters that need care. */
  email(normalizedEmail: string): string {
    const digest = createHash('sha256').update(normalizedEmail).digest('base64url');
    return `${this.prefix}email:${digest}`;
  }
}

/** Escapes SCAN MATCH's glob characters, so that a prefix matches only itself. */
export function globEscape(text: string): string {
  return text.replace(/[*?[\]\\]/g, '\\$&');
}
