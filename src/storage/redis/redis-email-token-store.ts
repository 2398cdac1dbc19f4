import type { EmailTokenKind, EmailTokenRecord } from '../../account/email-token.model';
import type { Clock } from '../../shared/clock';
import type { EmailTokenStore } from '../email-token-store';
import { CONSUME_EMAIL_TOKEN } from './email-token.scripts';
import { callStore } from './errors';
import type { RedisKeyspace } from './keyspace';
import { decodeEmailTokenRecord, encodeEmailTokenRecord } from './records';
import type { RedisClient } from './redis-client';
import { scriptRunner, type ScriptRunner } from './script-runner';

export class RedisEmailTokenStore implements EmailTokenStore {
  private readonly runScript: ScriptRunner;

  constructor(
    private readonly redis: RedisClient,
    private readonly keys: RedisKeyspace,
    private readonly clock: Clock,
  ) {
    this.runScript = scriptRunner(redis, [CONSUME_EMAIL_TOKEN]);
  }

  async issueToken(token: EmailTokenRecord): Promise<void> {
    // One key per user and kind: the SET replaces (invalidates) the older token of the kind.
    await callStore(() => this.redis.set(this.keys.emailToken(token.userId, token.kind), encodeEmailTokenRecord(token), 'PXAT', token.expiresAt.getTime()));
  }

  async consumeToken(kind: EmailTokenKind, userId: string, tokenId: string, secretHash: string): Promise<EmailTokenRecord | null> {
    const raw = await callStore(() => this.runScript(CONSUME_EMAIL_TOKEN, [this.keys.emailToken(userId, kind)], [tokenId, secretHash, this.clock.now().getTime()]));
    return typeof raw === 'string' ? decodeEmailTokenRecord(kind, userId, raw) : null;
  }
}
