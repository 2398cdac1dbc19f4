import { Arg, Ctx, Directive, FieldResolver, ID, Mutation, Resolver, Root } from 'type-graphql';
import type { GraphQLContext } from '../graphql/context';
import { User } from '../user/user.type';
import type { DeviceService } from './device.service';
import { KnownDevice } from './device.type';

@Resolver(() => User)
export class DeviceResolver {
  constructor(private readonly devices: DeviceService) {}

  @FieldResolver(() => [KnownDevice], { description: "The user's known devices, most recently used first." })
  @Directive('@auth(requires: ADMIN, self: true)')
  async knownDevices(@Root() user: User, @Ctx() { caller }: GraphQLContext): Promise<KnownDevice[]> {
    const current = this.devices.presentedDeviceId(caller);
    return (await this.devices.listDevices(user.id)).map((device) => KnownDevice.from(device, current));
  }

  @Mutation(() => Boolean, { description: 'Forgets one of my known devices (its attempts then count as any other client\'s); false for ids that are not mine.' })
  @Directive('@auth')
  async forgetDevice(@Arg('id', () => ID, { description: 'The `id` of one of my known devices (KnownDevice.id).' }) id: string, @Ctx() { caller }: GraphQLContext): Promise<boolean> {
    return this.devices.forgetDevice(caller, id);
  }
}
