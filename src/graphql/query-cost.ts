import type { ApolloServerPlugin } from '@apollo/server';
import { getNamedType, getNullableType, GraphQLError, isListType, isObjectType, Kind, type DocumentNode, type FieldNode, type GraphQLSchema } from 'graphql';
import { getComplexity, type ComplexityEstimatorArgs } from 'graphql-query-complexity';
import { ACCOUNT_EVENT_RETENTION } from '../account/account-event.model';
import { KNOWN_DEVICE_LIMITS } from '../device/device.model';
import { SESSION_EVENT_RETENTION } from '../session/session.model';
import { TWO_FACTOR_LIMITS } from '../two-factor/two-factor.model';
import { Role } from '../user/user.model';

/** What bounds the lists of the schema, from the configuration. */
export interface ListBounds {
  /** SESSION_MAX_PER_USER: no user has more live sessions. */
  sessionsPerUser: number;
}

/**
 * How many items each list field can hold, at most. A field's cost is 1 plus the cost of
 * what it selects, multiplied by this for a list: `mySessions { user { sessions { id } } }`
 * costs 50 × (1 + 1 + 1 + 50 × (1 + 1)) with the default cap of 50 sessions, so nesting
 * lists inside lists is paid for before it runs. Every list field of the schema must be
 * here: building the app fails otherwise (assertEveryListHasABound).
 */
const LIST_BOUNDS: Record<string, (bounds: ListBounds, node: FieldNode) => number> = {
  'Query.mySessions': ({ sessionsPerUser }) => sessionsPerUser,
  'User.sessions': ({ sessionsPerUser }) => sessionsPerUser,
  'User.roles': () => Object.values(Role).length,
  'User.knownDevices': () => KNOWN_DEVICE_LIMITS.maxDevicesPerUser,
  // The `limit` argument when it is written in the query; the most it allows when it comes from a variable.
  'Query.userSessionEvents': (_bounds, node) => literalIntArgument(node, 'limit') ?? SESSION_EVENT_RETENTION.maxEventsPerUser,
  'Query.userAccountEvents': (_bounds, node) => literalIntArgument(node, 'limit') ?? ACCOUNT_EVENT_RETENTION.maxEventsPerUser,
  'Mutation.confirmTotpEnrollment': () => TWO_FACTOR_LIMITS.recoveryCodes,
  'Mutation.regenerateRecoveryCodes': () => TWO_FACTOR_LIMITS.recoveryCodes,
};

function literalIntArgument(node: FieldNode, name: string): number | undefined {
  const argument = node.arguments?.find((candidate) => candidate.name.value === name);
  return argument?.value.kind === Kind.INT ? Number(argument.value.value) : undefined;
}

function fieldCost(bounds: ListBounds) {
  return ({ type, field, node, childComplexity }: ComplexityEstimatorArgs): number => {
    // Introspection (GraphiQL's schema query) is not what this limit is about.
    if (type.name.startsWith('__') || field.name.startsWith('__')) return 0;
    if (!isListType(getNullableType(field.type))) return 1 + childComplexity;
    const bound = LIST_BOUNDS[`${type.name}.${field.name}`];
    if (!bound) throw new Error(`${type.name}.${field.name} is a list with no bound in LIST_BOUNDS`);
    return bound(bounds, node) * (1 + childComplexity);
  };
}

/**
 * Refuses an operation whose cost (graphql-query-complexity, with the list bounds above) is
 * over `maxCost`, with GRAPHQL_VALIDATION_FAILED and 400 before anything runs. A plugin
 * rather than a validation rule because the library resolves the operation's variables
 * (a validation rule sees none, and would refuse every operation with a required one). The
 * cost depends only on the query text, never on variable values, so it is computed once per
 * parsed document (Apollo keeps one per distinct query) and operation.
 */
/** graphql-query-complexity's error for an operation of more than 10,000 nodes. */
const TOO_MANY_NODES = 'Query exceeds the maximum allowed number of nodes.';

export function queryCostPlugin(options: { maxCost: number; bounds: ListBounds }): ApolloServerPlugin {
  const estimators = [fieldCost(options.bounds)];
  const costs = new WeakMap<DocumentNode, Map<string | null, number>>();
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ document, operationName, request, schema }) {
          const byOperation = costs.get(document) ?? new Map<string | null, number>();
          costs.set(document, byOperation);
          let cost = byOperation.get(operationName);
          if (cost === undefined) {
            try {
              cost = getComplexity({ schema, query: document, variables: request.variables ?? {}, estimators, ...(operationName ? { operationName } : {}) });
            } catch (error) {
              // More nodes than the library walks: too expensive by any measure.
              if (error instanceof GraphQLError && error.message === TOO_MANY_NODES) cost = Number.POSITIVE_INFINITY;
              // Variables that do not fit the operation: execution refuses them (BAD_USER_INPUT) before any resolver runs.
              else return;
            }
            byOperation.set(operationName, cost);
          }
          if (cost > options.maxCost) {
            const costText = Number.isFinite(cost) ? String(cost) : 'more than can be counted';
            throw new GraphQLError(`The operation is too expensive: it costs ${costText}, and at most ${options.maxCost} is allowed.`, {
              extensions: { code: 'GRAPHQL_VALIDATION_FAILED', http: { status: 400 } },
            });
          }
        },
      };
    },
  };
}

/** Every list field has a bound, so that the cost of no operation can be underestimated. */
export function assertEveryListHasABound(schema: GraphQLSchema): void {
  for (const type of Object.values(schema.getTypeMap())) {
    if (!isObjectType(type) || type.name.startsWith('__')) continue;
    for (const field of Object.values(type.getFields())) {
      if (isListType(getNullableType(field.type)) && !LIST_BOUNDS[`${type.name}.${field.name}`]) {
        throw new Error(`${type.name}.${field.name} is a list of ${getNamedType(field.type).name} with no bound in LIST_BOUNDS (graphql/query-cost.ts)`);
      }
    }
  }
}
