import type { ApolloServerPlugin } from '@apollo/server';

export interface GraphQLErrorSink {
  graphqlError(code: string): void;
}

/**
 * Counts the errors each response carries, by the code the client sees (after masking,
 * so the label set stays the closed list of codes).
 */
export function graphqlErrorMetricsPlugin(sink: GraphQLErrorSink): ApolloServerPlugin {
  return {
    async requestDidStart() {
      return {
        async willSendResponse({ response }) {
          if (response.body.kind !== 'single') return;
          for (const error of response.body.singleResult.errors ?? []) {
            const code = error.extensions?.code;
            sink.graphqlError(typeof code === 'string' ? code : 'UNKNOWN');
          }
        },
      };
    },
  };
}
