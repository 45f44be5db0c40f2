import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadAppConfig } from './app-config';
import { corsOriginAllowed, readCorsOrigins } from './cors-origins';

function read(raw: string | undefined, production = false): { origins: string[]; problems: string[] } {
  const problems: string[] = [];
  const { origins } = readCorsOrigins(raw, production, problems);
  return { origins, problems };
}

describe('CORS_ORIGINS', () => {
  it('takes exact origins, normalised as browsers send them', () => {
    expect(read('https://h5.example.com, https://WWW.Example.com:443/,http://intranet:8080').origins).toEqual([
      'https://h5.example.com',
      'https://www.example.com',
      'http://intranet:8080',
    ]);
    expect(read(undefined)).toEqual({ origins: [], problems: [] });
  });

  it.each([
    '*',
    'https://*.example.com',
    'h5.example.com',
    'https://h5.example.com/login',
    'https://h5.example.com?x=1',
    'https://user:pw@h5.example.com',
    'ftp://h5.example.com',
    'https://h5.example.com#top',
  ])('names the malformed entry %s', (entry) => {
    const { origins, problems } = read(`https://ok.example.com,${entry}`);
    expect(origins).toEqual(['https://ok.example.com']);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain(`CORS_ORIGINS: "${entry}" is not an origin`);
  });

  it('refuses plain http in production', () => {
    expect(read('http://h5.example.com', true).problems).toEqual([
      'CORS_ORIGINS: "http://h5.example.com" must be https in production',
    ]);
  });

  it('stops the boot with the bad entry named', () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'wl-cors-'));
    try {
      loadAppConfig({ DATA_DIR: dataDir, CORS_ORIGINS: 'https://h5.example.com,https://h5.example.com/cb' });
      throw new Error('expected a ConfigError');
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).message).toContain('CORS_ORIGINS: "https://h5.example.com/cb" is not an origin');
    }
  });

  it('allows loopback on any port in the sandbox only, and listed origins exactly', () => {
    const sandbox = readCorsOrigins('https://h5.example.com', false, []);
    const production = readCorsOrigins('https://h5.example.com', true, []);
    for (const origin of ['http://localhost:5173', 'http://127.0.0.1:8080', 'http://localhost']) {
      expect(corsOriginAllowed(origin, sandbox)).toBe(true);
      expect(corsOriginAllowed(origin, production)).toBe(false);
    }
    for (const settings of [sandbox, production]) {
      expect(corsOriginAllowed('https://h5.example.com', settings)).toBe(true);
      expect(corsOriginAllowed('https://h5.example.com.evil.test', settings)).toBe(false);
      expect(corsOriginAllowed('http://h5.example.com', settings)).toBe(false);
      expect(corsOriginAllowed('https://localhost:3000', settings)).toBe(false);
      expect(corsOriginAllowed('http://localhost.evil.test', settings)).toBe(false);
      expect(corsOriginAllowed('null', settings)).toBe(false);
      expect(corsOriginAllowed(undefined, settings)).toBe(false);
    }
  });
});
