import type { IncomingMessage } from 'node:http';
import type { ApolloServer } from '@apollo/server';
import { createGraphQLHttp } from '../../src/graphql/graphql-http';
import type { GraphQLContext } from '../../src/graphql/context';

describe('which requests take the direct door to /graphql', () => {
  const { servesDirectly } = createGraphQLHttp({
    apollo: {} as ApolloServer<GraphQLContext>,
    context: async () => ({}) as GraphQLContext,
    middleware: [],
    maxBodyBytes: 1024,
    refuse: () => {},
  });
  const request = (method: string, url: string, headers: Record<string, string> = { 'content-type': 'application/json' }) =>
    ({ method, url, headers }) as unknown as IncomingMessage;

  it('takes JSON POSTs to /graphql, as Express routes them (any case, a trailing slash, a query string)', () => {
    for (const url of ['/graphql', '/graphql/', '/GraphQL', '/graphql?operationName=Me']) expect(servesDirectly(request('POST', url))).toBe(true);
    expect(servesDirectly(request('POST', '/graphql', { 'content-type': 'Application/JSON; charset="UTF-8"' }))).toBe(true);
    expect(servesDirectly(request('POST', '/graphql', { 'content-type': 'application/json', 'content-encoding': 'identity' }))).toBe(true);
  });

  it('leaves everything else to Express: other methods and paths, other types, charsets and encodings', () => {
    expect(servesDirectly(request('GET', '/graphql?query={me{id}}'))).toBe(false);
    expect(servesDirectly(request('OPTIONS', '/graphql'))).toBe(false);
    expect(servesDirectly(request('POST', '/graphql/more'))).toBe(false);
    expect(servesDirectly(request('POST', '/healthz'))).toBe(false);
    expect(servesDirectly(request('POST', '/graphql', {}))).toBe(false);
    expect(servesDirectly(request('POST', '/graphql', { 'content-type': 'text/plain' }))).toBe(false);
    expect(servesDirectly(request('POST', '/graphql', { 'content-type': 'application/json; charset=utf-16' }))).toBe(false);
    expect(servesDirectly(request('POST', '/graphql', { 'content-type': 'application/json', 'content-encoding': 'gzip' }))).toBe(false);
  });
});
