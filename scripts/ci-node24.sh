#!/usr/bin/env bash
# CI on Node 24, the target LTS, after the run on the machine's own Node (.ci/run calls this after
# `npm ci` and `npm run build`): the whole `npm test` and the smoke test of the built service.
#
# - Node 24 comes from the npm package `node` (the npm registry is all CI can reach). NODE24_DIR
#   reuses an earlier `npm install --prefix DIR node@24`.
# - Native modules: nothing to build, nothing to download. SQLite's driver on Node 22.14+/24 is
#   better-sqlite3 13, a Node-API addon whose prebuilt binary ships inside the npm tarball, so one
#   node_modules serves both runs. The Node 20 run uses `better-sqlite3-node20` (better-sqlite3 12,
#   compiled by `npm ci` against Node 20's headers: npm's nodedir here points at them), which Node 24
#   never loads (src/database/sqlite-driver.ts). Neither run rebuilds anything the other one uses.
set -euo pipefail
cd "$(dirname "$0")/.."
started=$(date +%s)
since() { echo "$(($(date +%s) - $1))s"; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

prefix=${NODE24_DIR:-$work/node24}
if [[ ! -x "$prefix/node_modules/node/bin/node" ]]; then
  npm install --prefix "$prefix" --no-save --no-package-lock --no-audit --no-fund --loglevel=error node@24 >/dev/null
fi
bin="$prefix/node_modules/node/bin"
version=$("$bin/node" --version)
[[ "$version" == v24.* ]] || { echo "ci-node24: expected Node 24, got $version"; exit 1; }
export PATH="$bin:$PATH"
echo "ci-node24: node $(node --version) at $(command -v node), installed in $(since "$started")"

# The driver this Node loads, and that it works.
node -e '
  const { loadSqliteDriver } = require("./dist/src/database/sqlite-driver.js");
  const Database = loadSqliteDriver();
  const db = new Database(":memory:");
  const { v } = db.prepare("select sqlite_version() as v").get();
  const pkg = require.resolve("better-sqlite3/package.json");
  console.log(`ci-node24: SQLite ${v} through better-sqlite3 ${require(pkg).version} (Node-API ${process.versions.napi})`);
'

t=$(date +%s)
npm test
echo "ci-node24: npm test on Node $version passed in $(since "$t")"
t=$(date +%s)
bash scripts/smoke.sh
echo "ci-node24: smoke test on Node $version passed in $(since "$t")"
echo "ci-node24: Node $version added $(since "$started") to CI"
