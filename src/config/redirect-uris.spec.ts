import { isRedirectUriEntry, redirectUriAllowed } from './redirect-uris';

describe('redirect URI allow-lists', () => {
  const list = ['https://m.example.com/login/*', 'https://www.example.com/cb', 'http://localhost:*/*'];

  it.each([
    ['https://m.example.com/login/wechat', true],
    ['https://m.example.com/login/deep/page?x=1', true],
    ['https://www.example.com/cb', true],
    ['http://localhost:5173/anything', true],
    ['http://localhost/anything', true],
    ['https://m.example.com/logout', false],
    ['https://m.example.com.evil.com/login/x', false],
    ['https://m.example.com:8443/login/x', false],
    ['http://m.example.com/login/x', false],
    ['https://www.example.com/cb/more', false],
    ['https://www.example.com/cb?next=/admin', false],
    ['http://localhost.evil.com/x', false],
    ['https://user:pw@m.example.com/login/x', false],
    ['https://m.example.com/login/x#frag', false],
    ['javascript:alert(1)', false],
    ['not a url', false],
  ])('%s → %s', (uri, allowed) => {
    expect(redirectUriAllowed(uri, list)).toBe(allowed);
  });

  it('accepts exact URLs and suffix patterns as entries, nothing else', () => {
    expect(
      ['https://a.example.com/cb', 'https://a.example.com/p/*', 'http://127.0.0.1:*/*'].map(isRedirectUriEntry),
    ).toEqual([true, true, true]);
    expect(
      ['ftp://a.example.com/cb', 'https://*.example.com/cb', 'https://a.example.com/*/x', '*'].map(isRedirectUriEntry),
    ).toEqual([false, false, false, false]);
  });
});
