import { getDirective, MapperKind, mapSchema } from '@graphql-tools/utils';
import {
  defaultFieldResolver,
  DirectiveLocation,
  GraphQLBoolean,
  GraphQLDirective,
  GraphQLEnumType,
  GraphQLInt,
  GraphQLNonNull,
  GraphQLSchema,
  GraphQLString,
} from 'graphql';
import type { Viewer } from '../session/session.model';
import { AppError, ErrorCode, forbidden, unauthenticated } from '../shared/app-error';
import type { Clock } from '../shared/clock';
import { parseDurationSeconds } from '../shared/duration';
import { Role } from '../user/user.model';
import type { GraphQLContext } from './context';

/** The arguments of one `@auth`, as written on a field. */
interface AuthArguments {
  requires: Role;
  self: boolean;
  verified: boolean;
  aal: number;
  maxAge?: string;
  fresh: boolean;
  beforeSecondFactor: boolean;
}

/** What a field needs, checked in this order (the first unmet need answers). */
interface AuthRule {
  requires: Role;
  self: boolean;
  verified: boolean;
  aal: number;
  /** How recent authenticatedAt must be; null: any age. */
  maxAgeSeconds: number | null;
  /** Open to a session that still waits for its second factor. */
  beforeSecondFactor: boolean;
}

export interface AuthPolicy {
  /** STEP_UP_MAX_AGE: what `@auth(fresh: true)` asks for. */
  stepUpMaxAgeSeconds: number;
  clock: Clock;
}

const ROOT_TYPES = new Set(['Query', 'Mutation', 'Subscription']);

/**
 * Declares `@auth` and `@public` on the schema and makes them the one mechanism of
 * field-level authorization. `@auth` needs a valid session, and optionally:
 * - `requires: ADMIN` (default USER), with `self: true` letting the user the parent object
 *   describes through as well: FORBIDDEN otherwise;
 * - `verified: true`: a verified email, FORBIDDEN otherwise;
 * - `aal: 2`: a session strengthened by a second factor, STEP_UP_REQUIRED otherwise (with
 *   `extensions.requiredAal`);
 * - `maxAge: "10m"`: authenticatedAt at most that old, or `fresh: true`: at most
 *   STEP_UP_MAX_AGE old; STEP_UP_REQUIRED otherwise (with `extensions.maxAgeSeconds`).
 * `@public` opens a field to anonymous callers. Root fields are denied by default: building
 * the schema fails if one carries neither, or if a `maxAge` is not a duration.
 */
export function applyAuthDirectives(schema: GraphQLSchema, policy: AuthPolicy): GraphQLSchema {
  const roleType = schema.getType('Role');
  if (!(roleType instanceof GraphQLEnumType)) throw new Error('the schema has no Role enum for @auth');
  const withDeclarations = new GraphQLSchema({
    ...schema.toConfig(),
    directives: [...schema.getDirectives(), authDirective(roleType), publicDirective],
  });
  return mapSchema(withDeclarations, {
    [MapperKind.OBJECT_FIELD]: (field, fieldName, typeName, currentSchema) => {
      const written = getDirective(currentSchema, field, 'auth')?.[0] as AuthArguments | undefined;
      const isPublic = getDirective(currentSchema, field, 'public') !== undefined;
      if (written && isPublic) throw new Error(`${typeName}.${fieldName} is marked both @auth and @public`);
      if (!written) {
        if (ROOT_TYPES.has(typeName) && !isPublic) {
          throw new Error(`${typeName}.${fieldName} has no authorization rule: add @auth(...) or @public`);
        }
        return field;
      }
      const rule = ruleFrom(written, policy, `${typeName}.${fieldName}`);
      const resolve = field.resolve ?? defaultFieldResolver;
      return {
        ...field,
        resolve: (parent, args, context: GraphQLContext, info) => {
          const decide = (viewer: Viewer | null) => {
            enforce(rule, parent, viewer, policy.clock);
            return resolve(parent, args, context, info);
          };
          // Known once an earlier field asked: decided now, so that the field stays synchronous.
          const known = context.caller.knownViewer();
          return known !== undefined ? decide(known) : context.caller.viewer().then(decide);
        },
      };
    },
  });
}

function ruleFrom(written: AuthArguments, policy: AuthPolicy, where: string): AuthRule {
  let maxAgeSeconds: number | null = written.fresh ? policy.stepUpMaxAgeSeconds : null;
  if (written.maxAge !== undefined) {
    const seconds = parseDurationSeconds(written.maxAge);
    if (seconds === null) throw new Error(`${where}: @auth(maxAge: "${written.maxAge}") is not a duration like 90s, 15m, 12h or 7d`);
    maxAgeSeconds = Math.min(seconds, maxAgeSeconds ?? seconds);
  }
  return {
    requires: written.requires,
    self: written.self,
    verified: written.verified,
    aal: written.aal,
    maxAgeSeconds,
    beforeSecondFactor: written.beforeSecondFactor,
  };
}

function enforce(rule: AuthRule, parent: unknown, viewer: Viewer | null, clock: Clock): void {
  if (!viewer) throw unauthenticated();
  if (viewer.session.secondFactorPending && !rule.beforeSecondFactor) {
    throw new AppError(ErrorCode.SECOND_FACTOR_REQUIRED, 'Complete the sign-in first: verifySecondFactor with a code from your authenticator app or a recovery code.');
  }
  if (!viewer.user.roles.includes(rule.requires) && !(rule.self && isRecordOf(parent, viewer.user.id))) throw forbidden();
  if (rule.verified && !viewer.user.emailVerified) throw forbidden('Verify your email address first.');
  if (viewer.session.aal < rule.aal) {
    throw new AppError(ErrorCode.STEP_UP_REQUIRED, 'This needs a stronger sign-in: step up with a second factor.', {
      requiredAal: rule.aal,
      ...(rule.maxAgeSeconds === null ? {} : { maxAgeSeconds: rule.maxAgeSeconds }),
    });
  }
  if (rule.maxAgeSeconds !== null && clock.now().getTime() - viewer.session.authenticatedAt.getTime() > rule.maxAgeSeconds * 1000) {
    throw new AppError(ErrorCode.STEP_UP_REQUIRED, 'This needs a recent sign-in: step up with your password.', {
      requiredAal: rule.aal,
      maxAgeSeconds: rule.maxAgeSeconds,
    });
  }
}

function isRecordOf(parent: unknown, userId: string): boolean {
  return typeof parent === 'object' && parent !== null && (parent as { id?: unknown }).id === userId;
}

function authDirective(roleType: GraphQLEnumType): GraphQLDirective {
  return new GraphQLDirective({
    name: 'auth',
    description:
      'Needs a valid session with the given role (with `self: true`, the user this object describes may also read it); `verified: true` a verified email; `aal: 2` a second factor on this session; `maxAge` an authentication at most that old ("10m"), or `fresh: true` one within STEP_UP_MAX_AGE. A session still waiting for its second factor is refused unless `beforeSecondFactor: true`. Unmet: UNAUTHENTICATED, SECOND_FACTOR_REQUIRED, FORBIDDEN or STEP_UP_REQUIRED.',
    locations: [DirectiveLocation.FIELD_DEFINITION],
    args: {
      requires: {
        type: new GraphQLNonNull(roleType),
        defaultValue: Role.USER,
        description: 'The role the signed-in user needs (USER: any signed-in user); FORBIDDEN otherwise.',
      },
      self: {
        type: new GraphQLNonNull(GraphQLBoolean),
        defaultValue: false,
        description: 'Also lets through the user this object describes, whatever their roles.',
      },
      verified: {
        type: new GraphQLNonNull(GraphQLBoolean),
        defaultValue: false,
        description: 'Needs a verified email address (User.emailVerified); FORBIDDEN otherwise.',
      },
      aal: {
        type: new GraphQLNonNull(GraphQLInt),
        defaultValue: 1,
        description: 'The least assurance level of the session (Session.aal; 2: a second factor); STEP_UP_REQUIRED otherwise.',
      },
      maxAge: {
        type: GraphQLString,
        description: 'How old Session.authenticatedAt may be at most, as 90s, 15m, 12h or 7d; STEP_UP_REQUIRED otherwise. Null: any age.',
      },
      fresh: {
        type: new GraphQLNonNull(GraphQLBoolean),
        defaultValue: false,
        description: "Needs Session.authenticatedAt within the server's STEP_UP_MAX_AGE (10 minutes unless configured); STEP_UP_REQUIRED otherwise.",
      },
      beforeSecondFactor: {
        type: new GraphQLNonNull(GraphQLBoolean),
        defaultValue: false,
        description: 'Also open to a session still waiting for its second factor, which gets SECOND_FACTOR_REQUIRED otherwise.',
      },
    },
  });
}

const publicDirective = new GraphQLDirective({
  name: 'public',
  description: 'Open to anonymous callers. Root fields without @public or @auth are refused when the schema is built.',
  locations: [DirectiveLocation.FIELD_DEFINITION],
});
