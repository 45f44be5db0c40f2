import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';

// Start-up time is mostly module loading: these packages (provider SDKs, the HTTP client of the
// outbound kit, the phone metadata, Redis) are required on first use, inside a function, never by an
// import that runs when the service starts. A type-only import is free (TypeScript erases it).

const ROOT = resolve(__dirname, '../..');
const SRC = join(ROOT, 'src');
export const LAZY_PACKAGES = [
  'undici',
  'libphonenumber-js',
  '@alicloud/',
  'tencentcloud-sdk-nodejs-sms',
  'alipay-sdk',
  'ioredis',
  'qrcode',
];

const quoted = (specifier: string): boolean =>
  LAZY_PACKAGES.some((name) =>
    name.endsWith('/') ? specifier.startsWith(name) : specifier === name || specifier.startsWith(`${name}/`),
  );

// `import x from`, `import { x } from`, `import 'x'`, `export … from` (not `import type` / `export type`),
// and a top-level `const x = require('x')` (a require inside a function body or arrow is lazy).
const EAGER = [
  /^\s*import\s+(?!type\b)(?:[^'";]*?\bfrom\s*)?['"]([^'"]+)['"]/gm,
  /^\s*export\s+(?!type\b)[^'";]*?\bfrom\s*['"]([^'"]+)['"]/gm,
  /^(?:const|let|var)\s+[^=\n]+=\s*require\(\s*['"]([^'"]+)['"]\s*\)/gm,
];

/** The lazy packages a source file loads eagerly. */
export function eagerLoads(source: string): string[] {
  return EAGER.flatMap((pattern) => [...source.matchAll(pattern)].map((m) => m[1])).filter(quoted);
}

function tsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return tsFiles(path);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.spec.ts') ? [path] : [];
  });
}

describe('packages loaded on first use', () => {
  it('finds an eager load in every form, and lets type imports and function-local requires be', () => {
    const source = [
      "import { Agent } from 'undici';",
      "import * as lib from 'libphonenumber-js/mobile';",
      "import '@alicloud/openapi-core';",
      "export { sms } from 'tencentcloud-sdk-nodejs-sms';",
      "const AlipaySdk = require('alipay-sdk');",
      "import type Redis from 'ioredis';",
      "export type { Dispatcher } from 'undici';",
      "const undici = (): typeof import('undici') => require('undici');",
      "function load() {\n  const { default: Redis } = require('ioredis');\n}",
      "import { Injectable } from '@nestjs/common';",
      "import { helper } from './undici';",
    ].join('\n');
    expect(eagerLoads(source)).toEqual([
      'undici',
      'libphonenumber-js/mobile',
      '@alicloud/openapi-core',
      'tencentcloud-sdk-nodejs-sms',
      'alipay-sdk',
    ]);
  });

  it('no file of src/ loads them when the service starts', () => {
    const found = tsFiles(SRC).flatMap((file) =>
      eagerLoads(readFileSync(file, 'utf8')).map((specifier) => `${relative(ROOT, file)} → ${specifier}`),
    );
    expect(found).toEqual([]);
  });
});
