import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { GraphQLSchemaHost } from '@nestjs/graphql';
import {
  buildSchema,
  GraphQLField,
  GraphQLSchema,
  isEnumType,
  isInputObjectType,
  isObjectType,
  lexicographicSortSchema,
  printSchema,
} from 'graphql';
import { startTestApp, TestApp } from '../support/test-app';

// Operations of docs/api-contract.graphql that later issues build. The test fails when one of them
// appears in the schema while still listed here, so the list only shrinks.
const PENDING = new Set<string>([]);

const ROOT = join(__dirname, '..', '..');

// The contract's arguments and type; arguments we add must be optional, so they are left out.
function signature(field: GraphQLField<unknown, unknown>, contract?: GraphQLField<unknown, unknown>): string {
  const args = field.args
    .filter((a) => !contract || contract.args.some((c) => c.name === a.name) || !a.type.toString().endsWith('!'))
    .filter((a) => !contract || contract.args.some((c) => c.name === a.name))
    .map((a) => `${a.name}: ${a.type.toString()}`)
    .sort()
    .join(', ');
  const extraRequired = contract
    ? field.args.filter((a) => !contract.args.some((c) => c.name === a.name) && a.type.toString().endsWith('!'))
    : [];
  return `(${args}): ${field.type.toString()}${extraRequired.length ? ` + required ${extraRequired.map((a) => a.name).join(',')}` : ''}`;
}

describe('the GraphQL schema', () => {
  let t: TestApp;
  let schema: GraphQLSchema;
  const contract = buildSchema(readFileSync(join(ROOT, 'docs', 'api-contract.graphql'), 'utf8'));

  beforeAll(async () => {
    t = await startTestApp();
    schema = t.app.get(GraphQLSchemaHost).schema;
  });

  afterAll(async () => {
    await t.close();
  });

  it('is committed as schema.gql, up to date', () => {
    const committed = readFileSync(join(ROOT, 'schema.gql'), 'utf8')
      .split('\n')
      .filter((line) => !line.startsWith('#'))
      .join('\n')
      .trim();
    expect(committed).toBe(printSchema(lexicographicSortSchema(schema)).trim());
  });

  it('exposes every contract operation it has built with the contract signature', () => {
    for (const rootName of ['Query', 'Mutation'] as const) {
      const contractRoot = rootName === 'Query' ? contract.getQueryType() : contract.getMutationType();
      const ourRoot = rootName === 'Query' ? schema.getQueryType() : schema.getMutationType();
      for (const field of Object.values(contractRoot!.getFields())) {
        const key = `${rootName}.${field.name}`;
        const ours = ourRoot?.getFields()[field.name];
        if (PENDING.has(key)) {
          expect({ key, built: ours !== undefined }).toEqual({ key, built: false });
          continue;
        }
        expect({ key, signature: ours ? signature(ours, field) : 'missing' }).toEqual({
          key,
          signature: signature(field),
        });
      }
    }
  });

  it('gives every contract type it has the contract fields and enum values', () => {
    for (const contractType of Object.values(contract.getTypeMap())) {
      if (contractType.name.startsWith('__') || ['Query', 'Mutation'].includes(contractType.name)) continue;
      const ours = schema.getType(contractType.name);
      if (!ours) continue;
      if (isEnumType(contractType) && isEnumType(ours)) {
        const values = ours.getValues().map((v) => v.name);
        expect({ type: contractType.name, values }).toEqual({
          type: contractType.name,
          values: expect.arrayContaining(contractType.getValues().map((v) => v.name)),
        });
      }
      if (
        (isObjectType(contractType) && isObjectType(ours)) ||
        (isInputObjectType(contractType) && isInputObjectType(ours))
      ) {
        const ourFields = ours.getFields();
        for (const field of Object.values(contractType.getFields())) {
          expect({ field: `${contractType.name}.${field.name}`, type: ourFields[field.name]?.type.toString() }).toEqual(
            {
              field: `${contractType.name}.${field.name}`,
              type: field.type.toString(),
            },
          );
        }
      }
    }
  });
});
