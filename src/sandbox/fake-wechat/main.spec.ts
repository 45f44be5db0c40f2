import { parseAppArgument } from './main';

describe('the fake WeChat process’s --app argument', () => {
  it('reads appId:secret as a native app on the Open Platform, as before', () => {
    expect(parseAppArgument('wxa:sa')).toEqual({ appId: 'wxa', secret: 'sa' });
  });

  it('reads channel:appId:secret[:noopen]', () => {
    expect(parseAppArgument('mini_program:wxm:sm')).toEqual({
      appId: 'wxm',
      secret: 'sm',
      channel: 'mini_program',
      openPlatform: true,
    });
    expect(parseAppArgument('official_account:wxo:so:noopen')).toEqual({
      appId: 'wxo',
      secret: 'so',
      channel: 'official_account',
      openPlatform: false,
    });
  });

  it.each(['wxa', 'wxa:', 'tv:wxa:sa', 'website:wxw:sw:open', 'a:b:c:d:e'])('refuses %s', (value) => {
    expect(() => parseAppArgument(value)).toThrow(/--app takes/);
  });
});
