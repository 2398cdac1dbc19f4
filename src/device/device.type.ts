import { Field, ID, ObjectType } from 'type-graphql';
import type { KnownDeviceRecord } from './device.model';

@ObjectType({ description: 'A browser or app that signed in to this account before: its password attempts are throttled on a budget of their own.' })
export class KnownDevice {
  @Field(() => ID, { description: 'A public handle, never the device token.' })
  id!: string;

  @Field({ description: 'True for the device that made this request (it presented this device\'s token).' })
  current!: boolean;

  @Field({ description: 'When it first signed in.' })
  createdAt!: Date;

  @Field({ description: 'When it last signed in.' })
  lastUsedAt!: Date;

  @Field({ description: 'When it is forgotten unless it signs in again.' })
  expiresAt!: Date;

  @Field(() => String, { nullable: true, description: 'The client address of its last sign-in.' })
  ipAddress!: string | null;

  @Field(() => String, { nullable: true, description: 'The User-Agent of its last sign-in.' })
  userAgent!: string | null;

  static from(record: KnownDeviceRecord, currentDeviceId: string | null): KnownDevice {
    const { secretHash: _secretHash, userId: _userId, ...visible } = record;
    return Object.assign(new KnownDevice(), visible, { current: record.id === currentDeviceId });
  }
}
