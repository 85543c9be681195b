#!/usr/bin/env bash
# tests/integration/test_fleet_tls_1000.sh — 1000 devices from one espfleet process connect over
# TLS (CA validation, per-device client certificates) to a Mosquitto this test starts; an
# independent mosquitto_sub sees tele/<topic>/LWT = Online and at least one STATE from each.
ESPFLEET="$1"; ROOT="$2"
source "$ROOT/tests/integration/lib.sh"
N="${FLEET_N:-1000}"

make_pki "$WORK/pki"
PORT="$(free_port)"
start_mosquitto "$WORK/pki" "$PORT" true

start_checker_sub "$WORK/pki" "$PORT" "$WORK/sub.txt" 300 'tele/+/LWT' 'tele/+/STATE'

"$ESPFLEET" run "$ROOT/scenarios/quickstart.toml" --devices "$N" --duration 45s \
  --set app.tele_period=10s --set fleet.connect_spread=15s \
  --broker "localhost:$PORT" --ca "$WORK/pki/ca.crt" \
  --device-ca-cert "$WORK/pki/ca.crt" --device-ca-key "$WORK/pki/ca.key" \
  --out "$WORK/run" --quiet | tee "$WORK/run.txt"

sleep 1
kill -TERM "$SUB_PID"; wait "$SUB_PID" 2>/dev/null || true

online=$(grep -E '^tele/[^/]+/LWT Online$' "$WORK/sub.txt" | awk '{print $1}' | sort -u | wc -l)
state=$(grep -E '^tele/[^/]+/STATE \{' "$WORK/sub.txt" | awk '{print $1}' | sort -u | wc -l)
expected=$(python3 -c 'import json,sys; print(len({json.loads(l)["topic"] for l in open(sys.argv[1])}))' "$WORK/run/devices.jsonl")
echo "devices in run: $expected; seen by mosquitto_sub: LWT Online from $online, STATE from $state"
[ "$expected" -eq "$N" ] || fail "devices.jsonl has $expected distinct topics, expected $N"
[ "$online" -eq "$N" ] || fail "only $online of $N devices published LWT Online"
[ "$state" -eq "$N" ] || fail "only $state of $N devices published STATE"
connected=$(json_get "$WORK/run/summary.json" connected)
[ "$connected" -eq "$N" ] || fail "summary.json: connected = $connected, expected $N"
# Every device's broker username is its certificate CN, so the broker saw N distinct clients.
echo "PASS"
