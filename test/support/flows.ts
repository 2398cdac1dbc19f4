import { LoginDocument, SignUpDocument } from '../generated/graphql';
import { PASSWORD, TestClient, uniqueEmail } from './harness';

/** Anything a GraphQL client can be pointed at: an in-process test server or a server process. */
export interface GraphQLTarget {
  graphqlUrl: string;
}

/** A client holding a session, as a browser (cookie jar) or an app (bearer token) would. */
export interface SignedInClient {
  client: TestClient;
  email: string;
  userId: string;
  sessionId: string;
  /** The bearer token (HEADER sessions only). */
  token: string | null;
}

/** A client of a HEADER session: it sends its token as `Authorization: Bearer`. */
export interface BearerClient extends SignedInClient {
  token: string;
}

/** Signs up a new account in a browser-like client (the session rides in its cookie jar). */
export async function signUpInBrowser(target: GraphQLTarget, label = 'user', password = PASSWORD): Promise<SignedInClient> {
  const email = uniqueEmail(label);
  const client = new TestClient(target.graphqlUrl);
  const response = await client.request(SignUpDocument, { input: { email, password } });
  expect(response.errors).toBeUndefined();
  const { user, session } = response.data!.signUp;
  return { client, email, userId: user.id, sessionId: session.id, token: null };
}

/** Signs up a new account as a mobile app would: transport HEADER, the token kept for the bearer header. */
export async function signUpWithBearer(target: GraphQLTarget, label = 'app', password = PASSWORD): Promise<BearerClient> {
  const email = uniqueEmail(label);
  const client = new TestClient(target.graphqlUrl, { cookies: false });
  const response = await client.request(SignUpDocument, { input: { email, password, transport: 'HEADER' } });
  expect(response.errors).toBeUndefined();
  const { user, session, token } = response.data!.signUp;
  client.bearerToken = token!;
  return { client, email, userId: user.id, sessionId: session.id, token: token! };
}

/** Logs in as a mobile app would: a new session with transport HEADER, its token in the client. */
export async function headerLogin(target: GraphQLTarget, email: string, password = PASSWORD): Promise<BearerClient> {
  const client = new TestClient(target.graphqlUrl, { cookies: false });
  const response = await client.request(LoginDocument, { input: { email, password, transport: 'HEADER' } });
  expect(response.errors).toBeUndefined();
  const { user, session, token } = response.data!.login;
  client.bearerToken = token!;
  return { client, email, userId: user.id, sessionId: session.id, token: token! };
}
