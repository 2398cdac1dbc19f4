import type { KnownDeviceRecord } from '../../device/device.model';
import type { DeviceStore } from '../device-store';
import { copyDevice, type MemoryDatabase } from './memory-database';

/** The in-process DeviceStore: same contract as the Redis one, for a single process. */
export class MemoryDeviceStore implements DeviceStore {
  constructor(private readonly db: MemoryDatabase) {}

  async rememberDevice(device: KnownDeviceRecord, maxDevicesPerUser: number): Promise<string[]> {
    const devices = this.db.liveDevicesOf(device.userId);
    devices.set(device.id, copyDevice(device));
    this.db.devicesByUser.set(device.userId, devices);
    const forgotten: string[] = [];
    const leastRecentlyUsedFirst = [...devices.values()]
      .filter((other) => other.id !== device.id)
      .sort((a, b) => a.lastUsedAt.getTime() - b.lastUsedAt.getTime());
    for (const victim of leastRecentlyUsedFirst) {
      if (devices.size <= maxDevicesPerUser) break;
      devices.delete(victim.id);
      forgotten.push(victim.id);
    }
    return forgotten;
  }

  async findDevice(userId: string, deviceId: string): Promise<KnownDeviceRecord | null> {
    const device = this.db.liveDevicesOf(userId).get(deviceId);
    return device ? copyDevice(device) : null;
  }

  async touchDevice(device: KnownDeviceRecord): Promise<boolean> {
    const devices = this.db.liveDevicesOf(device.userId);
    if (!devices.has(device.id)) return false;
    devices.set(device.id, copyDevice(device));
    return true;
  }

  async listDevices(userId: string): Promise<KnownDeviceRecord[]> {
    return [...this.db.liveDevicesOf(userId).values()].map((device) => copyDevice(device));
  }

  async forgetDevice(userId: string, deviceId: string): Promise<boolean> {
    return this.db.liveDevicesOf(userId).delete(deviceId);
  }
}
