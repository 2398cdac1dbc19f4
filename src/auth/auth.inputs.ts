import { Field, InputType } from 'type-graphql';
import { SessionTransport } from '../session/session.model';
import { CREDENTIAL_DESCRIPTIONS, EMAIL_MAX_LENGTH } from './credentials-policy';

const TRANSPORT_DESCRIPTION =
  'How the new session\'s token travels: COOKIE (the default) in an HttpOnly cookie; HEADER returned once as AuthPayload.token, to send as `Authorization: Bearer`.';

@InputType({ description: 'A new account: its address, password and display name, and how its first session\'s token travels.' })
export class SignUpInput {
  @Field({ description: `The new account's address, at most ${EMAIL_MAX_LENGTH} characters, not used by another account; a verification link is mailed to it.` })
  email!: string;

  @Field({ description: CREDENTIAL_DESCRIPTIONS.newPassword })
  password!: string;

  @Field(() => String, { nullable: true, description: `${CREDENTIAL_DESCRIPTIONS.displayName} Defaults to the part of the email before the @.` })
  displayName?: string | null;

  @Field(() => SessionTransport, { nullable: true, defaultValue: SessionTransport.COOKIE, description: TRANSPORT_DESCRIPTION })
  transport?: SessionTransport | null;
}

@InputType({ description: 'An address and password to sign in with, and how the new session\'s token travels.' })
export class LoginInput {
  @Field({ description: CREDENTIAL_DESCRIPTIONS.accountEmail })
  email!: string;

  @Field({ description: CREDENTIAL_DESCRIPTIONS.accountPassword })
  password!: string;

  @Field(() => SessionTransport, { nullable: true, defaultValue: SessionTransport.COOKIE, description: TRANSPORT_DESCRIPTION })
  transport?: SessionTransport | null;
}

@InputType({ description: 'Credentials presented again on this session: the password, or (with two-factor) a code, or both.' })
export class StepUpInput {
  @Field(() => String, { nullable: true, description: CREDENTIAL_DESCRIPTIONS.accountPassword })
  password?: string | null;

  @Field(() => String, { nullable: true, description: 'A current TOTP code or an unused recovery code.' })
  code?: string | null;
}

@InputType({ description: 'The current password, which proves it is you, and the new one.' })
export class ChangePasswordInput {
  @Field({ description: CREDENTIAL_DESCRIPTIONS.accountPassword })
  currentPassword!: string;

  @Field({ description: CREDENTIAL_DESCRIPTIONS.newPassword })
  newPassword!: string;
}
