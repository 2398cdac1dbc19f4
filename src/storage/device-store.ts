import type { KnownDeviceRecord } from '../device/device.model';

/**
 * Where a user's known devices live, bounded per user (the least recently used go first) and
 * forgotten once expired. "Now" comes from the store's clock.
 */
export interface DeviceStore {
  /** Stores a new device; when the user then has more than `maxDevicesPerUser`, the least recently used are forgotten in the same step (their ids returned). */
  rememberDevice(device: KnownDeviceRecord, maxDevicesPerUser: number): Promise<string[]>;
  /** The device, or null when it is unknown or expired. */
  findDevice(userId: string, deviceId: string): Promise<KnownDeviceRecord | null>;
  /** Stores a known device's new lastUsedAt, expiresAt and client details; false when it is gone. */
  touchDevice(device: KnownDeviceRecord): Promise<boolean>;
  /** The user's unexpired devices, in no particular order. */
  listDevices(userId: string): Promise<KnownDeviceRecord[]>;
  /** Forgets one device of this user; false when there was none. */
  forgetDevice(userId: string, deviceId: string): Promise<boolean>;
}
