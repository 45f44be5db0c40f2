import * as sdk from '@wechat-login/client';
import { LoginClient } from '@wechat-login/client';
import { dummyVariables, operationOf } from './schema';
import { freshPhone, graphqlUrl, outboxCode } from './sandbox';

// Every document the SDK ships, sent to a running sandbox with its default limits (depth 8, 15
// aliases, cost 5000, 2000 tokens): none may be refused before it runs (QUERY_TOO_COMPLEX, or a
// parse/validation error). Each must reach its resolvers: an answer with data, or errors with a path.
const documents = Object.entries(sdk)
  .filter(([name]) => name.endsWith('Document'))
  .map(([name, doc]) => [name, String(doc)] as const)
  // Logout last: it ends the session the others are sent with.
  .sort(([a], [b]) => Number(a === 'LogoutDocument') - Number(b === 'LogoutDocument'));

describe('every document the SDK ships, against the sandbox', () => {
  let token: string;

  beforeAll(async () => {
    const client = new LoginClient({ url: graphqlUrl() });
    const phone = freshPhone();
    await client.sendLoginCode(phone);
    await client.loginWithPhone(phone, await outboxCode(phone));
    token = (await client.currentSession())!.accessToken;
  });

  it('ships a document for every operation of schema.gql', () => {
    const shipped = new Set(documents.map(([, query]) => operationOf(query).name?.value));
    expect(shipped.size).toBe(documents.length);
    expect(documents.length).toBeGreaterThanOrEqual(36);
  });

  it.each(documents)('%s is accepted (not QUERY_TOO_COMPLEX, not invalid) and runs', async (_name, query) => {
    const operationName = operationOf(query).name!.value;
    const res = await fetch(graphqlUrl(), {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ query, variables: dummyVariables(query), operationName }),
    });
    const body = (await res.json()) as {
      data?: unknown;
      errors?: { message: string; path?: unknown[]; extensions?: { code?: string } }[];
    };
    const refused = (body.errors ?? []).filter((e) => !e.path);
    expect(refused.map((e) => ({ code: e.extensions?.code, message: e.message }))).toEqual([]);
    expect(body.errors?.map((e) => e.extensions?.code) ?? []).not.toContain('QUERY_TOO_COMPLEX');
    expect(body).toHaveProperty('data');
  });
});
