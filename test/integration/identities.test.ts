import { LoginDocument, MeDocument, MySessionsDocument, SignUpDocument } from '../generated/graphql';
import { errorCodes, PASSWORD, startTestServer, uniqueEmail, type StoreKind, type TestServer } from '../support/harness';

/** A fresh address of this run, spelled in fullwidth forms (ＡＢＣ＠…): the same address to NFKC. */
function fullwidth(ascii: string): string {
  return [...ascii].map((character) => (character >= '!' && character <= '~' ? String.fromCodePoint(character.codePointAt(0)! + 0xfee0) : character)).join('');
}

describe.each<StoreKind>(['redis', 'memory'])('identities that cannot be faked (%s store)', (storeKind) => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startTestServer({ store: storeKind });
  });
  afterAll(async () => {
    await server.close();
  });

  function signUp(input: { email: string; password?: string; displayName?: string }) {
    return server.client().request(SignUpDocument, { input: { password: PASSWORD, ...input } });
  }

  describe('emails', () => {
    it.each([
      ['a zero-width space', '\u200b'],
      ['a soft hyphen', '\u00ad'],
      ['a right-to-left override', '\u202e'],
      ['a zero-width joiner', '\u200d'],
      ['a byte order mark', '\ufeff'],
      ['a C1 control', '\u0085'],
    ])('refuses an address holding %s, creating nothing', async (_label, hidden) => {
      const email = uniqueEmail('hidden');
      const [local, domain] = email.split('@');
      const response = await signUp({ email: `${local}${hidden}@${domain}` });
      expect(errorCodes(response)).toEqual(['BAD_USER_INPUT']);
      expect(response.errors![0]!.extensions!.field).toBe('email');
      // The visible twin is still free.
      expect((await signUp({ email })).errors).toBeUndefined();
    });

    it('treats fullwidth forms as the plain address: one account, stored and shown plainly', async () => {
      const email = uniqueEmail('wide');
      const wide = await signUp({ email: fullwidth(email) });
      expect(wide.errors).toBeUndefined();
      expect(wide.data!.signUp.user.email).toBe(email);

      const twin = await signUp({ email: email.toUpperCase() });
      expect(errorCodes(twin)).toEqual(['BAD_USER_INPUT']);
      const login = await server.client().request(LoginDocument, { input: { email, password: PASSWORD } });
      expect(login.data!.login.user.id).toBe(wide.data!.signUp.user.id);
      const wideLogin = await server.client().request(LoginDocument, { input: { email: fullwidth(email), password: PASSWORD } });
      expect(wideLogin.data!.login.user.id).toBe(wide.data!.signUp.user.id);
    });
  });

  describe('display names', () => {
    it.each([
      ['a right-to-left override', 'admin\u202egnp.exe'],
      ['a left-to-right isolate', '\u2066Ada\u2069'],
      ['a C0 control', 'Ada\u0007'],
      ['a C1 control', 'Ada\u009b'],
      ['a line separator', 'Ada\u2028Lovelace'],
      ['nothing but zero-width spaces', '\u200b\u200b'],
      ['nothing but a Hangul filler', '\u3164'],
      ['nothing but combining marks', '\u0301\u0301'],
      ['nothing but spaces', '   '],
    ])('refuses %s', async (_label, displayName) => {
      const response = await signUp({ email: uniqueEmail('name'), displayName });
      expect(errorCodes(response)).toEqual(['BAD_USER_INPUT']);
      expect(response.errors![0]!.extensions!.field).toBe('displayName');
    });

    it.each([
      ['accents', 'Adélaïde Ñúñez'],
      ['another script', 'Ада Лавлейс'],
      ['an emoji sequence joined with U+200D', 'Family 👨\u200d👩\u200d👧'],
    ])('accepts %s', async (_label, displayName) => {
      const response = await signUp({ email: uniqueEmail('name'), displayName });
      expect(response.errors).toBeUndefined();
      expect(response.data!.signUp.user.displayName).toBe(displayName);
    });
  });

  describe('passwords', () => {
    const loneSurrogate = 'correct horse \ud800 battery';

    it('refuses a lone UTF-16 surrogate at sign-up and at login with BAD_USER_INPUT', async () => {
      const refused = await signUp({ email: uniqueEmail('surrogate'), password: loneSurrogate });
      expect(errorCodes(refused)).toEqual(['BAD_USER_INPUT']);
      expect(refused.errors![0]!.extensions!.field).toBe('password');

      const login = await server.client().request(LoginDocument, { input: { email: uniqueEmail('nobody'), password: loneSurrogate } });
      expect(errorCodes(login)).toEqual(['BAD_USER_INPUT']);
    });

    it('no longer lets a lone surrogate stand for U+FFFD: the two passwords are different', async () => {
      const email = uniqueEmail('replacement');
      expect((await signUp({ email, password: 'correct horse \ufffd battery' })).errors).toBeUndefined();
      const collision = await server.client().request(LoginDocument, { input: { email, password: loneSurrogate } });
      expect(collision.data?.login ?? null).toBeNull();
      expect(errorCodes(collision)).toEqual(['BAD_USER_INPUT']);
    });
  });
});

describe('client addresses behind a trusted proxy', () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startTestServer({ env: { TRUST_PROXY: 'true', LOGIN_MAX_FAILURES_PER_IP_DAY: '3' } });
  });
  afterAll(async () => {
    await server.close();
  });

  it('records a forwarded address only when it is a valid IP, else the socket address', async () => {
    const addresses: Array<string | null> = [];
    for (const forwarded of ['203.0.113.9', 'not-an-ip', '<script>', '999.1.1.1', '2001:db8::7', '::ffff:198.51.100.4']) {
      const client = server.client();
      await client.request(SignUpDocument, { input: { email: uniqueEmail('addr'), password: PASSWORD } }, { 'x-forwarded-for': forwarded });
      addresses.push((await client.request(MySessionsDocument)).data!.mySessions[0]!.ipAddress);
    }
    expect(addresses).toEqual(['203.0.113.9', '127.0.0.1', '127.0.0.1', '127.0.0.1', '2001:db8::7', '198.51.100.4']);
  });

  it('throttles garbage forwarded addresses as the socket address: made-up values buy no fresh budget', async () => {
    for (const junk of ['junk-1', 'junk-2', 'junk-3']) {
      const response = await server.client().request(LoginDocument, { input: { email: uniqueEmail('spray'), password: 'wrong password!' } }, { 'x-forwarded-for': junk });
      expect(errorCodes(response)).toEqual(['UNAUTHENTICATED']);
    }
    const fourth = await server.client().request(LoginDocument, { input: { email: uniqueEmail('spray'), password: 'wrong password!' } }, { 'x-forwarded-for': 'junk-4' });
    expect(errorCodes(fourth)).toEqual(['RATE_LIMITED']);
  });
});

describe('the Authorization header wins, always', () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(async () => {
    await server.close();
  });

  it.each([
    ['an empty header', ''],
    ['a bare scheme', 'Bearer'],
    ['a malformed bearer', 'Bearer not a token'],
    ['another scheme', 'Basic dXNlcjpwYXNz'],
  ])('%s makes the request anonymous even with a valid cookie, and leaves the cookie alone', async (_label, authorization) => {
    const browser = server.client();
    const signUp = await browser.request(SignUpDocument, { input: { email: uniqueEmail('header-wins'), password: PASSWORD } });
    expect(signUp.errors).toBeUndefined();

    const me = await browser.request(MeDocument, undefined, { authorization });
    expect(me.status).toBe(200);
    expect(me.data!.me).toBeNull();
    expect(me.setCookies).toEqual([]);
    // The cookie session was neither used nor ended.
    expect((await browser.request(MeDocument)).data!.me!.id).toBe(signUp.data!.signUp.user.id);
  });
});
