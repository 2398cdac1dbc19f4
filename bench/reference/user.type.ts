import { Field, ID, ObjectType, registerEnumType } from 'type-graphql';

/**
 * The shape of sessionql's `User` (schema/schema.graphql) for the reference servers:
 * the same fields and scalars, without its auth directive and its `sessions` field.
 */
export enum Role {
  USER = 'USER',
  ADMIN = 'ADMIN',
}

registerEnumType(Role, { name: 'Role' });

@ObjectType()
export class User {
  @Field(() => ID)
  id!: string;

  @Field()
  email!: string;

  @Field()
  displayName!: string;

  @Field(() => [Role])
  roles!: Role[];

  @Field()
  createdAt!: Date;
}
