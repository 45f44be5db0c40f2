import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

// React Native and uni-app have no Node built-ins: the package's sources must not reach for them.
// (tsconfig.json also compiles src/ without @types/node, so such a use does not build.)
describe('portability', () => {
  const dir = join(__dirname, '..', 'src');
  const files = (d: string): string[] =>
    readdirSync(d, { withFileTypes: true }).flatMap((e) =>
      e.isDirectory() ? files(join(d, e.name)) : [join(d, e.name)],
    );

  it.each(
    files(dir)
      .filter((f) => f.endsWith('.ts'))
      .map((f) => [f.slice(dir.length + 1), f]),
  )('%s uses no Node-only API', (_name, file) => {
    const source = readFileSync(file, 'utf8');
    expect(source).not.toMatch(
      /\bBuffer\b|\brequire\(|\bprocess\.|from ['"](node:|fs|crypto|http|https|path|os)['"]|\b__dirname\b/,
    );
  });
});
