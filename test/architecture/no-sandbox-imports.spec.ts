import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';

// Production code never imports the sandbox (its fakes, pages and sandbox-only senders): the sandbox
// plugs into the app at the one composition root, which loads it only in sandbox mode. Specs are tests
// (they drive the fakes) and are left out, as test/ is.

const ROOT = resolve(__dirname, '../..');
const SRC = join(ROOT, 'src');
const SANDBOX = join(SRC, 'sandbox');
/** The one file outside src/sandbox allowed to import it. */
const COMPOSITION_ROOT = join(SRC, 'app.module.ts');

// Static imports and re-exports, side-effect imports, import() and require() of a relative path.
const SPECIFIER = /(?:\bfrom\s*|\bimport\s*\(\s*|\brequire\s*\(\s*|^\s*import\s+)['"](\.{1,2}\/[^'"]*)['"]/gm;

/** The relative specifiers a source file imports. */
export function relativeImports(source: string): string[] {
  return [...source.matchAll(SPECIFIER)].map((m) => m[1]);
}

function isUnder(path: string, dir: string): boolean {
  return path === dir || path.startsWith(dir + sep);
}

function tsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return tsFiles(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

/** Every "file → sandbox path" import from a file that is neither in the sandbox nor a spec. */
export function sandboxImports(files: string[], read: (file: string) => string): string[] {
  return files
    .filter((file) => !isUnder(file, SANDBOX) && !file.endsWith('.spec.ts'))
    .flatMap((file) =>
      relativeImports(read(file))
        .filter((specifier) => isUnder(resolve(dirname(file), specifier), SANDBOX))
        .map((specifier) => `${relative(ROOT, file)} → ${specifier}`),
    );
}

describe('the sandbox boundary', () => {
  it('finds the imports it looks for, in every form', () => {
    const source = [
      "import { A } from '../sandbox/a';",
      "import type { B } from '../../src/sandbox/b';",
      "export { C } from './sandbox/c';",
      "const d = require('./sandbox/d');",
      "const e = await import('./sandbox/e');",
      "import './sandbox/f';",
      "import { G } from './sandboxed/g';",
      "import { H } from '@nestjs/common';",
    ].join('\n');
    expect(relativeImports(source)).toEqual([
      '../sandbox/a',
      '../../src/sandbox/b',
      './sandbox/c',
      './sandbox/d',
      './sandbox/e',
      './sandbox/f',
      './sandboxed/g',
    ]);
    const files = [join(SRC, 'captcha/x.ts'), join(SRC, 'sandbox/y.ts'), join(SRC, 'captcha/x.spec.ts')];
    const read = (): string => "import { A } from '../sandbox/a';\nimport { G } from '../sandboxed/g';";
    // Only the production file counts; a sandbox file and a spec may import the sandbox.
    expect(sandboxImports(files, read)).toEqual(['src/captcha/x.ts → ../sandbox/a']);
  });

  it('no file of src/ outside the sandbox imports it, except the composition root', () => {
    const files = tsFiles(SRC).filter((file) => file !== COMPOSITION_ROOT);
    expect(sandboxImports(files, (file) => readFileSync(file, 'utf8'))).toEqual([]);
  });

  it('the composition root still loads the sandbox (the rule above has something to protect)', () => {
    expect(sandboxImports([COMPOSITION_ROOT], (file) => readFileSync(file, 'utf8')).length).toBeGreaterThan(0);
  });
});
