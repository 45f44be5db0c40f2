// After `nest build`: the service (dist/src/server.js and everything it imports) as one CommonJS file,
// dist/src/server.bundle.js, which dist/src/main.js loads. Loading some 3,000 modules one by one
// (resolving, reading, linking each) was most of a start; one script, compile-cached, is not.
//
// What stays outside, loaded from node_modules as before:
// - packages that other code reaches by a require the bundler cannot see (createRequire, a computed
//   name), so that there is one copy of each: TypeORM (its drivers too), class-validator and
//   class-transformer (@nestjs/mapped-types and Nest's ValidationPipe load them so), reflect-metadata,
//   and the small packages those (or the SDKs below) load as well;
// - native or file-reading packages: better-sqlite3, pino (its transports are worker files);
// - what is required on first use (provider SDKs, undici, libphonenumber-js, ioredis, qrcode: see
//   test/architecture/lazy-packages.spec.ts), so that it still costs nothing at start;
// - optional peers of Nest and Apollo that this service does not install.
// Class names of ours stay as they are (checked by scripts/check-bundle.mjs): Nest, GraphQL type
// names and TypeORM read them.
// `node dist/src/server.js` runs the same service unbundled. A source map is written beside the
// bundle, mapped back to the TypeScript sources (node --enable-source-maps uses it in stack traces).
import { build } from 'esbuild';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..');

export const EXTERNAL = [
  // one copy, shared with what loads them at run time
  'typeorm',
  'mysql2',
  'class-validator',
  'class-transformer',
  'reflect-metadata',
  // what those load too, so that no package is both inside and outside (scripts/check-bundle.mjs)
  'debug',
  'fdir',
  'has-flag',
  'iconv-lite',
  'ms',
  'picomatch',
  'safer-buffer',
  'supports-color',
  'tinyglobby',
  'tslib',
  'ws',
  // Apollo's hash of each query: it takes node:crypto through `module.require`, which a bundled
  // module does not have, and falls back to sha.js (SHA-256 in JavaScript) there; with what it loads
  '@apollo/utils.createhash',
  '@apollo/utils.isnodelike',
  // native, or loading files of their own
  'better-sqlite3',
  'better-sqlite3-node20',
  'pino',
  // required on first use
  'undici',
  'libphonenumber-js',
  '@alicloud/*',
  'tencentcloud-sdk-nodejs-sms',
  'alipay-sdk',
  'ioredis',
  'qrcode',
  // optional peers, not installed
  '@nestjs/microservices',
  '@nestjs/websockets',
  '@nestjs/platform-socket.io',
  '@apollo/subgraph',
  '@apollo/gateway',
  '@as-integrations/fastify',
  '@fastify/*',
  'ts-morph',
];

const started = Date.now();
const result = await build({
  absWorkingDir: root,
  entryPoints: ['dist/src/server.js'],
  outfile: 'dist/src/server.bundle.js',
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  // No keepNames: it wrapped every function made at run time (a closure per request) in a call that
  // sets its name, ~1.5 % of a login's CPU. esbuild renames a class only where two names clash, in
  // packages (Nest's `let X = class X`); scripts/check-bundle.mjs refuses a renamed class of ours.
  keepNames: false,
  sourcemap: 'linked',
  // ES modules bundled into CommonJS: import.meta.url is the bundle's own URL.
  define: { 'import.meta.url': '__bundleImportMetaUrl' },
  banner: { js: "const __bundleImportMetaUrl = require('node:url').pathToFileURL(__filename).href;" },
  external: EXTERNAL,
  metafile: true,
  logLevel: 'warning',
});
// Which packages are inside: scripts/check-bundle.mjs refuses a second copy of any of them.
const packages = new Set();
for (const input of Object.keys(result.metafile.inputs)) {
  const match = input.match(/node_modules\/((?:@[^/]+\/)?[^/]+)\//g);
  if (match) packages.add(match[match.length - 1].slice('node_modules/'.length, -1));
}
writeFileSync(join(root, 'dist/src/server.bundle.packages.json'), `${JSON.stringify([...packages].sort(), null, 1)}\n`);
const inputs = Object.keys(result.metafile.inputs).length;
console.log(`bundle: dist/src/server.bundle.js from ${inputs} files (${packages.size} packages) in ${Date.now() - started} ms`);
