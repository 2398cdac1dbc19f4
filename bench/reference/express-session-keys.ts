/**
 * What the benchmark and the express-session reference server agree on: where the server
 * keeps its data on the benchmark's Redis (apart from sessionql's `sq:` keys), and how a
 * session is opened.
 */

const KEY_PREFIX = 'reference-express-session:';

/** connect-redis's `prefix`: session keys are this plus the session id. */
export const SESSION_KEY_PREFIX = `${KEY_PREFIX}sess:`;

/** The key of a user record, a JSON `UserRecord` that the benchmark writes with SET. */
export function userRecordKey(userId: string): string {
  return `${KEY_PREFIX}user:${userId}`;
}

export interface UserRecord {
  id: string;
  email: string;
  displayName: string;
  roles: string[];
  /** ISO 8601 */
  createdAt: string;
}

/** POST a JSON `{ "userId": "…" }`: answers 204 with the session cookie (connect.sid). */
export const LOGIN_PATH = '/login';
