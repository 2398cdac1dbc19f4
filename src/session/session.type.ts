import { Field, ID, Int, ObjectType, registerEnumType } from 'type-graphql';
import { SessionTransport, type SessionRecord } from './session.model';

registerEnumType(SessionTransport, {
  name: 'SessionTransport',
  description: 'How the client carries its token.',
  valuesConfig: {
    COOKIE: { description: 'An HttpOnly cookie set by the server (browsers).' },
    HEADER: { description: 'An `Authorization: Bearer` header (mobile and other non-browser clients).' },
  },
});

@ObjectType({ description: 'A signed-in device or browser.' })
export class Session {
  @Field(() => ID, { description: 'A public handle, never the secret token.' })
  id!: string;

  @Field({ description: 'True for the session that made this request.' })
  current!: boolean;

  @Field(() => SessionTransport)
  transport!: SessionTransport;

  @Field()
  createdAt!: Date;

  @Field()
  lastSeenAt!: Date;

  @Field({ description: 'Idle expiry: slides forward with use.' })
  expiresAt!: Date;

  @Field({ description: 'Hard cap: never extended.' })
  absoluteExpiresAt!: Date;

  @Field(() => String, { nullable: true })
  ipAddress!: string | null;

  @Field(() => String, { nullable: true })
  userAgent!: string | null;

  @Field(() => Int, { description: 'Authenticator assurance level: 1 = a password only, 2 = a password and a second factor.' })
  aal!: number;

  @Field({ description: 'The last time a credential was presented for this session (login, stepUp).' })
  authenticatedAt!: Date;

  /** Not a GraphQL field: resolves `user`. */
  userId!: string;

  static from(record: SessionRecord, currentSessionId: string | undefined): Session {
    const { secretHash: _secretHash, ...visible } = record;
    return Object.assign(new Session(), visible, { current: record.id === currentSessionId });
  }
}
