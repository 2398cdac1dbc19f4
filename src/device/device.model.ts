/**
 * A browser or app that signed in to an account before (the OWASP "device cookie"): its
 * password attempts for that account count on a budget of its own, so that failures from
 * elsewhere cannot lock its owner out.
 */
export interface KnownDeviceRecord {
  id: string;
  userId: string;
  /** SHA-256 of the device token's secret: the store never holds a usable token. */
  secretHash: string;
  createdAt: Date;
  lastUsedAt: Date;
  /** lastUsedAt plus the lifetime: a device unused that long is forgotten. */
  expiresAt: Date;
  ipAddress: string | null;
  userAgent: string | null;
}

export const KNOWN_DEVICE_LIMITS = {
  /** Beyond it, remembering a new device forgets the least recently used one. */
  maxDevicesPerUser: 20,
  /** How long a device stays known without signing in again. */
  lifetimeSeconds: 180 * 86_400,
} as const;
