import { isAbsolute, resolve } from 'node:path';
import { defineVariables, EnvReader, int, text } from '../env-reader';

// The GraphQL endpoint's bounds on one document, and where the schema SDL is written at boot.

export const GRAPHQL_VARIABLES = defineVariables({
  GRAPHQL_MAX_DEPTH: int('maximum query depth (default 8)', 8, 2, 50),
  GRAPHQL_MAX_ALIASES: int('maximum aliases per operation (default 15)', 15, 1, 1000),
  GRAPHQL_MAX_COST: int('maximum query cost (default 5000)', 5000, 10, 1_000_000),
  GRAPHQL_MAX_TOKENS: int('maximum tokens in one document (default 2000)', 2000, 50, 100_000),
  GRAPHQL_SCHEMA_FILE: text('write the schema SDL here at boot (default schema.gql outside production)'),
});
const V = GRAPHQL_VARIABLES;

export interface GraphqlSettings {
  maxDepth: number;
  maxAliases: number;
  maxCost: number;
  maxTokens: number;
  schemaFile: string | null;
}

export function readGraphql(reader: EnvReader, production: boolean, cwd: string): GraphqlSettings {
  return {
    maxDepth: reader.int(V.GRAPHQL_MAX_DEPTH),
    maxAliases: reader.int(V.GRAPHQL_MAX_ALIASES),
    maxCost: reader.int(V.GRAPHQL_MAX_COST),
    maxTokens: reader.int(V.GRAPHQL_MAX_TOKENS),
    schemaFile: readSchemaFile(reader, production, cwd),
  };
}

function readSchemaFile(reader: EnvReader, production: boolean, cwd: string): string | null {
  const raw = reader.string(V.GRAPHQL_SCHEMA_FILE);
  if (raw === undefined) return production ? null : resolve(cwd, 'schema.gql');
  if (['false', 'off', 'none'].includes(raw.toLowerCase())) return null;
  return isAbsolute(raw) ? raw : resolve(cwd, raw);
}
