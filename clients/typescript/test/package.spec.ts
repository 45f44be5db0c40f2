import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

// The published package: both builds load through the exports map (require and import), and the
// tarball holds what package.json promises. Needs `npm run build` (CI runs it before the specs).
const dir = join(__dirname, '..');
const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));

describe('the package', () => {
  it('is publishable: MIT, not private, types and both module kinds in the exports map', () => {
    expect(pkg.private).toBeUndefined();
    expect(pkg.license).toBe('MIT');
    expect(readFileSync(join(dir, 'LICENSE'), 'utf8')).toMatch(/^MIT License/);
    expect(pkg.exports['.'].import.default).toBe('./dist/esm/index.js');
    expect(pkg.exports['.'].require.default).toBe('./dist/cjs/index.js');
    for (const file of [pkg.main, pkg.module, pkg.types, pkg.exports['.'].import.types]) {
      expect(existsSync(join(dir, file))).toBe(true);
    }
  });

  it('loads with require (CommonJS) and with import (ESM) by its own name', () => {
    const names = 'LoginClient,webStorage,miniProgramFetch,AppleLoginDocument';
    const cjs = execFileSync(
      process.execPath,
      [
        '-e',
        `const m = require('@wechat-login/client'); console.log('${names}'.split(',').map((n) => typeof m[n]).join())`,
      ],
      { cwd: dir, encoding: 'utf8' },
    );
    const esm = execFileSync(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `import * as m from '@wechat-login/client'; console.log('${names}'.split(',').map((n) => typeof m[n]).join())`,
      ],
      { cwd: dir, encoding: 'utf8' },
    );
    expect(cjs.trim()).toBe('function,function,function,object');
    expect(esm.trim()).toBe('function,function,function,object');
  });

  it('packs dist, sources, README and LICENSE only', () => {
    const [packed] = JSON.parse(
      execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: dir, encoding: 'utf8' }),
    ) as [{ files: { path: string }[] }];
    const paths = packed.files.map((f) => f.path);
    expect(paths).toEqual(
      expect.arrayContaining(['LICENSE', 'README.md', 'package.json', 'dist/esm/index.js', 'dist/cjs/index.d.ts']),
    );
    expect(paths.filter((p) => !/^(dist|src)\/|^(LICENSE|README\.md|package\.json)$/.test(p))).toEqual([]);
  });
});
