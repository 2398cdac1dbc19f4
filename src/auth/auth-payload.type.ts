import { Field, ObjectType } from 'type-graphql';
import { SessionTransport, type SessionRecord } from '../session/session.model';
import { Session } from '../session/session.type';
import type { UserRecord } from '../user/user.model';
import { User } from '../user/user.type';

@ObjectType({ description: 'The result of signing up, logging in, or completing a sign-in with a second factor.' })
export class AuthPayload {
  @Field(() => User, { description: 'The signed-in user.' })
  user!: User;

  @Field(() => Session, { description: 'The signed-in session: a new one after signUp and login, this one after verifySecondFactor.' })
  session!: Session;

  @Field(() => String, {
    nullable: true,
    description: 'The bearer token, returned once, only for transport HEADER; null otherwise.',
  })
  token!: string | null;

  @Field(() => String, {
    nullable: true,
    description:
      'For transport HEADER: a new known-device token when this sign-in is complete and this client was not known yet (null when it presented one, and while a second factor is pending: verifySecondFactor returns it). Send it back as `X-Device-Token` with later logins and codes: their attempts are then throttled on this device\'s own budget. Browsers get it as an HttpOnly cookie instead.',
  })
  deviceToken!: string | null;

  @Field({
    description:
      'True when the account has two-factor on and this session still waits for verifySecondFactor: until then it can do nothing but that, logout and read `me` (other protected fields answer SECOND_FACTOR_REQUIRED), and it expires in minutes.',
  })
  secondFactorRequired!: boolean;

  /** The tokens reach the body only for HEADER sessions; a COOKIE session's went into cookies. */
  static from(result: { user: UserRecord; session: SessionRecord; token: string | null; deviceToken: string | null }): AuthPayload {
    const { user, session } = result;
    const inBody = session.transport === SessionTransport.HEADER;
    return Object.assign(new AuthPayload(), {
      user,
      session: Session.from(session, session.id),
      token: inBody ? result.token : null,
      deviceToken: inBody ? result.deviceToken : null,
      secondFactorRequired: session.secondFactorPending,
    });
  }
}
