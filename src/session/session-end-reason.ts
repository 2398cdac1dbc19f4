/**
 * Why a session ended: the one table of this vocabulary. The type, the GraphQL enum, the
 * one-letter codes the Redis scripts store, the metric labels and the descriptions are all
 * derived from it, so a new reason is one line here.
 *
 * - `graphqlName`: the SessionEndReason enum value clients see.
 * - `storeCode`: one letter in the stored audit trail (see storage/redis/session.scripts.ts),
 *   which keeps each event small; never reuse a letter.
 * - `counted`: ended on purpose by this server, so counted in
 *   sessionql_sessions_ended_total{reason}; expiry happens inside the store, unobserved.
 */
export const SESSION_END_REASONS = {
  logout: { graphqlName: 'LOGOUT', storeCode: 'o', counted: true, description: 'The user signed out.' },
  revoked_by_user: {
    graphqlName: 'REVOKED_BY_USER',
    storeCode: 'u',
    counted: true,
    description: 'The user ended it from another session (revokeSession, revokeOtherSessions).',
  },
  revoked_by_admin: {
    graphqlName: 'REVOKED_BY_ADMIN',
    storeCode: 'a',
    counted: true,
    description: 'An ADMIN ended it (revokeUserSessions), or an operator with the admin CLI (disable-two-factor ends the sign-ins waiting for a code).',
  },
  password_change: {
    graphqlName: 'PASSWORD_CHANGE',
    storeCode: 'p',
    counted: true,
    description: 'The user changed their password from another session.',
  },
  replaced_by_login: {
    graphqlName: 'REPLACED_BY_LOGIN',
    storeCode: 'r',
    counted: true,
    description: 'It was presented with a new login or sign-up, which replaces it.',
  },
  password_reset: {
    graphqlName: 'PASSWORD_RESET',
    storeCode: 'x',
    counted: true,
    description: 'The password was reset through an emailed link, which ends every session.',
  },
  account_deleted: { graphqlName: 'ACCOUNT_DELETED', storeCode: 'd', counted: true, description: 'The user deleted their account.' },
  evicted_over_cap: {
    graphqlName: 'EVICTED_OVER_CAP',
    storeCode: 'c',
    counted: true,
    description: 'A newer session took the user over SESSION_MAX_PER_USER; the least recently used ended.',
  },
  expired: {
    graphqlName: 'EXPIRED',
    storeCode: 'e',
    counted: false,
    description: 'It reached its idle or absolute expiry (recorded when the store noticed).',
  },
} as const satisfies Record<string, { graphqlName: string; storeCode: string; counted: boolean; description: string }>;

export type SessionEndReason = keyof typeof SESSION_END_REASONS;

export const SESSION_END_REASON_NAMES = Object.keys(SESSION_END_REASONS) as SessionEndReason[];

/** Why a session is being ended, and by whom: a user's id, or null for the system. */
export interface SessionEnd {
  reason: SessionEndReason;
  actorId: string | null;
}
