import type { ApolloServerPlugin } from '@apollo/server';
import { unwrapResolverError } from '@apollo/server/errors';
import type { GraphQLFormattedError } from 'graphql';
import type { Logger } from 'pino';
import { CLIENT_VISIBLE_CODES, ErrorCode, serviceUnavailable, StoreUnavailableError } from '../shared/errors';

/**
 * Errors with a code from the closed list pass through; an unreachable store becomes
 * SERVICE_UNAVAILABLE; everything else is masked for the client (no message, no stack)
 * and logged in full for the operator.
 */
export function createErrorFormatter(logger: Logger) {
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    const original = unwrapResolverError(error);
    const where = formatted.path ? { path: formatted.path } : {};
    if (original instanceof StoreUnavailableError) {
      logger.warn({ err: original, ...where }, 'session store unavailable');
      return { message: serviceUnavailable().message, ...where, extensions: { code: ErrorCode.SERVICE_UNAVAILABLE } };
    }
    const code = formatted.extensions?.code;
    if (typeof code === 'string' && code !== ErrorCode.INTERNAL_SERVER_ERROR && CLIENT_VISIBLE_CODES.has(code)) {
      return formatted;
    }
    logger.error({ err: original, ...where }, 'unexpected error');
    return { message: 'Internal server error.', ...where, extensions: { code: ErrorCode.INTERNAL_SERVER_ERROR } };
  };
}

/** A response that carries SERVICE_UNAVAILABLE is a 503, wherever in the request it arose. */
export const serviceUnavailableStatusPlugin: ApolloServerPlugin = {
  async requestDidStart() {
    return {
      async willSendResponse({ response }) {
        if (response.body.kind !== 'single') return;
        const errors = response.body.singleResult.errors ?? [];
        if (errors.some((error) => error.extensions?.code === ErrorCode.SERVICE_UNAVAILABLE)) {
          response.http.status = 503;
        }
      },
    };
  },
};
