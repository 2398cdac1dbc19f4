import type { KnownDeviceRecord } from '../../device/device.model';
import type { Clock } from '../../shared/clock';
import type { DeviceStore } from '../device-store';
import { REMEMBER_DEVICE, TOUCH_DEVICE } from './device.scripts';
import { callStore } from './errors';
import type { RedisKeyspace } from './keyspace';
import { decodeDeviceRecord, DEVICE_EXPIRES_LUA_POSITION, DEVICE_LAST_USED_LUA_POSITION, encodeDeviceRecord } from './records';
import type { RedisClient } from './redis-client';
import { scriptRunner, type ScriptRunner } from './script-runner';

export class RedisDeviceStore implements DeviceStore {
  private readonly runScript: ScriptRunner;

  constructor(
    private readonly redis: RedisClient,
    private readonly keys: RedisKeyspace,
    private readonly clock: Clock,
  ) {
    this.runScript = scriptRunner(redis, [REMEMBER_DEVICE, TOUCH_DEVICE]);
  }

  async rememberDevice(device: KnownDeviceRecord, maxDevicesPerUser: number): Promise<string[]> {
    const forgotten = await callStore(() =>
      this.runScript(
        REMEMBER_DEVICE,
        [this.keys.devices(device.userId)],
        [
          device.id,
          encodeDeviceRecord(device),
          device.expiresAt.getTime(),
          this.clock.now().getTime(),
          maxDevicesPerUser,
          DEVICE_LAST_USED_LUA_POSITION,
          DEVICE_EXPIRES_LUA_POSITION,
        ],
      ),
    );
    return forgotten as string[];
  }

  async findDevice(userId: string, deviceId: string): Promise<KnownDeviceRecord | null> {
    const raw = await callStore(() => this.redis.hget(this.keys.devices(userId), deviceId));
    const device = raw ? decodeDeviceRecord(userId, deviceId, raw) : null;
    return device && device.expiresAt > this.clock.now() ? device : null;
  }

  async touchDevice(device: KnownDeviceRecord): Promise<boolean> {
    const touched = await callStore(() =>
      this.runScript(
        TOUCH_DEVICE,
        [this.keys.devices(device.userId)],
        [device.id, encodeDeviceRecord(device), device.expiresAt.getTime(), this.clock.now().getTime(), DEVICE_EXPIRES_LUA_POSITION],
      ),
    );
    return touched === 1;
  }

  async listDevices(userId: string): Promise<KnownDeviceRecord[]> {
    const entries = await callStore(() => this.redis.hgetall(this.keys.devices(userId)));
    const now = this.clock.now();
    return Object.entries(entries)
      .map(([deviceId, raw]) => decodeDeviceRecord(userId, deviceId, raw))
      .filter((device) => device.expiresAt > now);
  }

  async forgetDevice(userId: string, deviceId: string): Promise<boolean> {
    // An expired device is already forgotten: its field goes, but that ends nothing.
    const live = (await this.findDevice(userId, deviceId)) !== null;
    const deleted = await callStore(() => this.redis.hdel(this.keys.devices(userId), deviceId));
    return live && deleted === 1;
  }
}
