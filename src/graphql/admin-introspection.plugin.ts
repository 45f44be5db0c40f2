import type { ApolloServerPlugin } from '@apollo/server';
import { DocumentNode, GraphQLError, visit, BREAK } from 'graphql';
import type { Request } from 'express';
import { bearerTokenOf } from '../sessions/bearer-token';
import type { SessionsService } from '../sessions/sessions.service';
import { ErrorCode } from '../errors/error-code';

// Apollo keeps one parsed document per query text, so the answer is kept per document.
const asked = new WeakMap<DocumentNode, boolean>();

function asksForSchema(document: DocumentNode): boolean {
  let found = asked.get(document);
  if (found === undefined) asked.set(document, (found = scan(document)));
  return found;
}

function scan(document: DocumentNode): boolean {
  let found = false;
  visit(document, {
    Field(node) {
      if (node.name.value === '__schema' || node.name.value === '__type') {
        found = true;
        return BREAK;
      }
      return undefined;
    },
  });
  return found;
}

/**
 * Production: introspection and "Did you mean …?" suggestions are answered only for admin tokens
 * (they map the schema for an attacker; admins need them in the playground).
 */
export function adminOnlySchemaHelp(sessions: SessionsService): ApolloServerPlugin<{ req: Request }> {
  return {
    async requestDidStart({ contextValue }) {
      let admin: Promise<boolean> | undefined;
      const isAdmin = (): Promise<boolean> => {
        admin ??= (async () => {
          const token = bearerTokenOf(contextValue.req?.headers);
          if (!token) return false;
          const caller = await sessions.authenticate(token).catch(() => null);
          return caller?.roles.includes('admin') ?? false;
        })();
        return admin;
      };
      return {
        async didResolveOperation({ document }) {
          if (asksForSchema(document) && !(await isAdmin())) {
            // A refused document, as Apollo answers validation errors: HTTP 400, not 500.
            throw new GraphQLError('Introspection is for admins.', {
              extensions: { code: ErrorCode.FORBIDDEN, http: { status: 400 } },
            });
          }
        },
        async didEncounterErrors({ errors }) {
          if (await isAdmin()) return;
          for (const error of errors) error.message = error.message.replace(/ ?Did you mean .+\?$/, '');
        },
      };
    },
  };
}
