/** The few GraphQL calls the benchmark makes outside the load itself, over plain fetch. */

export interface Credentials {
  email: string;
  password: string;
}

/** What a client presents on each request: a bearer header (apps) or the session cookie (browsers). */
export type Presented = { headers: Record<string, string> };

export const BENCH_PASSWORD = 'benchmark password 0123';
const USER_AGENT = 'sessionql-bench/1.0';

export async function graphqlRequest<TData>(
  graphqlUrl: string,
  query: string,
  variables: Record<string, unknown> = {},
  headers: Record<string, string> = {},
): Promise<{ data: TData | null; errors: Array<{ message: string; extensions?: { code?: string; retryAfterSeconds?: number } }> | undefined; setCookies: string[] }> {
  const response = await fetch(graphqlUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'user-agent': USER_AGENT, ...headers },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await response.json()) as { data?: TData | null; errors?: Array<{ message: string; extensions?: { code?: string; retryAfterSeconds?: number } }> };
  return { data: body.data ?? null, errors: body.errors, setCookies: response.headers.getSetCookie() };
}

const SIGN_UP = 'mutation ($input: SignUpInput!) { signUp(input: $input) { token user { id } } }';
const LOGIN = 'mutation ($input: LoginInput!) { login(input: $input) { token user { id } } }';

/** Signs a new user up; returns what the client then presents (bearer or cookie, by transport). */
export async function signUp(graphqlUrl: string, credentials: Credentials, transport: 'HEADER' | 'COOKIE'): Promise<Presented> {
  return signIn(graphqlUrl, SIGN_UP, 'signUp', credentials, transport);
}

export async function login(graphqlUrl: string, credentials: Credentials, transport: 'HEADER' | 'COOKIE'): Promise<Presented> {
  return signIn(graphqlUrl, LOGIN, 'login', credentials, transport);
}

/** The body of a login request, for the login storm's loop. */
export function loginBody(credentials: Credentials): string {
  return JSON.stringify({ query: LOGIN, variables: { input: { ...credentials, transport: 'HEADER' } } });
}

async function signIn(
  graphqlUrl: string,
  query: string,
  field: 'signUp' | 'login',
  credentials: Credentials,
  transport: 'HEADER' | 'COOKIE',
): Promise<Presented> {
  const { data, errors, setCookies } = await graphqlRequest<Record<string, { token: string | null }>>(graphqlUrl, query, {
    input: { ...credentials, transport },
  });
  // The server's line of password checks is full for this client: wait as it says, as a real client would.
  const retryAfter = errors?.find((error) => error.extensions?.code === 'RATE_LIMITED')?.extensions?.retryAfterSeconds;
  if (typeof retryAfter === 'number' && retryAfter <= 5) {
    await new Promise((resolve) => setTimeout(resolve, retryAfter * 1000));
    return signIn(graphqlUrl, query, field, credentials, transport);
  }
  if (errors || !data) throw new Error(`${field} failed: ${JSON.stringify(errors)}`);
  if (transport === 'HEADER') return { headers: { authorization: `Bearer ${data[field]!.token}` } };
  const cookie = setCookies[0]?.split(';')[0];
  if (!cookie) throw new Error(`${field} set no cookie`);
  return { headers: { cookie } };
}
