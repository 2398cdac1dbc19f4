import { Field, ObjectType } from 'type-graphql';

@ObjectType({ description: 'A new TOTP secret waiting for its first code (confirmTotpEnrollment), for 10 minutes. Show it once; nothing is on yet.' })
export class TotpEnrollment {
  @Field({ description: 'The secret in base32, for typing into an authenticator app.' })
  secret!: string;

  @Field({ description: 'The `otpauth://totp/…` URI (SHA-1, 6 digits, 30 seconds) that authenticator apps read from a QR code.' })
  otpauthUri!: string;

  @Field({ description: 'The URI as an SVG QR code, drawn by this server: no third-party service ever sees the secret. Show it as an image (e.g. a `data:image/svg+xml` URL).' })
  qrCodeSvg!: string;
}
