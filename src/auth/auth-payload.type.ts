import { Field, ObjectType } from 'type-graphql';
import { Session } from '../session/session.type';
import { User } from '../user/user.type';

@ObjectType({ description: 'The result of signing up or logging in.' })
export class AuthPayload {
  @Field(() => User)
  user!: User;

  @Field(() => Session)
  session!: Session;

  @Field(() => String, {
    nullable: true,
    description: 'The bearer token, returned once, only for transport HEADER; null otherwise.',
  })
  token!: string | null;

  @Field(() => String, {
    nullable: true,
    description:
      'For transport HEADER: a new known-device token when this client was not known yet (null when it presented one). Send it back as `X-Device-Token` with later logins: their attempts are then throttled on this device\'s own budget. Browsers get it as an HttpOnly cookie instead.',
  })
  deviceToken!: string | null;
}
