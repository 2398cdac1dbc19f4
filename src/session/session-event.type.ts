import { Field, ID, ObjectType, registerEnumType } from 'type-graphql';
import { SESSION_END_REASON_NAMES, SESSION_END_REASONS, type SessionEndReason as StoredSessionEndReason } from './session-end-reason';
import type { SessionEvent as SessionEventRecord } from './session.model';

/** The GraphQL enum of session end reasons, derived from the reasons table: names → stored reasons. */
export const SessionEndReason = Object.fromEntries(
  SESSION_END_REASON_NAMES.map((reason) => [SESSION_END_REASONS[reason].graphqlName, reason]),
) as { [Reason in StoredSessionEndReason as (typeof SESSION_END_REASONS)[Reason]['graphqlName']]: Reason };

registerEnumType(SessionEndReason, {
  name: 'SessionEndReason',
  description: 'Why a session ended.',
  valuesConfig: Object.fromEntries(
    SESSION_END_REASON_NAMES.map((reason) => [SESSION_END_REASONS[reason].graphqlName, { description: SESSION_END_REASONS[reason].description }]),
  ),
});

@ObjectType({ description: "One entry of a user's session audit trail: a session that ended, why, by whom, and when." })
export class SessionEvent {
  @Field(() => ID, { description: 'The id of the session that ended.' })
  sessionId!: string;

  @Field(() => SessionEndReason, { description: 'Why it ended.' })
  reason!: StoredSessionEndReason;

  @Field(() => ID, { nullable: true, description: 'The user who ended it (the owner or an ADMIN); null when the system did (expiry, the cap).' })
  actorId!: string | null;

  @Field({ description: 'When it ended; for an expiry, the moment it expired.' })
  occurredAt!: Date;

  static from(event: SessionEventRecord): SessionEvent {
    return Object.assign(new SessionEvent(), {
      sessionId: event.sessionId,
      reason: event.reason,
      actorId: event.actorId,
      occurredAt: event.at,
    });
  }
}
