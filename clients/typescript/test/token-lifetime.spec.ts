import { accessTokenLifetimeMs } from '../src/token-lifetime';

const jwt = (claims: object): string =>
  ['{"alg":"ES256"}', JSON.stringify(claims)].map((p) => Buffer.from(p).toString('base64url')).join('.') + '.sig';

describe('accessTokenLifetimeMs', () => {
  it('reads exp - iat from the payload, whatever the padding', () => {
    expect(accessTokenLifetimeMs(jwt({ sub: 'u', iat: 1_700_000_000, exp: 1_700_000_900 }))).toBe(900_000);
    expect(accessTokenLifetimeMs(jwt({ sub: 'user-ab', sid: 'é', iat: 10, exp: 70 }))).toBe(60_000);
  });

  it('answers null for anything else', () => {
    expect(accessTokenLifetimeMs('opaque-token')).toBeNull();
    expect(accessTokenLifetimeMs(jwt({ iat: 100 }))).toBeNull();
    expect(accessTokenLifetimeMs(jwt({ iat: 100, exp: 50 }))).toBeNull();
    expect(accessTokenLifetimeMs('a.!!!.b')).toBeNull();
  });
});
