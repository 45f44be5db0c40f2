import type { ApolloServerPlugin } from '@apollo/server';
import { ApolloServerPluginCacheControlDisabled } from '@apollo/server/plugin/disabled';

/**
 * Every GraphQL answer is `Cache-Control: no-store` (sessions and tokens must never sit in a cache).
 * Apollo's cache-control plugin answered the same, but only after a hook on every resolved field to
 * collect cache hints this schema never sets; it is switched off and the header set here once.
 */
export function noStoreResponses(): ApolloServerPlugin[] {
  return [
    ApolloServerPluginCacheControlDisabled(),
    {
      async requestDidStart() {
        return {
          async willSendResponse({ response }) {
            response.http.headers.set('cache-control', 'no-store');
          },
        };
      },
    },
  ];
}
