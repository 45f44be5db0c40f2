#!/usr/bin/env bash
# Smoke test of the built service as a user runs it: the sandbox starts with no configuration,
# serves /graphql and a green /health/ready, and prints its banner; production without secrets
# refuses to start and names every missing variable. Needs `npm run build` first.
set -euo pipefail
cd "$(dirname "$0")/.."

work=$(mktemp -d)
port=$((20000 + RANDOM % 20000))
log="$work/sandbox.log"
pid=""
cleanup() {
  [[ -n "$pid" ]] && kill "$pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

# --- sandbox: no environment beyond a port and a scratch data dir --------------------------------
# (With scripts/bundle-check.cjs preloaded: it lists the modules the run loaded, for the bundle check below.)
env -i PATH="$PATH" HOME="$HOME" PORT="$port" DATA_DIR="$work/data" GRAPHQL_SCHEMA_FILE="$work/schema.gql" \
  SHUTDOWN_DRAIN_MS=500 BUNDLE_CHECK_OUT="$work/loaded.txt" \
  node --require ./scripts/bundle-check.cjs dist/src/main.js >"$log" 2>&1 &
pid=$!
ready=""
for _ in $(seq 1 100); do
  if curl -fsS "http://127.0.0.1:$port/health/ready" >/dev/null 2>&1; then ready=yes; break; fi
  sleep 0.1
done
if [[ -z "$ready" ]]; then
  echo "smoke: sandbox did not become ready"; cat "$log"; exit 1
fi
grep -q 'SANDBOX MODE' "$log" || { echo "smoke: no sandbox banner"; cat "$log"; exit 1; }
# Heap sizing (src/heap-sizing.ts): where node has process.execve, the same pid now runs with the flags.
if node -e 'process.exit(typeof process.execve === "function" ? 0 : 1)'; then
  tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q -- '--max-semi-space-size=16 --heap-growing-percent=50' || {
    echo "smoke: the service did not restart itself with its heap flags: $(tr '\0' ' ' <"/proc/$pid/cmdline")"; exit 1; }
fi
grep -q "http://127.0.0.1:$port/graphql" "$log" || { echo "smoke: banner lacks the GraphQL URL"; exit 1; }
answer=$(curl -fsS -X POST "http://127.0.0.1:$port/graphql" -H 'content-type: application/json' \
  -d '{"query":"{ loginOptions(platform: IOS, wechatInstalled: false) { showWechatButton methods } }"}')
[[ "$answer" == '{"data":{"loginOptions":{"showWechatButton":false,"methods":["APPLE","QQ","ALIPAY","PHONE"]}}}' ]] || {
  echo "smoke: unexpected loginOptions answer: $answer"; exit 1; }
# The playground page and its assets come from this server.
curl -fsS -H 'accept: text/html' "http://127.0.0.1:$port/graphql" | grep -q 'id="graphiql"' || { echo "smoke: no playground page"; exit 1; }
curl -fsS "http://127.0.0.1:$port/playground/graphiql.js" >/dev/null || { echo "smoke: playground assets missing"; exit 1; }
# A phone login, the code read from the sandbox outbox.
gql() { curl -fsS -X POST "http://127.0.0.1:$port/graphql" -H 'content-type: application/json' -d "$1"; }
gql '{"query":"mutation { sendSmsCode(input: {phone: \"13800138000\", purpose: LOGIN}) { phone } }"}' >/dev/null
code=$(curl -fsS "http://127.0.0.1:$port/sandbox/sms/outbox?phone=13800138000" | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>process.stdout.write(JSON.parse(s).messages[0].code))')
login=$(gql "{\"query\":\"mutation { loginWithPhone(input: {phone: \\\"13800138000\\\", smsCode: \\\"$code\\\"}) { user { phone } } }\"}")
[[ "$login" == '{"data":{"loginWithPhone":{"user":{"phone":"+8613800138000"}}}}' ]] || { echo "smoke: phone login failed: $login"; exit 1; }
curl -fsS "http://127.0.0.1:$port/metrics" >"$work/metrics.txt" || { echo "smoke: no /metrics"; exit 1; }
# SIGTERM: drain, then a clean exit (code 0).
kill -TERM "$pid"
status=0
wait "$pid" || status=$?
pid=""
[[ "$status" == 0 ]] || { echo "smoke: exit code $status after SIGTERM"; cat "$log"; exit 1; }
grep -q 'draining: readiness is red' "$log" || { echo "smoke: no drain at SIGTERM"; cat "$log"; exit 1; }
grep -q 'SANDBOX SMS to +86 138\*\*\*\*8000' "$log" || { echo "smoke: the sandbox did not print the code"; exit 1; }
grep -q "SMS outbox .*http://127.0.0.1:$port/sandbox/sms/outbox" "$log" || { echo "smoke: banner lacks the SMS outbox URL"; exit 1; }
echo "smoke: sandbox ok (port $port): playground, phone login, graceful stop"
# That run was the bundle (scripts/bundle.mjs), with no package in it loaded a second time, and its
# schema is the one the separate modules build (class names kept).
node scripts/check-bundle.mjs "$work/loaded.txt"
node dist/src/emit-schema.js "$work/schema-modules.gql" >/dev/null
cmp -s "$work/schema.gql" "$work/schema-modules.gql" || {
  echo "smoke: the bundle's schema differs from the modules'"; diff "$work/schema-modules.gql" "$work/schema.gql" | head -20; exit 1; }
echo "smoke: the bundle's schema is the modules' schema"

# --- the Dockerfile's compile-cache step: loads the code into a cache folder and exits 0 ----------
cache_out=$(env -i PATH="$PATH" HOME="$HOME" NODE_COMPILE_CACHE="$work/compile-cache" node dist/src/main.js compile-cache) || {
  echo "smoke: compile-cache failed: $cache_out"; exit 1; }
[[ "$cache_out" == "compile cache: off" || -n "$(ls -A "$work/compile-cache" 2>/dev/null)" ]] || {
  echo "smoke: compile-cache wrote nothing: $cache_out"; exit 1; }
echo "smoke: $cache_out"

# --- production without secrets ----------------------------------------------------------------
set +e
out=$(env -i PATH="$PATH" HOME="$HOME" NODE_ENV=production DATA_DIR="$work/prod" node dist/src/main.js 2>&1)
code=$?
set -e
if [[ $code -eq 0 ]]; then echo "smoke: production started without secrets"; exit 1; fi
# (no CAPTCHA_PROVIDER: without one, production runs with the captcha off and says so at boot)
for name in DATABASE_URL WECHAT_APPS TOKEN_ENCRYPTION_KEYS SESSION_SIGNING_KEY SMS_PROVIDER; do
  grep -q "$name" <<<"$out" || { echo "smoke: production error does not name $name:"; echo "$out"; exit 1; }
done
echo "smoke: production refuses to start without secrets (exit $code)"

# --- operator kit: promtool, migrations from the built service, .env --------------------------------
# promtool lints the sandbox's /metrics (CI provides it and sets SMOKE_REQUIRE_PROMTOOL=1).
if command -v promtool >/dev/null 2>&1; then
  promtool check metrics <"$work/metrics.txt" || { echo "smoke: promtool check metrics failed"; exit 1; }
  echo "smoke: promtool check metrics passes"
  for rules in docs/alerts/*.rules.yml; do
    promtool check rules "$rules" >/dev/null || { echo "smoke: promtool check rules $rules failed"; exit 1; }
  done
  echo "smoke: promtool check rules passes (docs/alerts)"
elif [[ "${SMOKE_REQUIRE_PROMTOOL:-}" == 1 ]]; then
  echo "smoke: promtool not found"; exit 1
else
  echo "smoke: promtool not found, /metrics not linted"
fi
# `node dist/src/main.js migrate` needs the build and production dependencies only; here it finds
# DATABASE_URL in a .env of its working directory, and DATA_DIR from the environment wins over the file's.
repo=$PWD
mkdir -p "$work/deploy"
printf 'DATABASE_URL=sqlite:%s\nDATA_DIR=%s\n' "$work/deploy/from-env-file.sqlite" "$work/wrong" >"$work/deploy/.env"
out=$(cd "$work/deploy" && env -i PATH="$PATH" HOME="$HOME" DATA_DIR="$work/deploy/data" node "$repo/dist/src/main.js" migrate 2>&1) || {
  echo "smoke: migrate failed: $out"; exit 1; }
grep -q '^applied [0-9]* migrations' <<<"$out" || { echo "smoke: migrate said: $out"; exit 1; }
[[ -f "$work/deploy/from-env-file.sqlite" && -d "$work/deploy/data" && ! -e "$work/wrong" ]] || {
  echo "smoke: migrate did not use .env (and the environment over it)"; exit 1; }
again=$(cd "$work/deploy" && env -i PATH="$PATH" HOME="$HOME" DATA_DIR="$work/deploy/data" node "$repo/dist/src/main.js" migrate 2>&1)
[[ "$again" == "schema is up to date" ]] || { echo "smoke: second migrate said: $again"; exit 1; }
echo "smoke: migrate from the built service with .env: $out; then: $again"
