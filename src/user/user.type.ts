import { Directive, Field, ID, ObjectType, registerEnumType } from 'type-graphql';
import { Role } from './user.model';

registerEnumType(Role, {
  name: 'Role',
  description: 'What a user may do beyond their own account.',
  valuesConfig: {
    USER: { description: 'Every account: its own profile, sessions and devices.' },
    ADMIN: { description: 'May also read any user (user) with their email, sessions, devices and audit trails, and end their sessions (revokeUserSessions).' },
  },
});

@ObjectType({ description: 'An account.' })
export class User {
  @Field(() => ID, { description: 'A stable, opaque id; it stays when the email changes.' })
  id!: string;

  @Field({ description: 'Readable only by the user themself or an ADMIN.' })
  @Directive('@auth(requires: ADMIN, self: true, beforeSecondFactor: true)')
  email!: string;

  @Field({ description: 'True once the user proved they receive mail at this address (verifyEmail, confirmEmailChange).' })
  emailVerified!: boolean;

  @Field({ description: 'The name to greet the user by: chosen at signUp or with updateProfile, else the part of the email before the @.' })
  displayName!: string;

  @Field(() => [Role], { description: 'USER for every account, and ADMIN for administrators.' })
  roles!: Role[];

  @Field({ description: 'When the account was created (signUp).' })
  createdAt!: Date;
}
