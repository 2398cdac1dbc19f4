import { StoreUnavailableError } from '../../shared/app-error';

/**
 * Replies that mean "the store cannot serve this now" (loading after a restart, a replica
 * during failover, a cluster without quorum, a full Redis refusing writes under
 * `maxmemory-policy noeviction`) rather than "this command is wrong".
 */
const TRANSIENT_REPLY_PREFIXES = ['LOADING', 'READONLY', 'CLUSTERDOWN', 'MASTERDOWN', 'TRYAGAIN', 'NOREPLICAS', 'BUSY', 'OOM'];

/**
 * Turns a failure of the Redis client into StoreUnavailableError when the store is
 * unreachable or transiently unable to answer. Other replies (a bug in a script or a
 * command) pass through unchanged, to surface as internal errors.
 */
export function toStoreError(error: unknown): unknown {
  if (error instanceof StoreUnavailableError) return error;
  if (error instanceof Error && error.name === 'ReplyError') {
    return isTransientReply(error) ? new StoreUnavailableError('session store is not accepting commands', { cause: error }) : error;
  }
  return new StoreUnavailableError('session store is unreachable', { cause: error });
}

export async function callStore<T>(operation: () => Promise<T>): Promise<T> {
  try {
    return await operation();
  } catch (error) {
    throw toStoreError(error);
  }
}

/**
 * A transaction (rate-limiter-flexible reads with MULTI) fails as a whole with EXECABORT;
 * ioredis keeps the replies that caused it in `previousErrors`, and those decide.
 */
function isTransientReply(error: Error & { previousErrors?: unknown[] }): boolean {
  if (TRANSIENT_REPLY_PREFIXES.some((prefix) => error.message.startsWith(prefix))) return true;
  return (
    error.message.startsWith('EXECABORT') &&
    (error.previousErrors ?? []).some((previous) => previous instanceof Error && isTransientReply(previous))
  );
}
