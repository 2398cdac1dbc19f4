import { getDirective, MapperKind, mapSchema } from '@graphql-tools/utils';
import {
  defaultFieldResolver,
  DirectiveLocation,
  GraphQLBoolean,
  GraphQLDirective,
  GraphQLEnumType,
  GraphQLNonNull,
  GraphQLSchema,
} from 'graphql';
import type { Viewer } from '../session/session.model';
import { forbidden, unauthenticated } from '../shared/app-error';
import { Role } from '../user/user.model';
import type { GraphQLContext } from './context';

interface AuthRule {
  requires: Role;
  self: boolean;
}

const ROOT_TYPES = new Set(['Query', 'Mutation', 'Subscription']);

/**
 * Declares `@auth` and `@public` on the schema and makes them the one mechanism of
 * field-level authorization:
 * - `@auth(requires: Role = USER, self: Boolean = false)`: a valid session is needed, and
 *   the role; with `self: true` the user the parent object describes may read it too.
 * - `@public`: open to anonymous callers.
 * Root fields are denied by default: building the schema fails if one carries neither.
 */
export function applyAuthDirectives(schema: GraphQLSchema): GraphQLSchema {
  const roleType = schema.getType('Role');
  if (!(roleType instanceof GraphQLEnumType)) throw new Error('the schema has no Role enum for @auth');
  const withDeclarations = new GraphQLSchema({
    ...schema.toConfig(),
    directives: [...schema.getDirectives(), authDirective(roleType), publicDirective],
  });
  return mapSchema(withDeclarations, {
    [MapperKind.OBJECT_FIELD]: (field, fieldName, typeName, currentSchema) => {
      const rule = getDirective(currentSchema, field, 'auth')?.[0] as AuthRule | undefined;
      const isPublic = getDirective(currentSchema, field, 'public') !== undefined;
      if (rule && isPublic) throw new Error(`${typeName}.${fieldName} is marked both @auth and @public`);
      if (!rule) {
        if (ROOT_TYPES.has(typeName) && !isPublic) {
          throw new Error(`${typeName}.${fieldName} has no authorization rule: add @auth(...) or @public`);
        }
        return field;
      }
      const resolve = field.resolve ?? defaultFieldResolver;
      return {
        ...field,
        resolve: async (parent, args, context: GraphQLContext, info) => {
          enforce(rule, parent, await context.caller.viewer());
          return resolve(parent, args, context, info);
        },
      };
    },
  });
}

function enforce(rule: AuthRule, parent: unknown, viewer: Viewer | null): void {
  if (!viewer) throw unauthenticated();
  if (viewer.user.roles.includes(rule.requires)) return;
  if (rule.self && isRecordOf(parent, viewer.user.id)) return;
  throw forbidden();
}

function isRecordOf(parent: unknown, userId: string): boolean {
  return typeof parent === 'object' && parent !== null && (parent as { id?: unknown }).id === userId;
}

function authDirective(roleType: GraphQLEnumType): GraphQLDirective {
  return new GraphQLDirective({
    name: 'auth',
    description: 'Needs a valid session with the given role; with `self: true`, the user this object describes may also read it.',
    locations: [DirectiveLocation.FIELD_DEFINITION],
    args: {
      requires: { type: new GraphQLNonNull(roleType), defaultValue: Role.USER },
      self: { type: new GraphQLNonNull(GraphQLBoolean), defaultValue: false },
    },
  });
}

const publicDirective = new GraphQLDirective({
  name: 'public',
  description: 'Open to anonymous callers. Root fields without @public or @auth are refused when the schema is built.',
  locations: [DirectiveLocation.FIELD_DEFINITION],
});
