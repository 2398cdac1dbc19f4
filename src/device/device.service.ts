import type { Logger } from 'pino';
import type { Caller } from '../session/caller';
import type { ClientInfo } from '../session/session.model';
import type { Clock } from '../shared/clock';
import { ID_PATTERN, newId } from '../shared/ids';
import { hashTokenSecret, newTokenSecret, secretHashesMatch } from '../shared/signed-token';
import type { DeviceStore } from '../storage/device-store';
import { signDeviceToken, verifyDeviceToken } from './device-token';
import { KNOWN_DEVICE_LIMITS, type KnownDeviceRecord } from './device.model';

const MAX_USER_AGENT_LENGTH = 256;

/** What a sign-in leaves the client with: its device, and a new token when the device was not known yet. */
export interface SignedInDevice {
  device: KnownDeviceRecord;
  /** A token issued now (a device not known before), and until when it is good; null when the client already holds its token. */
  issued: { token: string; expiresAt: Date } | null;
}

export interface DeviceServiceDependencies {
  store: DeviceStore;
  /** SESSION_SECRETS: the first signs new device tokens, all verify. */
  secrets: readonly string[];
  clock: Clock;
  logger: Logger;
}

/**
 * Known devices (the OWASP "device cookie"): a client that completed a sign-in to an account
 * (with its second factor, when it has one) gets a signed token, and its password attempts
 * for that account are counted on a budget of their own (auth/login-throttle.ts), as are its
 * second-factor codes once it has completed a sign-in with the current factor
 * (two-factor/second-factor-throttle.ts).
 */
export class DeviceService {
  constructor(private readonly deps: DeviceServiceDependencies) {}

  /** The known device of this user that the presented token proves; null otherwise (a bad token is never an error). */
  async recognise(presentedToken: string | null, userId: string): Promise<KnownDeviceRecord | null> {
    const parts = presentedToken ? verifyDeviceToken(presentedToken, this.deps.secrets) : null;
    if (!parts || parts.userId !== userId) return null;
    const device = await this.deps.store.findDevice(userId, parts.deviceId);
    return device && secretHashesMatch(device.secretHash, hashTokenSecret(parts.secret)) ? device : null;
  }

  /**
   * After a successful sign-in from `client`: a recognised device is seen again (its lifetime
   * slides); any other client becomes a known device of the user, with a new token.
   */
  async signedIn(userId: string, options: { recognised: KnownDeviceRecord | null; client: ClientInfo }): Promise<SignedInDevice> {
    const now = this.deps.clock.now();
    const expiresAt = new Date(now.getTime() + KNOWN_DEVICE_LIMITS.lifetimeSeconds * 1000);
    const seen = {
      lastUsedAt: now,
      expiresAt,
      ipAddress: options.client.ipAddress,
      userAgent: options.client.userAgent?.slice(0, MAX_USER_AGENT_LENGTH) || null,
    };
    if (options.recognised) {
      const device = { ...options.recognised, ...seen };
      // Forgotten in the meantime (by the user, or the cap): then it is a new device after all.
      if (await this.deps.store.touchDevice(device)) return { device, issued: null };
    }
    const secret = newTokenSecret();
    const device: KnownDeviceRecord = { id: newId(), userId, secretHash: hashTokenSecret(secret), createdAt: now, ...seen };
    const forgotten = await this.deps.store.rememberDevice(device, KNOWN_DEVICE_LIMITS.maxDevicesPerUser);
    this.deps.logger.info({ userId, deviceId: device.id, forgottenDevices: forgotten.length }, 'device remembered');
    return { device, issued: { token: signDeviceToken({ userId, deviceId: device.id, secret }, this.deps.secrets[0]!), expiresAt } };
  }

  /** The user's known devices, most recently used first. */
  async listDevices(userId: string): Promise<KnownDeviceRecord[]> {
    const devices = await this.deps.store.listDevices(userId);
    return devices.sort((a, b) => b.lastUsedAt.getTime() - a.lastUsedAt.getTime() || a.id.localeCompare(b.id));
  }

  /** The id of the device whose token this request presented (its signature checked; not its secret). */
  presentedDeviceId(caller: Caller): string | null {
    const token = caller.presentedDevice;
    return token ? (verifyDeviceToken(token, this.deps.secrets)?.deviceId ?? null) : null;
  }

  /** Forgets one of the caller's devices (its password attempts then count as any other client's); false for ids that are not theirs. */
  async forgetDevice(caller: Caller, deviceId: string): Promise<boolean> {
    const viewer = await caller.signedInViewer();
    if (!ID_PATTERN.test(deviceId)) return false;
    const forgotten = await this.deps.store.forgetDevice(viewer.user.id, deviceId);
    if (forgotten && deviceId === this.presentedDeviceId(caller)) caller.deviceForgotten();
    return forgotten;
  }
}
