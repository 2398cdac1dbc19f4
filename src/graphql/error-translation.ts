import type { ApolloServerPlugin } from '@apollo/server';
import { unwrapResolverError } from '@apollo/server/errors';
import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import type { Logger } from 'pino';
import { AppError, ErrorCode, StoreUnavailableError } from '../shared/app-error';

/**
 * The one translator between the application's errors and what a client sees: AppError
 * codes become `extensions.code` (with their details), SERVICE_UNAVAILABLE becomes HTTP 503,
 * and everything else is masked for the client and logged in full for the operator.
 */

/**
 * Codes that Apollo Server and graphql-js give malformed requests (BAD_USER_INPUT: a
 * variable of the wrong type); safe to pass through.
 */
export const PASSED_THROUGH_CODES = [
  'BAD_USER_INPUT',
  'GRAPHQL_PARSE_FAILED',
  'GRAPHQL_VALIDATION_FAILED',
  'BAD_REQUEST',
  'PERSISTED_QUERY_NOT_FOUND',
  'PERSISTED_QUERY_NOT_SUPPORTED',
  'OPERATION_RESOLUTION_FAILURE',
] as const;
const PASSED_THROUGH: ReadonlySet<string> = new Set(PASSED_THROUGH_CODES);

/** The store's own messages name hosts and reasons; the client needs only to retry. */
const STORE_UNAVAILABLE_MESSAGE = 'The session store is unavailable. Try again shortly.';

/** The HTTP status a response carrying this code gets (200 unless said). */
export function httpStatusFor(code: unknown): number | undefined {
  return code === ErrorCode.SERVICE_UNAVAILABLE ? 503 : undefined;
}

function formattedAppError(error: AppError): GraphQLFormattedError {
  return {
    message: error instanceof StoreUnavailableError ? STORE_UNAVAILABLE_MESSAGE : error.message,
    extensions: { code: error.code, ...error.details },
  };
}

/**
 * For errors that must be thrown before execution (building the context): a GraphQLError
 * carrying its status, which Apollo honours there.
 */
export function toGraphQLError(error: unknown): GraphQLError {
  if (!(error instanceof AppError)) return error instanceof GraphQLError ? error : new GraphQLError('Internal server error.', { originalError: error as Error });
  const { message, extensions } = formattedAppError(error);
  const status = httpStatusFor(error.code);
  return new GraphQLError(message, { originalError: error, extensions: { ...extensions, ...(status ? { http: { status } } : {}) } });
}

/**
 * Apollo's formatError: every error a response carries passes here once. AppErrors speak
 * their code; request-level errors from Apollo and graphql-js (parse, validation, variable
 * coercion) keep theirs; anything else is an internal error.
 */
export function createErrorFormatter(logger: Logger) {
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    const appError = appErrorIn(error);
    const where = formatted.path ? { path: formatted.path } : {};
    if (appError && appError.code !== ErrorCode.INTERNAL_SERVER_ERROR) {
      if (appError.code === ErrorCode.SERVICE_UNAVAILABLE) logger.warn({ err: appError, ...where }, 'session store unavailable');
      const located = formatted.locations ? { locations: formatted.locations } : {};
      return { ...formattedAppError(appError), ...located, ...where };
    }
    const code = formatted.extensions?.code;
    if (!appError && typeof code === 'string' && PASSED_THROUGH.has(code)) return formatted;
    logger.error({ err: unwrapResolverError(error), ...where }, 'unexpected error');
    return { message: 'Internal server error.', ...where, extensions: { code: ErrorCode.INTERNAL_SERVER_ERROR } };
  };
}

/** The AppError an error is, or was made from (graphql-js wraps what resolvers throw). */
function appErrorIn(error: unknown): AppError | null {
  for (let current = error; current instanceof Error; current = (current as GraphQLError).originalError) {
    if (current instanceof AppError) return current;
    if (!(current instanceof GraphQLError)) break;
  }
  return null;
}

/**
 * A response whose errors include a code with an HTTP status of its own gets that status,
 * wherever in the request it arose; a 503 that says when to retry also says it in
 * Retry-After, for proxies and clients that read only headers.
 */
export const errorStatusPlugin: ApolloServerPlugin = {
  async requestDidStart() {
    return {
      async willSendResponse({ response }) {
        if (response.body.kind !== 'single') return;
        for (const error of response.body.singleResult.errors ?? []) {
          const status = httpStatusFor(error.extensions?.code);
          if (!status) continue;
          response.http.status = status;
          const retryAfterSeconds = error.extensions?.retryAfterSeconds;
          if (typeof retryAfterSeconds === 'number') response.http.headers.set('retry-after', String(retryAfterSeconds));
        }
      },
    };
  },
};
