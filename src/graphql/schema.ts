import 'reflect-metadata';
import { MapperKind, mapSchema, printSchemaWithDirectives } from '@graphql-tools/utils';
import { GraphQLObjectType, lexicographicSortSchema, type GraphQLSchema } from 'graphql';
import { buildSchema } from 'type-graphql';
import { AccountResolver } from '../account/account.resolver';
import type { AccountService } from '../account/account.service';
import { AuthResolver } from '../auth/auth.resolver';
import type { AuthService } from '../auth/auth.service';
import { DeviceResolver } from '../device/device.resolver';
import type { DeviceService } from '../device/device.service';
import { SessionEventResolver } from '../session/session-event.resolver';
import { SessionResolver } from '../session/session.resolver';
import type { SessionService } from '../session/session.service';
import { TwoFactorResolver } from '../two-factor/two-factor.resolver';
import type { TwoFactorService } from '../two-factor/two-factor.service';
import { UserResolver } from '../user/user.resolver';
import type { UserService } from '../user/user.service';
import { systemClock } from '../shared/clock';
import { applyAuthDirectives, type AuthPolicy } from './auth-directive';
import { assertEveryListHasABound } from './query-cost';

/** What resolvers are built from. */
export interface ResolverServices {
  auth: AuthService;
  sessions: SessionService;
  users: UserService;
  devices: DeviceService;
  account: AccountService;
  twoFactor: TwoFactorService;
}

interface ResolverEntry<T extends object> {
  resolverClass: new (...args: never[]) => T;
  create(services: ResolverServices): T;
}

function resolver<T extends object>(resolverClass: new (...args: never[]) => T, create: (services: ResolverServices) => T): ResolverEntry<T> {
  return { resolverClass, create };
}

/** Every resolver of the schema, once: its class and how it is built from the services. */
const RESOLVERS = [
  resolver(AuthResolver, ({ auth, sessions }) => new AuthResolver(auth, sessions)),
  resolver(SessionResolver, ({ sessions, users }) => new SessionResolver(sessions, users)),
  resolver(SessionEventResolver, ({ sessions }) => new SessionEventResolver(sessions)),
  resolver(UserResolver, ({ users, sessions }) => new UserResolver(users, sessions)),
  resolver(DeviceResolver, ({ devices }) => new DeviceResolver(devices)),
  resolver(AccountResolver, ({ account }) => new AccountResolver(account)),
  resolver(TwoFactorResolver, ({ twoFactor }) => new TwoFactorResolver(twoFactor)),
];

/** type-graphql makes the root types without a description, and takes none for them. */
const ROOT_TYPE_DESCRIPTIONS: Record<string, string> = {
  Query: 'What a client can read. Each field says who may: @public (anyone) or @auth (its rule).',
  Mutation: 'What a client can do. Each field says who may: @public (anyone) or @auth (its rule).',
};

function describeRootTypes(schema: GraphQLSchema): GraphQLSchema {
  return mapSchema(schema, {
    [MapperKind.ROOT_OBJECT]: (type) => new GraphQLObjectType({ ...type.toConfig(), description: ROOT_TYPE_DESCRIPTIONS[type.name] ?? type.description }),
  });
}

/** What a schema to print (no services) enforces: the defaults. */
const PRINTING_POLICY: AuthPolicy = { stepUpMaxAgeSeconds: 600, clock: systemClock };

/** The executable schema; without services it can be printed but not run. */
export async function buildAppSchema(services?: ResolverServices, policy: AuthPolicy = PRINTING_POLICY): Promise<GraphQLSchema> {
  const instances = new Map<Function, object>(services ? RESOLVERS.map((entry) => [entry.resolverClass, entry.create(services)]) : []);
  const schema = await buildSchema({
    resolvers: RESOLVERS.map((entry) => entry.resolverClass) as unknown as [Function, ...Function[]],
    validate: false,
    ...(services ? { container: { get: (resolverClass: Function) => instances.get(resolverClass) } } : {}),
  });
  assertEveryListHasABound(schema);
  return applyAuthDirectives(describeRootTypes(schema), policy);
}

/** The SDL committed as schema/schema.graphql: sorted, with the auth directives kept. */
export function printAppSchema(schema: GraphQLSchema): string {
  return `${printSchemaWithDirectives(lexicographicSortSchema(schema)).trim()}\n`;
}
