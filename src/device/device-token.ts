import { signToken, verifyToken } from '../shared/signed-token';

/** A device token: `d1.<userId>.<deviceId>.<secret>.<mac>` (see shared/signed-token.ts). */
export interface DeviceTokenParts {
  userId: string;
  deviceId: string;
  secret: string;
}

const DEVICE_TOKEN_KIND = 'd1';

export function signDeviceToken(parts: DeviceTokenParts, signingSecret: string): string {
  return signToken(DEVICE_TOKEN_KIND, { userId: parts.userId, id: parts.deviceId, secret: parts.secret }, signingSecret);
}

/** The token's parts when it is a well-formed device token signed by any of the secrets, otherwise null. */
export function verifyDeviceToken(token: string, verificationSecrets: readonly string[]): DeviceTokenParts | null {
  const parts = verifyToken(DEVICE_TOKEN_KIND, token, verificationSecrets);
  return parts ? { userId: parts.userId, deviceId: parts.id, secret: parts.secret } : null;
}
