import { Field, InputType } from 'type-graphql';
import { CREDENTIAL_DESCRIPTIONS } from '../auth/credentials-policy';
import { linkTokenDescription } from './email-tokens';

@InputType({ description: 'A new password, set from the link of a password-reset mail.' })
export class ResetPasswordInput {
  @Field({ description: linkTokenDescription('password_reset') })
  token!: string;

  @Field({ description: CREDENTIAL_DESCRIPTIONS.newPassword })
  newPassword!: string;
}

@InputType({ description: 'A change of the account\'s address, confirmed from a link mailed to the new one.' })
export class RequestEmailChangeInput {
  @Field({ description: 'The address to move to; it must not belong to another account.' })
  newEmail!: string;

  @Field({ description: CREDENTIAL_DESCRIPTIONS.accountPassword })
  currentPassword!: string;
}

@InputType({ description: 'What to change of the signed-in user\'s profile; a field left out stays as it is.' })
export class UpdateProfileInput {
  @Field(() => String, { nullable: true, description: CREDENTIAL_DESCRIPTIONS.displayName })
  displayName?: string | null;
}
