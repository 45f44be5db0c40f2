// Preloaded by scripts/smoke.sh (node --require scripts/bundle-check.cjs dist/src/main.js): at exit,
// writes to BUNDLE_CHECK_OUT every file the process loaded through Node's module loader, so that
// scripts/check-bundle.mjs can tell that the bundle ran and that no package it holds was loaded a
// second time from node_modules. Node 22.15+ and 24 see ES modules too (module.registerHooks);
// Node 20 sees CommonJS (require.cache).
const { writeFileSync } = require('node:fs');
const nodeModule = require('node:module');

const loaded = new Set();
if (typeof nodeModule.registerHooks === 'function') {
  nodeModule.registerHooks({
    load(url, context, nextLoad) {
      if (url.startsWith('file:')) loaded.add(require('node:url').fileURLToPath(url));
      return nextLoad(url, context);
    },
  });
}
process.on('exit', () => {
  for (const file of Object.keys(require.cache)) loaded.add(file);
  writeFileSync(process.env.BUNDLE_CHECK_OUT, [...loaded].sort().join('\n') + '\n');
});
