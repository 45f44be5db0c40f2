import { DatabaseSettings, loadAppConfig } from './config/app-config';
import { describeDatabase, printBanner } from './banner';
import { SANDBOX_BANNER_FAKES } from './sandbox/sandbox.module';

const BOUNDS = { queryTimeoutMs: 5000, acquireTimeoutMs: 5000 };

describe('the banner', () => {
  it('names the database kind and place, never its password', () => {
    expect(describeDatabase({ ...BOUNDS, type: 'sqlite', path: '/data/wechat-login.sqlite' })).toBe(
      'SQLite database at /data/wechat-login.sqlite',
    );
    const mariadb: DatabaseSettings = {
      ...BOUNDS,
      type: 'mysql',
      flavor: 'mariadb',
      url: 'mariadb://app:s3cret@db.internal:3306/login',
      poolSize: 10,
      batchStatements: true,
    };
    expect(describeDatabase(mariadb)).toBe('MariaDB database at db.internal:3306/login');
    const mysql: DatabaseSettings = {
      ...BOUNDS,
      type: 'mysql',
      poolSize: 10,
      batchStatements: true,
      flavor: 'mysql',
      url: 'mysql://app:s3cret@db:3306/login',
    };
    expect(describeDatabase(mysql)).toBe('MySQL database at db:3306/login');
  });

  it('shows the sandbox URLs: the /sandbox page, every fake, the SMS outbox', () => {
    const config = loadAppConfig({
      DATA_DIR: '/tmp/wl-banner',
      DATABASE_URL: 'sqlite::memory:',
      GRAPHQL_SCHEMA_FILE: 'off',
    });
    const write = jest.spyOn(process.stdout, 'write').mockImplementation(() => true);
    try {
      printBanner(config, { address: '127.0.0.1', family: 'IPv4', port: 4123 }, SANDBOX_BANNER_FAKES);
      const text = write.mock.calls.map(([chunk]) => String(chunk)).join('');
      expect(text).toContain('SANDBOX MODE');
      expect(text).toContain('http://127.0.0.1:4123/graphql');
      expect(text).toContain('SMS outbox       http://127.0.0.1:4123/sandbox/sms/outbox?phone=<phone>');
      expect(text).toContain('Start here       http://127.0.0.1:4123/sandbox ');
      expect(text).toContain('Fake WeChat      http://127.0.0.1:4123/sandbox/wechat ');
      expect(text).toContain('Fake Apple       http://127.0.0.1:4123/sandbox/apple ');
      expect(text).toContain('Fake Huawei      http://127.0.0.1:4123/sandbox/huawei ');
      expect(text).toContain('Fake carrier     http://127.0.0.1:4123/sandbox/carrier ');
      expect(text).toContain('Captcha          POST http://127.0.0.1:4123/sandbox/captcha/solve');
      expect(text).toContain('Clock            POST http://127.0.0.1:4123/sandbox/clock');
      // Every WeChat channel's app, the mini program among them.
      expect(text).toContain('wxsandboxmini0001 (mini_program)');
      expect(text).toContain('wxsandboxweb00001 (website)');
      expect(text).toContain('SQLite database at :memory:');
    } finally {
      write.mockRestore();
    }
  });

  it('says in production which web origins may call, and lists no fake', () => {
    const config = loadAppConfig({
      DATA_DIR: '/tmp/wl-banner',
      DATABASE_URL: 'sqlite::memory:',
      GRAPHQL_SCHEMA_FILE: 'off',
    });
    const write = jest.spyOn(process.stdout, 'write').mockImplementation(() => true);
    try {
      printBanner(
        { ...config, mode: 'production', cors: { origins: ['https://h5.example.com'], loopbackAnyPort: false } },
        null,
      );
      printBanner({ ...config, mode: 'production', cors: { origins: [], loopbackAnyPort: false } }, null);
      const text = write.mock.calls.map(([chunk]) => String(chunk)).join('');
      expect(text).toContain('Web origins allowed (CORS_ORIGINS): https://h5.example.com');
      expect(text).toContain('Web origins allowed (CORS_ORIGINS): none (web pages must be served from this origin)');
      expect(text).not.toContain('/sandbox');
    } finally {
      write.mockRestore();
    }
  });
});
