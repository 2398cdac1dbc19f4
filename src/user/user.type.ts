import { Directive, Field, ID, ObjectType, registerEnumType } from 'type-graphql';
import { Role } from './user.model';

registerEnumType(Role, { name: 'Role', description: 'What a user may do beyond their own account.' });

@ObjectType({ description: 'An account.' })
export class User {
  @Field(() => ID)
  id!: string;

  @Field({ description: 'Readable only by the user themself or an ADMIN.' })
  @Directive('@auth(requires: ADMIN, self: true, beforeSecondFactor: true)')
  email!: string;

  @Field({ description: 'True once the user proved they receive mail at this address (verifyEmail, confirmEmailChange).' })
  emailVerified!: boolean;

  @Field()
  displayName!: string;

  @Field(() => [Role])
  roles!: Role[];

  @Field()
  createdAt!: Date;
}
