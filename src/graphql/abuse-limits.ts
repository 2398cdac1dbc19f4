import { maxAliasesRule } from '@escape.tech/graphql-armor-max-aliases';
import { maxDepthRule } from '@escape.tech/graphql-armor-max-depth';
import {
  GraphQLError,
  Kind,
  type ASTVisitor,
  type FragmentDefinitionNode,
  type SelectionSetNode,
  type ValidationContext,
  type ValidationRule,
} from 'graphql';

export interface GraphQLLimits {
  maxDepth: number;
  maxAliases: number;
}

/** Root fields that check a password or create an account: at most one per operation. */
export const CREDENTIAL_FIELDS: ReadonlySet<string> = new Set(['login', 'signUp', 'changePassword']);

/**
 * Validation rules that refuse abusive operations with GRAPHQL_VALIDATION_FAILED before
 * any resolver runs (the cost limit, which needs the operation's variables, is
 * queryCostPlugin). graphql-armor's rules throw by default (for its own plugins); here they
 * report into the validation context like graphql-js' own rules.
 */
export function abuseLimitRules(limits: GraphQLLimits): ValidationRule[] {
  const report = {
    propagateOnRejection: false,
    onReject: [(context: ValidationContext | null, error: GraphQLError) => context?.reportError(error)],
  };
  return [
    maxDepthRule({ n: limits.maxDepth, ignoreIntrospection: true, flattenFragments: true, ...report }) as unknown as ValidationRule,
    maxAliasesRule({ n: limits.maxAliases, ...report }) as unknown as ValidationRule,
    singleCredentialFieldRule,
  ];
}

/**
 * Each login/signUp/changePassword counts against the throttles one by one, aliases too;
 * on top of that an operation may hold only one of them, so that one request cannot run a
 * batch of password guesses.
 */
export const singleCredentialFieldRule: ValidationRule = (context: ValidationContext): ASTVisitor => ({
  OperationDefinition(operation) {
    const fragments = new Map<string, FragmentDefinitionNode>(
      context.getDocument().definitions.flatMap((definition) =>
        definition.kind === Kind.FRAGMENT_DEFINITION ? [[definition.name.value, definition] as const] : [],
      ),
    );
    const count = countRootFields(operation.selectionSet, fragments, new Set());
    if (count > 1) {
      context.reportError(
        new GraphQLError('An operation may hold at most one login, signUp or changePassword.', { nodes: [operation] }),
      );
    }
  },
});

function countRootFields(selectionSet: SelectionSetNode, fragments: Map<string, FragmentDefinitionNode>, visited: Set<string>): number {
  let count = 0;
  for (const selection of selectionSet.selections) {
    if (selection.kind === Kind.FIELD) {
      if (CREDENTIAL_FIELDS.has(selection.name.value)) count += 1;
    } else if (selection.kind === Kind.INLINE_FRAGMENT) {
      count += countRootFields(selection.selectionSet, fragments, visited);
    } else {
      const fragment = fragments.get(selection.name.value);
      if (fragment && !visited.has(fragment.name.value)) {
        visited.add(fragment.name.value);
        count += countRootFields(fragment.selectionSet, fragments, visited);
      }
    }
  }
  return count;
}
