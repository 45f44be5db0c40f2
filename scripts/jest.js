// Runs Jest (`npm test`, `test:mysql`, `test:browser` go through here; `npx jest` works as well).
// On Node 24.9+ Jest 30 require()s ES-module-only dependencies (NestJS 12, uuid, ...) natively, with
// Node's vm modules switched on: this adds --experimental-vm-modules there, and jest.config.js then
// leaves node_modules untransformed. On older Node no flag is added and jest.config.js compiles those
// dependencies to CommonJS with SWC instead (jest.transform.js). JEST_NATIVE_ESM=0 forces the SWC path.
const { spawnSync } = require('node:child_process');

const [major, minor] = process.versions.node.split('.').map(Number);
const nativeEsm = process.env.JEST_NATIVE_ESM !== '0' && (major > 24 || (major === 24 && minor >= 9));
const flags = nativeEsm ? ['--experimental-vm-modules', '--disable-warning=ExperimentalWarning'] : [];

const result = spawnSync(process.execPath, [...flags, require.resolve('jest/bin/jest'), ...process.argv.slice(2)], {
  stdio: 'inherit',
});
if (result.error) throw result.error;
process.exit(result.status ?? 1);
