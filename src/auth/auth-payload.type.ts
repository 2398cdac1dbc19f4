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
}
