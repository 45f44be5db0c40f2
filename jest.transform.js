// Jest transformer for this project.
// - Our TypeScript: SWC with legacy decorators and decorator metadata (what Nest's DI and code-first
//   GraphQL read), to CommonJS.
// - Dependencies published as ES modules only (NestJS 12, uuid, ...): SWC to CommonJS as well,
//   because Jest before Node 24.9 cannot require() an ES module (on 24.9+ jest.config.js leaves
//   node_modules alone and this branch is unused). `import.meta.url` has no CommonJS form in
//   SWC, so it is rewritten to the file's URL first.
const { transformSync } = require('@swc/core');
const { createHash } = require('node:crypto');
const { readFileSync } = require('node:fs');
const { dirname, join } = require('node:path');

const typeCache = new Map();

function packageIsModule(file) {
  let dir = dirname(file);
  while (dir !== dirname(dir)) {
    if (typeCache.has(dir)) return typeCache.get(dir);
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
      // Nested package.json files with only "type" mark a dist folder's format.
      if (pkg.type !== undefined || pkg.name !== undefined) {
        const isModule = pkg.type === 'module';
        typeCache.set(dir, isModule);
        return isModule;
      }
    } catch {
      // no package.json here: look further up
    }
    dir = dirname(dir);
  }
  return false;
}

function isEsm(file, source) {
  if (file.endsWith('.mjs')) return true;
  if (file.endsWith('.cjs')) return false;
  return packageIsModule(file) && /^\s*(import|export)\s/m.test(source);
}

const tsOptions = {
  jsc: {
    parser: { syntax: 'typescript', decorators: true },
    transform: { legacyDecorator: true, decoratorMetadata: true },
    target: 'es2022',
    keepClassNames: true,
  },
  module: { type: 'commonjs' },
  sourceMaps: 'inline',
};

const esmOptions = {
  jsc: { parser: { syntax: 'ecmascript' }, target: 'es2022', keepClassNames: true },
  module: { type: 'commonjs' },
  sourceMaps: false,
};

function rewriteImportMeta(source) {
  return source
    .replace(/const\s+require\s*=\s*createRequire\(\s*import\.meta\.url\s*\);?/g, '')
    .replace(/createRequire\(\s*import\.meta\.url\s*\)/g, 'require')
    .replace(/import\.meta\.url/g, "require('node:url').pathToFileURL(__filename).href")
    .replace(/import\.meta\.dirname/g, '__dirname')
    .replace(/import\.meta\.filename/g, '__filename');
}

module.exports = {
  canInstrument: false,
  getCacheKey(source, file) {
    return createHash('sha256').update('v4').update(file).update('\0').update(source).digest('hex');
  },
  process(source, file) {
    if (file.endsWith('.ts')) {
      return { code: transformSync(source, { ...tsOptions, filename: file }).code };
    }
    if (!isEsm(file, source)) return { code: source };
    return { code: transformSync(rewriteImportMeta(source), { ...esmOptions, filename: file }).code };
  },
};
