import { Clock } from '../../../src/common/clock';
import { SANDBOX_CARRIER } from '../../../src/config/providers-config';
import { ErrorCode } from '../../../src/errors/error-code';
import { AlibabaCarrierClient } from '../../../src/providers/carrier/carrier.client';
import { FakeCarrierServer } from '../../../src/sandbox/carrier/fake-carrier';
import { ProviderCallEvent } from '../../../src/providers/provider-calls';
import { codeOf, messageOf, providerCalls, providerConfig, SHORT } from '../../support/providers';

// The carrier client (Alibaba Cloud's official Dypnsapi SDK) against the fake over real HTTP: the
// fake checks the SDK's signed RPC request, so a passing test proves the SDK speaks to it as to Alibaba.

let fake: FakeCarrierServer;
let client: AlibabaCarrierClient;
let clock: Clock;
let events: ProviderCallEvent[];
let base: string;

beforeAll(async () => {
  clock = new Clock(true);
  fake = new FakeCarrierServer({ ...SANDBOX_CARRIER, now: () => clock.nowMs() });
  base = await fake.listen(0);
});

afterAll(async () => {
  await fake.close();
});

function makeClient(env: Record<string, string> = {}): void {
  const config = providerConfig({ CARRIER_ENDPOINT: base, ...env });
  const made = providerCalls(config);
  events = made.events;
  client = new AlibabaCarrierClient(config, made.calls);
}

beforeEach(() => {
  fake.reset();
  makeClient();
});

it('turns a token into the E.164 phone through the signed GetMobile call', async () => {
  const { token } = fake.issueToken('13800138000');
  expect(await client.getMobile(token)).toBe('+8613800138000');
  expect(fake.calls('GetMobile')).toHaveLength(1);
  expect(events).toEqual([expect.objectContaining({ provider: 'carrier', operation: 'getmobile', outcome: 'ok' })]);
});

it('refuses a used, expired or unknown token with CARRIER_TOKEN_INVALID', async () => {
  const { token } = fake.issueToken('13800138001');
  await client.getMobile(token);
  expect(await codeOf(client.getMobile(token))).toBe(ErrorCode.CARRIER_TOKEN_INVALID);
  const mobile = fake.issueToken('13800138002', 'CMCC');
  const unicom = fake.issueToken('13000138003', 'CUCC');
  clock.advance(121);
  expect(await codeOf(client.getMobile(mobile.token))).toBe(ErrorCode.CARRIER_TOKEN_INVALID);
  expect(await client.getMobile(unicom.token)).toBe('+8613000138003');
  expect(await codeOf(client.getMobile('STS.unknown'))).toBe(ErrorCode.CARRIER_TOKEN_INVALID);
  expect(await codeOf(client.getMobile(''))).toBe(ErrorCode.CARRIER_TOKEN_INVALID);
  expect(events.filter((e) => e.outcome === 'code_isv.TOKEN_INVALID')).toHaveLength(3);
});

it('is refused by the fake with a wrong AccessKey secret (the signature is checked): PROVIDER_UNAVAILABLE', async () => {
  makeClient({ CARRIER_ACCESS_KEY_ID: SANDBOX_CARRIER.accessKeyId, CARRIER_ACCESS_KEY_SECRET: 'not-the-secret-000' });
  const { token } = fake.issueToken('13800138004');
  const failure = client.getMobile(token);
  expect(await codeOf(failure)).toBe(ErrorCode.PROVIDER_UNAVAILABLE);
  expect(events).toContainEqual(expect.objectContaining({ outcome: 'code_SignatureDoesNotMatch' }));
  expect(await messageOf(client.getMobile(token))).not.toMatch(/not-the-secret|STS\./);
});

it.each([
  ['throttled', { error: 'Throttling.User' }, 'code_Throttling.User'],
  ['out of balance', { error: 'isv.OUT_OF_SERVICE' }, 'code_isv.OUT_OF_SERVICE'],
  ['an HTTP 503', { httpStatus: 503 }, undefined],
  ['a dropped connection', { drop: true }, undefined],
  ['a garbled body', { malformed: true }, 'malformed'],
  ['an answer held past the timeout', { hold: true }, 'timeout'],
])('answers PROVIDER_UNAVAILABLE when %s, and never repeats GetMobile', async (_n, fault, outcome) => {
  if ('hold' in fault) makeClient(SHORT);
  fake.addFault({ endpoint: 'getmobile', times: 5, ...fault });
  const { token } = fake.issueToken('13800138005');
  expect(await codeOf(client.getMobile(token))).toBe(ErrorCode.PROVIDER_UNAVAILABLE);
  expect(fake.calls('GetMobile')).toHaveLength(1);
  if (outcome) expect(events.map((e) => e.outcome)).toEqual([outcome]);
});

it('maps an injected isv.TOKEN_INVALID to CARRIER_TOKEN_INVALID', async () => {
  fake.addFault({ endpoint: 'getmobile', error: 'isv.TOKEN_INVALID', times: 1 });
  expect(await codeOf(client.getMobile(fake.issueToken('13800138006').token))).toBe(ErrorCode.CARRIER_TOKEN_INVALID);
});

it('opens the carrier circuit after five failures in a row: the sixth call fails fast without reaching the fake', async () => {
  fake.addFault({ endpoint: 'getmobile', httpStatus: 503, times: 10 });
  for (let i = 0; i < 5; i++) {
    expect(await codeOf(client.getMobile(fake.issueToken('13800138007').token))).toBe(ErrorCode.PROVIDER_UNAVAILABLE);
  }
  expect(fake.calls('GetMobile')).toHaveLength(5);
  expect(await codeOf(client.getMobile(fake.issueToken('13800138007').token))).toBe(ErrorCode.PROVIDER_UNAVAILABLE);
  expect(fake.calls('GetMobile')).toHaveLength(5);
});

it('does not count refused tokens against the circuit', async () => {
  for (let i = 0; i < 6; i++)
    expect(await codeOf(client.getMobile(`STS.bad-${i}`))).toBe(ErrorCode.CARRIER_TOKEN_INVALID);
  expect(await client.getMobile(fake.issueToken('13800138008').token)).toBe('+8613800138008');
});
