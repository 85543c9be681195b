#!/usr/bin/env bash
# tests/integration/test_builtin_anchors.sh — trust anchors in CA mode against a real Mosquitto
# whose certificate is signed by the test's CA: the built-in roots (tls.builtin_anchors) added
# next to the test CA still connect; a PEM bundle (unrelated CA first, the test CA second) gives
# several file anchors and connects; a device trusting only an unrelated CA plus the built-in roots
# (and one with no --ca at all) fails with 62 (BR_ERR_X509_NOT_TRUSTED); a bundle that does not fit
# the firmware's slot is refused naming the file. Each case is one device; cases run in parallel.
ESPFLEET="$1"; ROOT="$2"
source "$ROOT/tests/integration/lib.sh"
P="$WORK/pki"
make_pki "$P"
for c in otherca big1 big2 big3 big4; do make_ca "$P" "$c"; done
cat "$P/otherca.crt" "$P/ca.crt" > "$P/bundle.pem"
cp "$P/otherca.crt" "$P/unrelated.pem"
cat "$P/otherca.crt" "$P/big1.crt" "$P/big2.crt" "$P/big3.crt" "$P/big4.crt" > "$P/five.pem"
openssl req -x509 -newkey rsa:4096 -nodes -keyout "$P/wide.key" -out "$P/wide.crt" -days 30 -subj "/CN=wide" 2>/dev/null
cat "$P/wide.crt" "$P/big1.crt" "$P/big2.crt" > "$P/toolarge.pem"

PORT="$(free_port)"
start_mosquitto "$P" "$PORT" false server

ALL='tls.builtin_anchors=["isrg_root_x1","amazon_root_ca1","amazon_root_ca3"]'
run_case() {  # run_case NAME SEED [extra args]; the cases share one broker: each seed gives its own client id
  local name="$1" seed="$2"; shift 2
  "$ESPFLEET" run "$ROOT/scenarios/quickstart.toml" --devices 1 --duration 5s --seed "$seed" --quiet \
    --set fleet.connect_spread=0s --set tls.client_cert=false --broker "localhost:$PORT" \
    --out "$WORK/$name" "$@" > "$WORK/$name.out" 2>&1
}
run_case builtin_plus_ca 11 --ca "$P/ca.crt" --set "$ALL" &
run_case bundle 12 --ca "$P/bundle.pem" &
run_case builtin_only 13 --ca "$P/unrelated.pem" --set "$ALL" &
run_case builtin_no_ca 14 --set 'tls.builtin_anchors=["isrg_root_x1"]' &
wait_jobs=$(jobs -p | grep -v -F -x -f <(printf '%s\n' "${PIDS[@]}") || true)
for j in $wait_jobs; do wait "$j" || true; done

check() {  # check CASE EXPECTED_CODE ANCHOR_LINE
  local f="$WORK/$1/devices.jsonl"
  [ -f "$f" ] || { cat "$WORK/$1.out"; fail "$1: no devices.jsonl"; }
  local got
  got=$(python3 -c 'import json,sys; d=json.loads(open(sys.argv[1]).readline()); print(d["tls_error"], d["tls_error_name"], d["connects"])' "$f")
  echo "$1: tls_error $got"
  grep -q "TLS: trust anchors: $3" "$WORK/$1/devices.log" \
    || { grep "TLS:" "$WORK/$1/devices.log" | head -5; fail "$1: expected the boot line 'TLS: trust anchors: $3'"; }
  set -- "$1" "$2" "$3" $got
  [ "$4" = "$2" ] || fail "$1: expected tls_error $2, got $4 ($5)"
  if [ "$2" = 0 ]; then
    [ "$6" -ge 1 ] || fail "$1: the device did not connect"
    [ "$(json_get "$WORK/$1/summary.json" connected)" = 1 ] || fail "$1: not connected at the end"
  else
    [ "$6" = 0 ] || fail "$1: the device connected"
  fi
}
check builtin_plus_ca 0 "1 from flash, 3 built in"
check bundle 0 "2 from flash, 0 built in"
check builtin_only 62 "1 from flash, 3 built in"
check builtin_no_ca 62 "0 from flash, 1 built in"
grep -q '"builtin_anchors": \[' "$WORK/builtin_plus_ca/scenario.resolved.json" \
  || fail "builtin_plus_ca: tls.builtin_anchors missing from scenario.resolved.json"

# Bundles the firmware cannot hold: refused before any device runs, naming the file.
refused() {  # refused NAME PEM EXPECTED_TEXT
  local rc=0
  run_case "$1" 15 --ca "$2" || rc=$?
  echo "$1: exit $rc: $(tail -1 "$WORK/$1.out")"
  [ "$rc" = 2 ] || fail "$1: expected exit 2, got $rc"
  grep -qF -- "--ca $2: " "$WORK/$1.out" || fail "$1: the message does not name the file"
  grep -qF -- "$3" "$WORK/$1.out" || fail "$1: expected '$3'"
}
refused five "$P/five.pem" "5 certificates, but the firmware holds at most 4"
refused toolarge "$P/toolarge.pem" "more than the firmware's 2048-byte trust anchor slot"
# Without built-in anchors, --ca stays required for an external broker.
rc=0
"$ESPFLEET" run "$ROOT/scenarios/quickstart.toml" --devices 1 --duration 1s --quiet --set tls.client_cert=false \
  --broker "localhost:$PORT" --out "$WORK/noca" > "$WORK/noca.out" 2>&1 || rc=$?
[ "$rc" = 2 ] && grep -q "pass --ca FILE" "$WORK/noca.out" || { cat "$WORK/noca.out"; fail "noca: expected the --ca error"; }
echo PASS
