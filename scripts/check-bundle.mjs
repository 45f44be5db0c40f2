// node scripts/check-bundle.mjs LOADED_FILES: after a run of the built service with
// scripts/bundle-check.cjs preloaded (scripts/smoke.sh), checks that dist/src/main.js ran the bundle
// (not the separate modules) and that no package inside the bundle was also loaded from node_modules:
// two copies of a package with state (Nest's container, GraphQL's classes, a metadata store) break
// quietly. A package that something reaches by createRequire or a computed name must be external in
// scripts/bundle.mjs. Exits 1 with what it found.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..');
const loaded = readFileSync(process.argv[2], 'utf8').split('\n').filter(Boolean);
const inside = new Set(JSON.parse(readFileSync(join(root, 'dist/src/server.bundle.packages.json'), 'utf8')));
const problems = [];
if (!loaded.includes(join(root, 'dist/src/server.bundle.js'))) problems.push('dist/src/server.bundle.js was not loaded');
const separate = loaded.filter((file) => file.startsWith(join(root, 'dist/src/')) && !file.endsWith('main.js') && !file.endsWith('compile-cache.js') && !file.endsWith('heap-sizing.js') && !file.endsWith('server.bundle.js'));
if (separate.length > 0) problems.push(`modules of dist/src loaded beside the bundle: ${separate.slice(0, 5).join(', ')}`);
const twice = new Set();
for (const file of loaded) {
  const match = file.match(/node_modules\/((?:@[^/]+\/)?[^/]+)\//g);
  const name = match?.[match.length - 1].slice('node_modules/'.length, -1);
  if (name && inside.has(name)) twice.add(name);
}
if (twice.size > 0) problems.push(`in the bundle and loaded again from node_modules: ${[...twice].join(', ')} (add them to EXTERNAL in scripts/bundle.mjs)`);
// Bundled without keepNames (scripts/bundle.mjs): a class of ours must keep its name (GraphQL type
// names, TypeORM metadata, log contexts read it). esbuild renames a class only where its name clashes.
const ours = new Set();
for (const file of readdirSync(join(root, 'dist/src'), { recursive: true })) {
  if (!String(file).endsWith('.js') || String(file).includes('bundle')) continue;
  for (const [, name] of readFileSync(join(root, 'dist/src', String(file)), 'utf8').matchAll(/\bclass ([A-Za-z_$][\w$]*)/g)) ours.add(name);
}
const bundle = readFileSync(join(root, 'dist/src/server.bundle.js'), 'utf8');
const renamed = [...bundle.matchAll(/\bclass ([A-Za-z_$][\w$]*?)(\d+)\b/g)].map(([, base]) => base).filter((base) => ours.has(base));
if (renamed.length > 0) problems.push(`classes of ours renamed in the bundle: ${[...new Set(renamed)].slice(0, 5).join(', ')}`);
// Apollo hashes each query; bundled, its createhash lost node:crypto and used sha.js (pure JavaScript).
if (loaded.some((file) => file.includes('/node_modules/sha.js/')) || inside.has('sha.js')) {
  problems.push('sha.js is in use: Apollo should hash with node:crypto (@apollo/utils.createhash external)');
}
if (problems.length > 0) {
  console.error(`check-bundle: ${problems.join('; ')}`);
  process.exit(1);
}
const outside = new Set(loaded.filter((f) => f.includes('/node_modules/')).map((f) => f.match(/node_modules\/((?:@[^/]+\/)?[^/]+)\//g).pop().slice(13, -1)));
console.log(`check-bundle: the bundle ran (${inside.size} packages inside); ${outside.size} packages loaded from node_modules, none of them twice`);
