import { buildSchema, execute, parse } from 'graphql';
import { applyAuthDirectives } from '../../src/graphql/auth-directive';
import type { GraphQLContext } from '../../src/graphql/context';
import type { Caller } from '../../src/session/caller';
import type { AssuranceLevel, Viewer } from '../../src/session/session.model';
import { ManualClock } from '../../src/shared/clock';
import { buildSessionRecord, buildUserRecord } from '../support/fixtures';

const SDL = `
  enum Role { USER ADMIN }
  type Query {
    open: String @public
    signedIn: String @auth
    verified: String @auth(verified: true)
    strong: String @auth(aal: 2)
    recent: String @auth(maxAge: "5m")
    fresh: String @auth(fresh: true)
    strongAndRecent: String @auth(aal: 2, maxAge: "1h")
    admin: String @auth(requires: ADMIN, verified: true)
    completing: String @auth(beforeSecondFactor: true)
    adminCompleting: String @auth(requires: ADMIN, beforeSecondFactor: true)
  }
`;

describe('@auth options (verified, aal, maxAge, fresh, beforeSecondFactor)', () => {
  const clock = new ManualClock();
  // The transform adds the declarations itself; graphql-js needs them to read the SDL.
  const annotated = buildSchema(
    `directive @auth(requires: Role! = USER, self: Boolean! = false, verified: Boolean! = false, aal: Int! = 1, maxAge: String, fresh: Boolean! = false, beforeSecondFactor: Boolean! = false) on FIELD_DEFINITION
     directive @public on FIELD_DEFINITION
     ${SDL}`,
  );
  const schema = applyAuthDirectives(annotated, { stepUpMaxAgeSeconds: 600, clock });
  const rootValue = Object.fromEntries(['open', 'signedIn', 'verified', 'strong', 'recent', 'fresh', 'strongAndRecent', 'admin', 'completing', 'adminCompleting'].map((name) => [name, name]));

  function viewer(options: { emailVerified?: boolean; aal?: AssuranceLevel; authenticatedSecondsAgo?: number; admin?: boolean; pending?: boolean } = {}): Viewer {
    const user = buildUserRecord(clock, { emailVerified: options.emailVerified ?? false, ...(options.admin ? { roles: ['USER', 'ADMIN'] as Viewer['user']['roles'] } : {}) });
    const authenticatedAt = new Date(clock.now().getTime() - (options.authenticatedSecondsAgo ?? 0) * 1000);
    return { user, session: buildSessionRecord(clock, user.id, { aal: options.aal ?? 1, authenticatedAt, secondFactorPending: options.pending ?? false }) };
  }

  /** Asks as an operation's first field would (the viewer still to be read), or, with `known`, a later one (the viewer known). */
  async function ask(field: string, who: Viewer | null, { known = false } = {}) {
    const contextValue: GraphQLContext = { caller: { viewer: async () => who, knownViewer: () => (known ? who : undefined) } as unknown as Caller };
    const result = await execute({ schema, document: parse(`{ ${field} }`), rootValue, contextValue });
    const error = result.errors?.[0];
    const original = error?.originalError as { code?: string; details?: Record<string, unknown> } | undefined;
    return error ? { code: original?.code, ...original?.details } : { value: (result.data as Record<string, unknown>)[field] };
  }

  it('lets anyone read @public and refuses anonymous callers everything else', async () => {
    expect(await ask('open', null)).toEqual({ value: 'open' });
    for (const field of ['signedIn', 'verified', 'strong', 'recent', 'fresh', 'admin']) expect(await ask(field, null)).toEqual({ code: 'UNAUTHENTICATED' });
  });

  it('verified: true needs a verified email (FORBIDDEN otherwise), after the role', async () => {
    expect(await ask('verified', viewer())).toEqual({ code: 'FORBIDDEN' });
    expect(await ask('verified', viewer({ emailVerified: true }))).toEqual({ value: 'verified' });
    expect(await ask('admin', viewer({ emailVerified: true }))).toEqual({ code: 'FORBIDDEN' });
    expect(await ask('admin', viewer({ admin: true }))).toEqual({ code: 'FORBIDDEN' });
    expect(await ask('admin', viewer({ admin: true, emailVerified: true }))).toEqual({ value: 'admin' });
  });

  it('aal: 2 needs a second factor on the session: STEP_UP_REQUIRED with requiredAal otherwise', async () => {
    expect(await ask('strong', viewer())).toEqual({ code: 'STEP_UP_REQUIRED', requiredAal: 2 });
    expect(await ask('strong', viewer({ aal: 2 }))).toEqual({ value: 'strong' });
  });

  it('maxAge and fresh need a recent authentication: STEP_UP_REQUIRED with maxAgeSeconds otherwise', async () => {
    expect(await ask('recent', viewer({ authenticatedSecondsAgo: 300 }))).toEqual({ value: 'recent' });
    expect(await ask('recent', viewer({ authenticatedSecondsAgo: 301 }))).toEqual({ code: 'STEP_UP_REQUIRED', requiredAal: 1, maxAgeSeconds: 300 });
    expect(await ask('fresh', viewer({ authenticatedSecondsAgo: 600 }))).toEqual({ value: 'fresh' });
    expect(await ask('fresh', viewer({ authenticatedSecondsAgo: 601 }))).toEqual({ code: 'STEP_UP_REQUIRED', requiredAal: 1, maxAgeSeconds: 600 });
  });

  it('checks the level before the age, and says both', async () => {
    expect(await ask('strongAndRecent', viewer({ authenticatedSecondsAgo: 7200 }))).toEqual({ code: 'STEP_UP_REQUIRED', requiredAal: 2, maxAgeSeconds: 3600 });
    expect(await ask('strongAndRecent', viewer({ aal: 2, authenticatedSecondsAgo: 7200 }))).toEqual({ code: 'STEP_UP_REQUIRED', requiredAal: 2, maxAgeSeconds: 3600 });
    expect(await ask('strongAndRecent', viewer({ aal: 2, authenticatedSecondsAgo: 60 }))).toEqual({ value: 'strongAndRecent' });
  });

  it('refuses a session waiting for its second factor everything but @public and beforeSecondFactor fields: SECOND_FACTOR_REQUIRED, before any other rule', async () => {
    const pending = viewer({ pending: true, emailVerified: true, admin: true, aal: 2 });
    for (const field of ['signedIn', 'verified', 'strong', 'recent', 'fresh', 'strongAndRecent', 'admin']) {
      expect(await ask(field, pending)).toEqual({ code: 'SECOND_FACTOR_REQUIRED' });
    }
    expect(await ask('open', pending)).toEqual({ value: 'open' });
    expect(await ask('completing', pending)).toEqual({ value: 'completing' });
    expect(await ask('adminCompleting', pending)).toEqual({ value: 'adminCompleting' });
    // The other rules still hold there.
    expect(await ask('adminCompleting', viewer({ pending: true }))).toEqual({ code: 'FORBIDDEN' });
    expect(await ask('completing', null)).toEqual({ code: 'UNAUTHENTICATED' });
    expect(await ask('completing', viewer())).toEqual({ value: 'completing' });
  });

  it('decides the same when the viewer is already known (a later field: no waiting)', async () => {
    const cases: Array<[string, Viewer | null]> = [
      ['open', null],
      ['signedIn', null],
      ['verified', viewer()],
      ['strong', viewer({ aal: 2 })],
      ['recent', viewer({ authenticatedSecondsAgo: 301 })],
      ['admin', viewer({ admin: true, emailVerified: true })],
      ['signedIn', viewer({ pending: true })],
      ['completing', viewer({ pending: true })],
    ];
    for (const [field, who] of cases) expect(await ask(field, who, { known: true })).toEqual(await ask(field, who));
  });
});
