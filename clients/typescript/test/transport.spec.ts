import { GraphQLTransport, LoginServiceError, MeDocument, NetworkError, type FetchLike } from '@wechat-login/client';

// Unit spec: a scripted fetch stands in for the service.
function scripted(answers: Array<{ status?: number; body: unknown }>) {
  const calls: Array<{ headers: Record<string, string>; body: { operationName: string } }> = [];
  const fetch: FetchLike = async (_url, init) => {
    calls.push({ headers: init.headers, body: JSON.parse(init.body) });
    const next = answers.shift();
    if (!next) throw new Error('no more scripted answers');
    const text = typeof next.body === 'string' ? next.body : JSON.stringify(next.body);
    return { ok: (next.status ?? 200) < 400, status: next.status ?? 200, text: async () => text };
  };
  return { fetch, calls };
}

const error = (code: string, extra: Record<string, unknown> = {}) => ({
  data: null,
  errors: [{ message: code, extensions: { code, ...extra } }],
});
const me = { data: { me: { id: 'u1' } } };

describe('GraphQLTransport retries', () => {
  const waits: number[] = [];
  const options = (fetch: FetchLike, maxRetries = 3) => ({
    url: 'http://service.test/graphql',
    fetch,
    retry: { maxRetries, baseDelayMs: 100, maxDelayMs: 5000 },
    random: () => 0.5,
    sleep: async (ms: number) => void waits.push(ms),
  });
  beforeEach(() => (waits.length = 0));

  it('retries retryable errors with growing, jittered waits and returns the data', async () => {
    const s = scripted([
      { body: error('WECHAT_UNAVAILABLE', { retryable: true }) },
      { body: error('SERVICE_UNAVAILABLE', { retryable: true }) },
      { body: me },
    ]);
    const t = new GraphQLTransport(options(s.fetch));
    expect(await t.request(MeDocument, {}, { accessToken: 'at' })).toEqual(me.data);
    expect(waits).toEqual([50, 100]); // 100·2^n, times the jitter 0.5
    expect(s.calls.map((c) => c.body.operationName)).toEqual(['Me', 'Me', 'Me']);
    expect(s.calls[0].headers.authorization).toBe('Bearer at');
  });

  it('waits at least retryAfterSeconds, and gives up when that is longer than maxDelayMs', async () => {
    const s = scripted([{ body: error('TOO_MANY_REQUESTS', { retryable: true, retryAfterSeconds: 2 }) }, { body: me }]);
    await new GraphQLTransport(options(s.fetch)).request(MeDocument, {});
    expect(waits).toEqual([2000]);

    const long = scripted([{ body: error('SMS_RATE_LIMITED', { retryable: true, retryAfterSeconds: 60 }) }]);
    const e = await new GraphQLTransport(options(long.fetch)).request(MeDocument, {}).catch((x: unknown) => x);
    expect(e).toMatchObject({ code: 'SMS_RATE_LIMITED', retryable: true, retryAfterSeconds: 60 });
    expect(long.calls).toHaveLength(1);
  });

  it('never retries a non-retryable error', async () => {
    const s = scripted([{ body: error('SMS_CODE_INVALID') }]);
    const e = await new GraphQLTransport(options(s.fetch)).request(MeDocument, {}).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(LoginServiceError);
    expect(e).toMatchObject({ code: 'SMS_CODE_INVALID', retryable: false });
    expect(s.calls).toHaveLength(1);
  });

  it('stops after maxRetries and throws the last error', async () => {
    const s = scripted(Array.from({ length: 3 }, () => ({ body: error('WECHAT_UNAVAILABLE', { retryable: true }) })));
    const e = await new GraphQLTransport(options(s.fetch, 2)).request(MeDocument, {}).catch((x: unknown) => x);
    expect(e).toMatchObject({ code: 'WECHAT_UNAVAILABLE' });
    expect(s.calls).toHaveLength(3);
  });

  it('turns a non-GraphQL answer into a NetworkError with the status', async () => {
    const s = scripted([{ status: 502, body: '<html>bad gateway</html>' }]);
    const e = await new GraphQLTransport(options(s.fetch)).request(MeDocument, {}).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(NetworkError);
    expect(e).toMatchObject({ status: 502, operationName: 'Me' });
  });
});
