import { Field, ID, ObjectType, registerEnumType } from 'type-graphql';
import type { SessionEndReason as StoredSessionEndReason, SessionEvent as SessionEventRecord } from './session.store';

/** The GraphQL names of SessionEndReason; the values are what the stores record. */
export enum SessionEndReason {
  LOGOUT = 'logout',
  REVOKED_BY_USER = 'revoked_by_user',
  REVOKED_BY_ADMIN = 'revoked_by_admin',
  PASSWORD_CHANGE = 'password_change',
  REPLACED_BY_LOGIN = 'replaced_by_login',
  EVICTED_OVER_CAP = 'evicted_over_cap',
  EXPIRED = 'expired',
}

// A Record, so that a reason the stores gain but GraphQL cannot name fails to compile.
const GRAPHQL_REASONS: Record<StoredSessionEndReason, SessionEndReason> = {
  logout: SessionEndReason.LOGOUT,
  revoked_by_user: SessionEndReason.REVOKED_BY_USER,
  revoked_by_admin: SessionEndReason.REVOKED_BY_ADMIN,
  password_change: SessionEndReason.PASSWORD_CHANGE,
  replaced_by_login: SessionEndReason.REPLACED_BY_LOGIN,
  evicted_over_cap: SessionEndReason.EVICTED_OVER_CAP,
  expired: SessionEndReason.EXPIRED,
};

registerEnumType(SessionEndReason, {
  name: 'SessionEndReason',
  description: 'Why a session ended.',
  valuesConfig: {
    LOGOUT: { description: 'The user signed out.' },
    REVOKED_BY_USER: { description: 'The user ended it from another session (revokeSession, revokeOtherSessions).' },
    REVOKED_BY_ADMIN: { description: 'An ADMIN ended it (revokeUserSessions).' },
    PASSWORD_CHANGE: { description: 'The user changed their password from another session.' },
    REPLACED_BY_LOGIN: { description: 'It was presented with a new login or sign-up, which replaces it.' },
    EVICTED_OVER_CAP: { description: 'A newer session took the user over SESSION_MAX_PER_USER; the least recently used ended.' },
    EXPIRED: { description: 'It reached its idle or absolute expiry (recorded when the store noticed).' },
  },
});

@ObjectType({ description: "One entry of a user's session audit trail: a session that ended, why, by whom, and when." })
export class SessionEvent {
  @Field(() => ID, { description: 'The id of the session that ended.' })
  sessionId!: string;

  @Field(() => SessionEndReason)
  reason!: SessionEndReason;

  @Field(() => ID, { nullable: true, description: 'The user who ended it (the owner or an ADMIN); null when the system did (expiry, the cap).' })
  actorId!: string | null;

  @Field({ description: 'When it ended; for an expiry, the moment it expired.' })
  occurredAt!: Date;

  static from(event: SessionEventRecord): SessionEvent {
    return Object.assign(new SessionEvent(), {
      sessionId: event.sessionId,
      reason: GRAPHQL_REASONS[event.reason],
      actorId: event.actorId,
      occurredAt: event.at,
    });
  }
}
