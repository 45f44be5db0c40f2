// postinstall (and `npm run sqlite:node20`): builds the optional Node 20 SQLite driver,
// better-sqlite3-node20 (better-sqlite3 12), only where it is loaded: on a Node without Node-API 10,
// i.e. Node 20 (src/database/sqlite-driver.ts). npm runs no install script of better-sqlite3
// (allowScripts in package.json: "better-sqlite3": false; the alias is the same registry package, so
// an entry for "better-sqlite3-node20" never matched): version 13 needs none (its binaries are
// prebuilt), and on Node 22/24 version 12's script compiled, with node-gyp, a driver nothing loads.
// Like an optional dependency's failed script, a failed build warns and the install goes on.
const { spawnSync } = require('node:child_process');
const { dirname, join } = require('node:path');

const rebuild = process.argv.includes('--rebuild');
const tag = 'better-sqlite3-node20:';

if (Number(process.versions.napi) >= 10) {
  // Node 22.14+/24 load better-sqlite3 13 (prebuilt): nothing to build.
  process.exit(0);
}

let dir;
try {
  dir = dirname(require.resolve('better-sqlite3-node20/package.json'));
} catch {
  console.warn(`${tag} not installed (optional dependency); SQLite needs it on Node ${process.version}`);
  process.exit(0);
}

// Already built for this Node (a reinstall, or a node_modules built before): nothing to do.
if (!rebuild) {
  const check = spawnSync(process.execPath, ['-e', `require(${JSON.stringify(dir)})(':memory:').close()`]);
  if (check.status === 0) process.exit(0);
}

// What the driver's own install script does: a prebuilt binary when one can be fetched, else node-gyp
// (on PATH under npm, with npm's nodedir settings in the environment).
const bin = join(__dirname, '..', 'node_modules', '.bin');
const built = spawnSync('sh', ['-c', 'prebuild-install || node-gyp rebuild --release'], {
  cwd: dir,
  stdio: 'inherit',
  env: { ...process.env, PATH: `${bin}:${process.env.PATH}` },
});
if (built.status !== 0) {
  console.warn(
    `${tag} build failed on Node ${process.version}: SQLite will not load until \`npm run sqlite:node20\` succeeds`,
  );
}
