import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadAppConfig } from './app-config';
import { ENV_VARIABLES, SENSITIVE_VARIABLES } from './env.variables';

// The configuration is split per area (src/config/areas), each declaring its own variables: the
// composed list must name each variable once, and no configuration file grows back into a monolith.
describe('configuration areas', () => {
  it('declare every variable once, each with a description', () => {
    const names = ENV_VARIABLES.map((v) => v.name);
    expect(names.filter((name, i) => names.indexOf(name) !== i)).toEqual([]);
    expect(ENV_VARIABLES.filter((v) => v.description.trim() === '').map((v) => v.name)).toEqual([]);
    expect([...SENSITIVE_VARIABLES].sort()).toEqual(
      expect.arrayContaining(['DATABASE_URL', 'SESSION_SIGNING_KEY', 'TOKEN_ENCRYPTION_KEYS', 'WECHAT_APPS']),
    );
  });

  it('take the declared defaults and bounds: a bad number names its range, and the default holds', () => {
    expect(() => loadAppConfig({ DATA_DIR: mkdtempSync(join(tmpdir(), 'wl-areas-')), SMS_MAX_ATTEMPTS: '99' })).toThrow(
      'SMS_MAX_ATTEMPTS: a whole number from 1 to 20',
    );
  });

  it('keep each configuration file under 300 lines', () => {
    const dir = __dirname;
    const files = [
      ...readdirSync(dir).map((f) => join(dir, f)),
      ...readdirSync(join(dir, 'areas')).map((f) => join(dir, 'areas', f)),
    ].filter((f) => f.endsWith('.ts') && !f.endsWith('.spec.ts'));
    const long = files.filter((f) => readFileSync(f, 'utf8').split('\n').length > 300);
    expect(long).toEqual([]);
  });
});
