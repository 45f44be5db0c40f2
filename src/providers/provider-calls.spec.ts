import type { HttpAdapterHost } from '@nestjs/core';
import { createServer, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { AppConfig } from '../config/app-config.service';
import { DomainError } from '../errors/domain-error';
import { ErrorCode } from '../errors/error-code';
import { ProviderCallEvent, ProviderCalls } from './provider-calls';
import { ProviderNotSentError, ProviderRejectedError, ProviderUnavailableError } from './provider-errors';

// ProviderCalls is the outbound kit as the non-WeChat providers see it: one breaker per provider, and
// every failure translated to the contract's codes in one place.

const config = { get: () => ({ timeoutMs: 2000, budgetMs: 10_000 }) } as unknown as AppConfig;
const noServer = { httpAdapter: undefined } as unknown as HttpAdapterHost;

let server: Server;
let base: string;
let calls: ProviderCalls;
let events: ProviderCallEvent[];

beforeAll(async () => {
  server = createServer((req, res) => {
    if (req.url === '/json') res.end('{"a":"b"}');
    else if (req.url === '/text') res.end('not json');
    else res.writeHead(503).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

beforeEach(() => {
  calls = new ProviderCalls(config, noServer);
  events = [];
  calls.onCall = (event) => events.push(event);
});

afterEach(() => calls.onModuleDestroy());

async function codeOf(work: () => Promise<unknown>, provider: 'apple' | 'carrier' = 'apple'): Promise<string> {
  const error = await calls.run(provider, 'once', work).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(DomainError);
  return (error as DomainError).code;
}

it.each([
  ['apple', new ProviderRejectedError('apple', 'invalid_grant'), ErrorCode.PROVIDER_TOKEN_INVALID],
  ['carrier', new ProviderRejectedError('carrier', 'isv.TOKEN_INVALID'), ErrorCode.CARRIER_TOKEN_INVALID],
  ['apple', new ProviderNotSentError('apple', 'bad-input'), ErrorCode.PROVIDER_TOKEN_INVALID],
  ['carrier', new ProviderNotSentError('carrier', 'bad-input'), ErrorCode.CARRIER_TOKEN_INVALID],
  ['apple', new ProviderUnavailableError('apple', 'refused', 'invalid_client'), ErrorCode.PROVIDER_UNAVAILABLE],
  ['carrier', new ProviderUnavailableError('carrier', 'throttled'), ErrorCode.PROVIDER_UNAVAILABLE],
  ['apple', new URIError('URI malformed'), ErrorCode.INTERNAL],
] as const)('a %s failure (%p) answers %s', async (provider, error, code) => {
  expect(await codeOf(() => Promise.reject(error), provider)).toBe(code);
});

it('answers the status and the JSON body, or null for a body that is not JSON', async () => {
  const json = await calls.run('qq', 'safe', (s) => calls.fetchJson('qq', 'me', `${base}/json`, { method: 'GET' }, s));
  const text = await calls.run('qq', 'safe', (s) => calls.fetchJson('qq', 'me', `${base}/text`, { method: 'GET' }, s));
  expect([json.status, json.body, text.status, text.body]).toEqual([200, { a: 'b' }, 200, null]);
});

it('one breaker per provider: Huawei failing opens its own, Apple goes on', async () => {
  const down = (s: AbortSignal) =>
    calls.fetchJson('huawei', 'token', `${base}/down`, { method: 'GET' }, s).then(({ status }) => {
      throw new ProviderUnavailableError('huawei', 'http', String(status));
    });
  for (let i = 0; i < 5; i++) {
    const error = await calls.run('huawei', 'once', down).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: ErrorCode.PROVIDER_UNAVAILABLE });
  }
  expect(calls.circuitState('huawei')).toBe('open');
  expect(calls.circuitState('apple')).toBe('closed');
  expect(await codeOf(() => Promise.reject(new ProviderRejectedError('apple', 'x')))).toBe('PROVIDER_TOKEN_INVALID');
});

it('without a configured base and no server listening, the sandbox base is out of reach', () => {
  expect(() => calls.localBase('apple', '/sandbox/apple')).toThrow(ProviderUnavailableError);
});
