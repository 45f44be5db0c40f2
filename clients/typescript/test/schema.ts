// The service's schema (../../schema.gql) for the specs: dummy variables for any document, and
// which root fields take a deviceId.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  buildSchema,
  getNamedType,
  isEnumType,
  isInputObjectType,
  isListType,
  isNonNullType,
  isScalarType,
  parse,
  typeFromAST,
  type GraphQLInputType,
  type OperationDefinitionNode,
} from 'graphql';

export const schema = buildSchema(readFileSync(join(__dirname, '..', '..', '..', 'schema.gql'), 'utf8'));

const SCALARS: Record<string, unknown> = {
  String: 'x',
  ID: '1',
  Int: 1,
  Float: 1,
  Boolean: false,
  DateTime: '2026-01-01T00:00:00.000Z',
};

/** A value of this type that passes variable coercion: required fields only, first enum value. */
export function dummyValue(type: GraphQLInputType): unknown {
  if (isNonNullType(type)) return dummyValue(type.ofType);
  if (isListType(type)) return [dummyValue(type.ofType)];
  if (isEnumType(type)) return type.getValues()[0].value;
  if (isScalarType(type)) {
    if (!(type.name in SCALARS)) throw new Error(`no dummy value for scalar ${type.name}`);
    return SCALARS[type.name];
  }
  if (isInputObjectType(type)) {
    const out: Record<string, unknown> = {};
    for (const field of Object.values(type.getFields())) {
      if (isNonNullType(field.type) && field.defaultValue === undefined) out[field.name] = dummyValue(field.type);
    }
    return out;
  }
  throw new Error(`unexpected input type ${String(type)}`);
}

export function operationOf(query: string): OperationDefinitionNode {
  const op = parse(query).definitions.find((d) => d.kind === 'OperationDefinition');
  if (!op) throw new Error('no operation in the document');
  return op as OperationDefinitionNode;
}

/** Variables for every required variable of the document. */
export function dummyVariables(query: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const def of operationOf(query).variableDefinitions ?? []) {
    if (def.type.kind !== 'NonNullType' || def.defaultValue) continue;
    out[def.variable.name.value] = dummyValue(typeFromAST(schema, def.type) as GraphQLInputType);
  }
  return out;
}

/**
 * The deviceId values a request sent, one per place that takes one (`deviceId` argument, or
 * `input.deviceId` when the input type has it); undefined where it was left out.
 */
export function deviceIdsSent(query: string, variables: Record<string, unknown>): Array<unknown> {
  const op = operationOf(query);
  const root = op.operation === 'mutation' ? schema.getMutationType()! : schema.getQueryType()!;
  const sent: unknown[] = [];
  for (const sel of op.selectionSet.selections) {
    if (sel.kind !== 'Field') continue;
    const field = root.getFields()[sel.name.value];
    for (const arg of field.args) {
      const given = sel.arguments?.find((a) => a.name.value === arg.name)?.value;
      const value = given?.kind === 'Variable' ? variables[given.name.value] : undefined;
      if (arg.name === 'deviceId') sent.push(value);
      const named = getNamedType(arg.type);
      if (isInputObjectType(named) && 'deviceId' in named.getFields()) {
        sent.push((value as Record<string, unknown> | undefined)?.deviceId);
      }
    }
  }
  return sent;
}
