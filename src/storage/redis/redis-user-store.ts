import type { AccountEvent } from '../../account/account-event.model';
import { EMAIL_TOKEN_KIND_NAMES } from '../../account/email-token.model';
import { SESSION_END_REASONS, type SessionEnd } from '../../session/session-end-reason';
import type { Clock } from '../../shared/clock';
import { normalizeEmail, type UserRecord } from '../../user/user.model';
import type { CreateUserResult, EmailChange, EmailChangeResult, PasswordReplacement, PasswordReplacementResult, UpdateUserOptions, UserStore } from '../user-store';
import { accountEventArguments } from './account-event.scripts';
import { callStore } from './errors';
import type { RedisKeyspace } from './keyspace';
import { decodeUserRecord, encodeUserRecord } from './records';
import type { RedisClient } from './redis-client';
import { scriptRunner, type ScriptRunner } from './script-runner';
import { sessionEventArguments } from './session.scripts';
import { DELETE_IF_EQUAL, DELETE_USER, REPLACE_PASSWORD, SET_IF_EQUAL, UPDATE_USER } from './user.scripts';

/** A compare-and-set that keeps losing means something is badly wrong; stop rather than spin. */
const MAX_UPDATE_ATTEMPTS = 20;

type CompareAndSetOutcome = 'stored' | 'conflict' | 'missing';

export class RedisUserStore implements UserStore {
  private readonly runScript: ScriptRunner;

  constructor(
    private readonly redis: RedisClient,
    private readonly keys: RedisKeyspace,
    private readonly clock: Clock,
  ) {
    this.runScript = scriptRunner(redis, [UPDATE_USER, REPLACE_PASSWORD, SET_IF_EQUAL, DELETE_IF_EQUAL, DELETE_USER]);
  }

  /**
   * The user record is written first and the email claimed second (claimEmail: atomic
   * uniqueness). The two keys live in different hash slots, so this is not one
   * transaction; in this order a crash in between leaves at worst an unreachable user
   * record, never an email that points nowhere.
   */
  async createUser(user: UserRecord): Promise<CreateUserResult> {
    const userKey = this.keys.user(user.id);
    const written = await callStore(() => this.redis.set(userKey, encodeUserRecord(user), 'NX'));
    if (written !== 'OK') throw new Error('user id collision');
    if (await this.claimEmail(user.email, user.id)) return 'created';
    await callStore(() => this.redis.del(userKey));
    return 'email_taken';
  }

  /**
   * Points the address at this user unless another existing user holds it (SET NX, then a
   * compare-and-set over a key whose user is gone: one that a crash in the middle of a
   * deletion left behind). True when the user holds it now.
   */
  private async claimEmail(email: string, userId: string): Promise<boolean> {
    const key = this.keys.email(normalizeEmail(email));
    for (let attempt = 0; attempt < MAX_UPDATE_ATTEMPTS; attempt++) {
      if ((await callStore(() => this.redis.set(key, userId, 'NX'))) === 'OK') return true;
      const holder = await callStore(() => this.redis.get(key));
      if (holder === null) continue;
      if (holder === userId) return true;
      if (await callStore(() => this.redis.exists(this.keys.user(holder)))) return false;
      if ((await callStore(() => this.runScript(SET_IF_EQUAL, [key], [holder, userId]))) === 1) return true;
    }
    throw new Error(`the address of user ${userId} kept changing hands`);
  }

  /** Frees the address if it still points at this user. */
  private async releaseEmail(email: string, userId: string): Promise<void> {
    await callStore(() => this.runScript(DELETE_IF_EQUAL, [this.keys.email(normalizeEmail(email))], [userId]));
  }

  async changeEmail(userId: string, change: EmailChange): Promise<EmailChangeResult> {
    if (!(await this.claimEmail(change.to, userId))) return 'email_taken';
    let result = 'no_user' as EmailChangeResult;
    await this.compareAndSet(
      userId,
      (user) => {
        if (user.email !== change.from) {
          result = 'email_changed';
          return null;
        }
        result = 'changed';
        return { ...user, email: change.to, emailVerified: true };
      },
      (expected, next) => this.storeIfUnchanged(userId, expected, next, []),
    );
    // Same address in another case or width: one key for both, which the user keeps.
    if (normalizeEmail(change.from) === normalizeEmail(change.to)) return result;
    await this.releaseEmail(result === 'changed' ? change.from : change.to, userId);
    return result;
  }

  async deleteUser(userId: string, end: SessionEnd): Promise<number | null> {
    const user = await this.findUserById(userId);
    if (!user) return null;
    const now = this.clock.now().getTime();
    const keys = [
      this.keys.user(userId),
      this.keys.sessions(userId),
      this.keys.sessionEvents(userId),
      this.keys.devices(userId),
      ...EMAIL_TOKEN_KIND_NAMES.map((kind) => this.keys.emailToken(userId, kind)),
    ];
    const ended = (await callStore(() =>
      this.runScript(DELETE_USER, keys, [now, SESSION_END_REASONS[end.reason].storeCode, end.actorId ?? '', ...sessionEventArguments(now)]),
    )) as number;
    if (ended === -1) return null;
    // After the records: a crash in between leaves an address whose user is gone, which
    // claimEmail takes over, never a live user without its address.
    await this.releaseEmail(user.email, userId);
    return ended;
  }

  async findUserById(userId: string): Promise<UserRecord | null> {
    const raw = await callStore(() => this.redis.get(this.keys.user(userId)));
    return raw ? decodeUserRecord(raw) : null;
  }

  async findUserByEmail(email: string): Promise<UserRecord | null> {
    const userId = await callStore(() => this.redis.get(this.keys.email(normalizeEmail(email))));
    return userId ? this.findUserById(userId) : null;
  }

  async updateUser(userId: string, change: (user: UserRecord) => UserRecord | null, options: UpdateUserOptions = {}): Promise<UserRecord | null> {
    return this.compareAndSet(userId, change, (expected, next) => this.storeIfUnchanged(userId, expected, next, options.events ?? []));
  }

  private async storeIfUnchanged(userId: string, expected: string, next: string, events: readonly AccountEvent[]): Promise<CompareAndSetOutcome> {
    const keys = [this.keys.user(userId), this.keys.accountEvents(userId)];
    const result = await callStore(() => this.runScript(UPDATE_USER, keys, [expected, next, ...accountEventArguments(events, this.clock.now().getTime())]));
    return result === 1 ? 'stored' : result === -1 ? 'missing' : 'conflict';
  }

  async replacePassword(userId: string, replacement: PasswordReplacement): Promise<PasswordReplacementResult> {
    let result: PasswordReplacementResult = { outcome: 'no_user' };
    await this.compareAndSet(
      userId,
      (user) => {
        if (user.credentialVersion !== replacement.expectedCredentialVersion) {
          result = { outcome: 'credentials_changed' };
          return null;
        }
        return { ...user, passwordHash: replacement.passwordHash, credentialVersion: user.credentialVersion + 1 };
      },
      async (expected, next) => {
        const now = this.clock.now().getTime();
        const ended = (await callStore(() =>
          this.runScript(
            REPLACE_PASSWORD,
            [this.keys.user(userId), this.keys.sessions(userId), this.keys.sessionEvents(userId)],
            [
              expected,
              next,
              replacement.keepSessionId ?? '',
              now,
              SESSION_END_REASONS[replacement.end.reason].storeCode,
              replacement.end.actorId ?? '',
              ...sessionEventArguments(now),
            ],
          ),
        )) as number;
        if (ended === -1) return 'missing';
        if (ended === -2) return 'conflict';
        result = ended === -3 ? { outcome: 'session_ended' } : { outcome: 'replaced', endedSessions: ended };
        return 'stored';
      },
    );
    return result;
  }

  /**
   * Reads the record, applies `change` (null: leave it as it is) and stores the result
   * only if the record did not change meanwhile, trying again from the new record if it did.
   */
  private async compareAndSet(
    userId: string,
    change: (user: UserRecord) => UserRecord | null,
    store: (expected: string, next: string) => Promise<CompareAndSetOutcome>,
  ): Promise<UserRecord | null> {
    for (let attempt = 0; attempt < MAX_UPDATE_ATTEMPTS; attempt++) {
      const raw = await callStore(() => this.redis.get(this.keys.user(userId)));
      if (!raw) return null;
      const next = change(decodeUserRecord(raw));
      if (next === null) return null;
      const outcome = await store(raw, encodeUserRecord(next));
      if (outcome === 'stored') return next;
      if (outcome === 'missing') return null;
    }
    throw new Error(`user ${userId} kept changing during an update`);
  }
}
