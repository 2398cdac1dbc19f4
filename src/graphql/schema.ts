import 'reflect-metadata';
import { printSchemaWithDirectives } from '@graphql-tools/utils';
import { lexicographicSortSchema, type GraphQLSchema } from 'graphql';
import { buildSchema, type ContainerType } from 'type-graphql';
import { AuthResolver } from '../auth/auth.resolver';
import { SessionEventResolver } from '../session/session-event.resolver';
import { SessionResolver } from '../session/session.resolver';
import { UserResolver } from '../user/user.resolver';
import { applyAuthDirectives } from './auth-directive';

export const RESOLVERS = [AuthResolver, SessionResolver, SessionEventResolver, UserResolver] as const;

export interface SchemaOptions {
  /** Supplies resolver instances (with their services); omitted when only printing. */
  container?: ContainerType;
}

export async function buildAppSchema(options: SchemaOptions = {}): Promise<GraphQLSchema> {
  const schema = await buildSchema({
    resolvers: [...RESOLVERS],
    validate: false,
    ...(options.container ? { container: options.container } : {}),
  });
  return applyAuthDirectives(schema);
}

/** The SDL committed as schema/schema.graphql: sorted, with the auth directives kept. */
export function printAppSchema(schema: GraphQLSchema): string {
  return `${printSchemaWithDirectives(lexicographicSortSchema(schema)).trim()}\n`;
}
