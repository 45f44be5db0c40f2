import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadEnvFileIfPresent } from './env-file';

describe('loadEnvFileIfPresent', () => {
  const dir = mkdtempSync(join(tmpdir(), 'wl-env-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('adds the variables of the file, and the environment wins over it', () => {
    const file = join(dir, '.env');
    writeFileSync(file, '# comment\nFILE_ONLY=from-file\nBOTH=from-file\nQUOTED="a b#c"\nexport EXPORTED=yes\n');
    const env: NodeJS.ProcessEnv = { BOTH: 'from-environment', OTHER: 'kept' };
    expect(loadEnvFileIfPresent(file, env)).toBe(file);
    expect(env).toEqual({
      FILE_ONLY: 'from-file',
      BOTH: 'from-environment',
      QUOTED: 'a b#c',
      EXPORTED: 'yes',
      OTHER: 'kept',
    });
  });

  it('does nothing when there is no file', () => {
    const env: NodeJS.ProcessEnv = { OTHER: 'kept' };
    expect(loadEnvFileIfPresent(join(dir, 'missing.env'), env)).toBeUndefined();
    expect(env).toEqual({ OTHER: 'kept' });
  });
});
