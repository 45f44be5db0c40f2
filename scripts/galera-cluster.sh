#!/usr/bin/env bash
# A throwaway 3-node MariaDB Galera cluster on 127.0.0.1, for `npm run test:galera` and for trying the
# service on a multi-primary cluster by hand. It never reads the system my.cnf (every mariadbd gets
# --defaults-file) and never touches the MariaDB on 3306.
#
#   scripts/galera-cluster.sh start            bootstrap node 1, join 2 and 3 (prints the DATABASE_URLs)
#   scripts/galera-cluster.sh stop             stop every node (by pid) and delete the data dir
#   scripts/galera-cluster.sh status           cluster size / state / status per node
#   scripts/galera-cluster.sh kill N           SIGKILL node N (a crash)
#   scripts/galera-cluster.sh rejoin N         restart a killed node; it recovers its position and joins by IST
#   scripts/galera-cluster.sh url N [db]       the DATABASE_URL of node N
#   scripts/galera-cluster.sh server N         the server URL of node N (no database)
#   scripts/galera-cluster.sh sql N "SQL"      run SQL on node N
#
# Env: GALERA_TMP (data dir; default /tmp/wl-galera-$UID), GALERA_PORT (client port of node 1,
# default 4306 -> 4306..4308), GALERA_GCOMM (group port of node 1, default 4416 -> 4416, 4426, 4436;
# IST = group + 1, SST = group + 2). Needs mariadbd, mariadb-install-db, rsync, galera-4.
set -euo pipefail

ROOT=${GALERA_TMP:-/tmp/wl-galera-$(id -u)}
PORT=${GALERA_PORT:-4306}
GCOMM=${GALERA_GCOMM:-4416}
PROVIDER=${WSREP_PROVIDER:-/usr/lib/galera/libgalera_smm.so}
NODES=(1 2 3)

client_port() { echo $((PORT + $1 - 1)); }
group_port() { echo $((GCOMM + 10 * ($1 - 1))); }
pid_of() { cat "$ROOT/node$1/mariadbd.pid" 2>/dev/null || true; }
alive() { local p; p=$(pid_of "$1"); [[ -n "$p" ]] && kill -0 "$p" 2>/dev/null; }
q() { mariadb --no-defaults --socket="$ROOT/node$1/mariadbd.sock" -uroot -N -B -e "$2"; }

# The stock rsync SST starts an rsync daemon that, run by root, switches to uid nobody and then cannot
# write the joiner's data dir. Our copy of the script adds uid/gid lines to the daemon config so it
# keeps running as whoever runs the cluster.
sst_script() {
  mkdir -p "$ROOT/bin"
  local me; me=$(id -u); local grp; grp=$(id -g)
  awk -v uid="$me" -v gid="$grp" '
    /^\. \$\(dirname "\$0"\)\/wsrep_sst_common/ { print ". /usr/bin/wsrep_sst_common"; next }
    { print }
    /^use chroot = no$/ { print "uid = " uid; print "gid = " gid }
  ' /usr/bin/wsrep_sst_rsync >"$ROOT/bin/wsrep_sst_rsync_owneruid"
  chmod +x "$ROOT/bin/wsrep_sst_rsync_owneruid"
}

write_cnf() {
  local n=$1 g; g=$(group_port "$n")
  local members="127.0.0.1:$(group_port 1),127.0.0.1:$(group_port 2),127.0.0.1:$(group_port 3)"
  mkdir -p "$ROOT/node$n/data"
  cat >"$ROOT/node$n/my.cnf" <<EOF
[mariadbd]
user=$(id -un)
datadir=$ROOT/node$n/data
socket=$ROOT/node$n/mariadbd.sock
pid-file=$ROOT/node$n/mariadbd.pid
log-error=$ROOT/node$n/error.log
port=$(client_port "$n")
bind-address=127.0.0.1
skip-name-resolve
performance_schema=OFF
innodb_buffer_pool_size=64M
innodb_log_file_size=32M
innodb_flush_log_at_trx_commit=0
sync_binlog=0
max_connections=400
character-set-server=utf8mb4
collation-server=utf8mb4_unicode_ci
default_storage_engine=InnoDB
binlog_format=ROW
innodb_autoinc_lock_mode=2
wsrep_on=ON
wsrep_provider=$PROVIDER
wsrep_cluster_name=wl_galera_ci
wsrep_cluster_address=gcomm://$members
wsrep_node_name=node$n
wsrep_node_address=127.0.0.1:$g
wsrep_node_incoming_address=127.0.0.1:$(client_port "$n")
wsrep_sst_method=rsync_owneruid
wsrep_sst_receive_address=127.0.0.1:$((g + 2))
wsrep_provider_options="base_host=127.0.0.1;base_port=$g;gmcast.listen_addr=tcp://127.0.0.1:$g;ist.recv_addr=127.0.0.1:$((g + 1));gcache.size=32M;evs.suspect_timeout=PT3S;evs.inactive_timeout=PT6S;evs.install_timeout=PT4S"
wsrep_slave_threads=2
EOF
}

launch() { # node, extra args...
  local n=$1; shift
  write_cnf "$n"
  PATH="$ROOT/bin:$PATH" nohup mariadbd --defaults-file="$ROOT/node$n/my.cnf" "$@" >>"$ROOT/node$n/stdout.log" 2>&1 &
  # mariadbd writes its pid file once it is up; remember the launcher pid until then.
  echo $! >"$ROOT/node$n/launcher.pid"
}

wait_synced() { # node, seconds
  local n=$1 limit=${2:-120} state=""
  for ((i = 0; i < limit * 2; i++)); do
    state=$(q "$n" "SHOW STATUS LIKE 'wsrep_local_state_comment'" 2>/dev/null | awk '{print $2}') || true
    [[ "$state" == Synced ]] && return 0
    if ! kill -0 "$(cat "$ROOT/node$n/launcher.pid")" 2>/dev/null; then break; fi
    sleep 0.5
  done
  echo "node $n is not Synced (state: ${state:-down}); last lines of its log:" >&2
  tail -25 "$ROOT/node$n/error.log" >&2 || true
  return 1
}

start() {
  if alive 1 || alive 2 || alive 3; then echo "cluster already running under $ROOT" >&2; status; return 0; fi
  rm -rf "$ROOT"
  mkdir -p "$ROOT"
  sst_script
  local t0; t0=$(date +%s)
  write_cnf 1
  mariadb-install-db --no-defaults --datadir="$ROOT/node1/data" --user="$(id -un)" \
    --auth-root-authentication-method=normal --skip-test-db >"$ROOT/node1/install.log" 2>&1
  launch 1 --wsrep-new-cluster
  wait_synced 1 60
  # Root over TCP without a password: a local test cluster only. Replicated to the joiners by SST.
  q 1 "CREATE USER IF NOT EXISTS 'root'@'127.0.0.1'; GRANT ALL ON *.* TO 'root'@'127.0.0.1' WITH GRANT OPTION;"
  for n in 2 3; do
    launch "$n"
    wait_synced "$n" 120
  done
  echo "galera cluster up in $(($(date +%s) - t0))s"
  status
}

status() {
  for n in "${NODES[@]}"; do
    printf 'node%s %s: ' "$n" "$(client_port "$n")"
    q "$n" "SELECT GROUP_CONCAT(CONCAT(LOWER(VARIABLE_NAME),'=',VARIABLE_VALUE) SEPARATOR ' ') FROM information_schema.GLOBAL_STATUS
            WHERE VARIABLE_NAME IN ('WSREP_CLUSTER_SIZE','WSREP_LOCAL_STATE_COMMENT','WSREP_READY','WSREP_CLUSTER_STATUS')" \
      2>/dev/null || echo down
  done
}

stop_node() {
  local n=$1 p; p=$(pid_of "$n")
  [[ -z "$p" ]] && p=$(cat "$ROOT/node$n/launcher.pid" 2>/dev/null || true)
  [[ -n "$p" ]] && kill -0 "$p" 2>/dev/null || return 0
  kill -TERM "$p" 2>/dev/null || true
  for _ in $(seq 1 60); do kill -0 "$p" 2>/dev/null || return 0; sleep 0.5; done
  kill -KILL "$p" 2>/dev/null || true
}

stop() {
  for n in 3 2 1; do stop_node "$n"; done
  rm -rf "$ROOT"
  echo "galera cluster stopped"
}

kill_node() {
  local p; p=$(pid_of "$1")
  [[ -n "$p" ]] || { echo "node $1 is not running" >&2; return 1; }
  kill -KILL "$p"
  for _ in $(seq 1 20); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
  rm -f "$ROOT/node$1/mariadbd.pid"
}

rejoin() {
  local n=$1 args=()
  alive "$n" && { echo "node $n is running" >&2; return 0; }
  # A crashed node's grastate says seqno -1: recover its position from InnoDB so it joins by IST.
  if grep -q 'seqno: *-1' "$ROOT/node$n/data/grastate.dat" 2>/dev/null; then
    mariadbd --defaults-file="$ROOT/node$n/my.cnf" --wsrep-recover --log-error="$ROOT/node$n/recover.log" >/dev/null 2>&1 || true
    local pos; pos=$(grep -a 'Recovered position:' "$ROOT/node$n/recover.log" | tail -1 | sed 's/.*Recovered position: *//')
    [[ -n "$pos" ]] && args+=(--wsrep-start-position="$pos")
  fi
  launch "$n" "${args[@]}"
  wait_synced "$n" 120
}

url() { echo "mariadb://root@127.0.0.1:$(client_port "$1")/${2:-wechat_login_galera}"; }

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) status ;;
  kill) kill_node "$2" ;;
  rejoin) rejoin "$2" ;;
  url) url "$2" "${3:-}" ;;
  server) echo "mariadb://root@127.0.0.1:$(client_port "$2")" ;;
  sql) q "$2" "$3" ;;
  *) echo "usage: $0 start|stop|status|kill N|rejoin N|url N [db]|server N|sql N SQL" >&2; exit 2 ;;
esac
