import { Field, ID, Int, ObjectType, registerEnumType } from 'type-graphql';
import { SessionTransport, type SessionRecord } from './session.model';
import { MAX_USER_AGENT_LENGTH } from './session.service';

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

  @Field(() => SessionTransport, { description: 'How its token travels, as chosen at sign-in.' })
  transport!: SessionTransport;

  @Field({ description: 'When it started (signUp or login).' })
  createdAt!: Date;

  @Field({ description: 'When a request last used it; written at most once a minute, so it may lag by up to a minute.' })
  lastSeenAt!: Date;

  @Field({ description: 'Idle expiry: slides forward with use.' })
  expiresAt!: Date;

  @Field({ description: 'Hard cap: never extended.' })
  absoluteExpiresAt!: Date;

  @Field(() => String, { nullable: true, description: 'The client address it signed in from (through trusted proxies, TRUST_PROXY); null when unknown.' })
  ipAddress!: string | null;

  @Field(() => String, { nullable: true, description: `The User-Agent it signed in with, cut to ${MAX_USER_AGENT_LENGTH} characters; null when none was sent.` })
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
