import { Field, InputType } from 'type-graphql';
import { SessionTransport } from '../session/session.model';

@InputType()
export class SignUpInput {
  @Field()
  email!: string;

  @Field({ description: 'At least 10 characters, at most 128 bytes, not the email.' })
  password!: string;

  @Field(() => String, { nullable: true, description: 'Defaults to the part of the email before the @.' })
  displayName?: string | null;

  @Field(() => SessionTransport, { nullable: true, defaultValue: SessionTransport.COOKIE })
  transport?: SessionTransport | null;
}

@InputType()
export class LoginInput {
  @Field()
  email!: string;

  @Field()
  password!: string;

  @Field(() => SessionTransport, { nullable: true, defaultValue: SessionTransport.COOKIE })
  transport?: SessionTransport | null;
}

@InputType({ description: 'Credentials presented again on this session: the password, or (with two-factor) a code, or both.' })
export class StepUpInput {
  @Field(() => String, { nullable: true, description: 'The account\'s password.' })
  password?: string | null;

  @Field(() => String, { nullable: true, description: 'A current TOTP code or an unused recovery code.' })
  code?: string | null;
}

@InputType()
export class ChangePasswordInput {
  @Field()
  currentPassword!: string;

  @Field()
  newPassword!: string;
}
