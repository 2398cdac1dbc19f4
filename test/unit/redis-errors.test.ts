import { ReplyError } from 'ioredis';
import { StoreUnavailableError } from '../../src/shared/app-error';
import { toStoreError } from '../../src/storage/redis/errors';

function reply(message: string, previousErrors?: Error[]): Error {
  const error = new ReplyError(message) as Error & { previousErrors?: Error[] };
  if (previousErrors) error.previousErrors = previousErrors;
  return error;
}

describe('toStoreError', () => {
  it.each(['LOADING Redis is loading', 'READONLY You can\'t write against a read only replica.', 'CLUSTERDOWN The cluster is down', "OOM command not allowed when used memory > 'maxmemory'."])(
    'treats "%s" as the store being unavailable',
    (message) => {
      expect(toStoreError(reply(message))).toBeInstanceOf(StoreUnavailableError);
    },
  );

  it('treats a lost connection as unavailable', () => {
    expect(toStoreError(new Error('Connection is closed.'))).toBeInstanceOf(StoreUnavailableError);
  });

  it('treats a transaction aborted by transient replies as unavailable, and by others as a bug', () => {
    expect(toStoreError(reply('EXECABORT Transaction discarded because of previous errors.', [reply('OOM command not allowed')]))).toBeInstanceOf(
      StoreUnavailableError,
    );
    const bug = reply('EXECABORT Transaction discarded because of previous errors.', [reply('ERR wrong number of arguments')]);
    expect(toStoreError(bug)).toBe(bug);
  });

  it('lets other replies (a bug in a command or script) through unchanged', () => {
    const bug = reply('ERR Error running script: attempt to index a nil value');
    expect(toStoreError(bug)).toBe(bug);
  });
});
