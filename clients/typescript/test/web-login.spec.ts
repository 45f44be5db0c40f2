import { isWechatBrowser, parseWechatReturn } from '@wechat-login/client';

describe('parseWechatReturn', () => {
  it('reads code and state and gives the address without them', () => {
    expect(parseWechatReturn('https://m.example.com/login?from=home&code=abc%2B1&state=s1#top')).toEqual({
      code: 'abc+1',
      state: 's1',
      cleanUrl: 'https://m.example.com/login?from=home#top',
    });
    expect(parseWechatReturn('http://localhost:8080/cb?code=c&state=s')).toEqual({
      code: 'c',
      state: 's',
      cleanUrl: 'http://localhost:8080/cb',
    });
  });

  it('drops the #wechat_redirect a browser carries over from the authorize URL', () => {
    expect(parseWechatReturn('http://localhost:8080/cb?code=c&state=s#wechat_redirect').cleanUrl).toBe(
      'http://localhost:8080/cb',
    );
  });

  it('declined (state only) and not a return at all', () => {
    expect(parseWechatReturn('http://localhost/cb?state=s')).toEqual({
      code: null,
      state: 's',
      cleanUrl: 'http://localhost/cb',
    });
    expect(parseWechatReturn('http://localhost/cb?x=1')).toEqual({
      code: null,
      state: null,
      cleanUrl: 'http://localhost/cb?x=1',
    });
  });

  it('tells WeChat’s browser by its user agent', () => {
    expect(isWechatBrowser('Mozilla/5.0 (iPhone) AppleWebKit MicroMessenger/8.0.47 NetType/WIFI')).toBe(true);
    expect(isWechatBrowser('Mozilla/5.0 (X11; Linux x86_64) Chrome/120')).toBe(false);
  });
});
