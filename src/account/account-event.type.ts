import { Field, ID, ObjectType, registerEnumType } from 'type-graphql';
import { ACCOUNT_EVENT_KIND_NAMES, ACCOUNT_EVENT_KINDS, type AccountEvent as AccountEventRecord, type AccountEventKind as StoredKind } from './account-event.model';

/** The GraphQL enum of account event kinds, derived from the kinds table: names → stored kinds. */
export const AccountEventKind = Object.fromEntries(ACCOUNT_EVENT_KIND_NAMES.map((kind) => [ACCOUNT_EVENT_KINDS[kind].graphqlName, kind])) as {
  [Kind in StoredKind as (typeof ACCOUNT_EVENT_KINDS)[Kind]['graphqlName']]: Kind;
};

registerEnumType(AccountEventKind, {
  name: 'AccountEventKind',
  description: "What happened to an account's security.",
  valuesConfig: Object.fromEntries(ACCOUNT_EVENT_KIND_NAMES.map((kind) => [ACCOUNT_EVENT_KINDS[kind].graphqlName, { description: ACCOUNT_EVENT_KINDS[kind].description }])),
});

@ObjectType({ description: "One entry of a user's account audit trail: a second-factor event, on which session, and when." })
export class AccountEvent {
  @Field(() => AccountEventKind, { description: 'What happened.' })
  kind!: StoredKind;

  @Field(() => ID, { nullable: true, description: 'The session it happened on.' })
  sessionId!: string | null;

  @Field({ description: 'When it happened.' })
  occurredAt!: Date;

  static from(event: AccountEventRecord): AccountEvent {
    return Object.assign(new AccountEvent(), { kind: event.kind, sessionId: event.sessionId, occurredAt: event.at });
  }
}
