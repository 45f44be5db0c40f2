#!/usr/bin/env bash
# The cross-node checks against your own multi-primary cluster (Galera, Group Replication):
#   scripts/galera-checks.sh mariadb://user:pass@node1:3306 mariadb://user:pass@node2:3306 [more nodes]
# One URL per node, each reaching that node directly (not through the proxy), with a user that may
# create and drop databases (each check creates its own `wl_galera_*` database and drops it).
# Runs test/galera/cross-node: two instances booting at once, 1,000 grants refreshed exactly once by
# two instances on two nodes, 20 s of mixed load (GALERA_LOAD_SECONDS) answering no INTERNAL, and a
# row-by-row comparison of the nodes afterwards. Needs this repository with its dev dependencies.
# Node-failure checks kill nodes and are only run on the project's own cluster (npm run test:galera).
set -euo pipefail
cd "$(dirname "$0")/.."
if (($# < 2)); then
  echo "usage: $0 URL_NODE1 URL_NODE2 [URL_NODE3 ...]" >&2
  exit 2
fi
urls=$(IFS=,; echo "$*")
GALERA_URLS="$urls" npx jest -c jest.galera.config.js test/galera/cross-node
